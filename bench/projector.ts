/**
 * bench/projector: frame rate of the projector's point renderers while
 * panning 10,000 points in this machine's headless Chromium.
 *
 *   npx tsx bench/projector.ts
 *   BENCH_POINTS=10000,50000 BENCH_SECONDS=3 BENCH_REPEATS=3 npx tsx bench/projector.ts
 *
 * Both renderers are the projector's own (src/renderer/src/views/embeddings/
 * points-gl.ts: WebGL2, and its Canvas2D fallback points-2d.ts, the fair peer),
 * bundled here with esbuild into one page; each draws the same scene (points
 * in ten Gaussian clusters, ten class colours, 6 px dots, 1000 x 700 canvas)
 * while the view pans a few pixels every frame, as a drag does ("pan"), or
 * zooms a little every frame, as the wheel does ("zoom": the WebGL path
 * redraws every point each frame then, as it does not for a pan).
 *
 * Two numbers per side: `fps`, animation frames per second that the page
 * reaches while panning, one draw per frame as the projector does (the
 * browser caps it at the display rate, 60 in headless Chromium, and lowers it
 * when drawing or compositing falls behind), and `msPerFrame`, the time of
 * one draw forced to finish (a one-pixel read-back, which adds a round trip
 * to the GPU process), back to back without waiting for a frame.
 * ratio = canvas2d msPerFrame / webgl2 msPerFrame (above 1: WebGL is faster),
 * fpsRatio = webgl2 fps / canvas2d fps; emptyPageFps is the same loop drawing
 * nothing, the ceiling the machine's load leaves.
 * Sides alternate, repeats report medians; loadavg is printed because the
 * machine is shared.
 */
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { chromium } from 'playwright-core';

const here = path.dirname(fileURLToPath(import.meta.url));
const SIZES = (process.env.BENCH_POINTS ?? '10000').split(',').map(Number);
const SECONDS = Number(process.env.BENCH_SECONDS ?? 3);
const REPEATS = Number(process.env.BENCH_REPEATS ?? 3);
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
};

// The page side: make a scene, pan for a while, report frames and draw times.
const PAGE_SRC = `
import { GlPoints } from '${path.join(here, '../src/renderer/src/views/embeddings/points-gl.ts')}';
import { CanvasPoints } from '${path.join(here, '../src/renderer/src/views/embeddings/points-2d.ts')}';
import { parseColor } from '${path.join(here, '../src/renderer/src/views/embeddings/points.ts')}';
const PALETTE = ['#4e79a7', '#f28e2b', '#e15759', '#76b7b2', '#59a14f', '#edc948', '#b07aa1', '#ff9da7', '#9c755f', '#bab0ac'];

function scene(n) {
  let s = 12345;
  const rnd = () => ((s = (s * 1103515245 + 12345) >>> 0) / 4294967296);
  const gauss = () => Math.sqrt(-2 * Math.log(rnd() + 1e-12)) * Math.cos(2 * Math.PI * rnd());
  const coords = new Float32Array(2 * n);
  const colors = new Uint8Array(4 * n);
  for (let i = 0; i < n; i++) {
    const c = i % 10;
    coords[2 * i] = Math.cos(c) * 30 + gauss() * 5;
    coords[2 * i + 1] = Math.sin(c) * 30 + gauss() * 5;
    const [r, g, b] = parseColor(PALETTE[c]);
    colors.set([r, g, b, 220], 4 * i);
  }
  return { coords, colors, size: 6, sprites: null };
}

window.runBench = async (kind, n, seconds, motion) => {
  const canvas = document.createElement('canvas');
  canvas.style.width = '1000px';
  canvas.style.height = '700px';
  document.body.replaceChildren(canvas);
  // 'none' draws nothing: the frame rate this page gets at all under the machine's load
  const r = kind === 'webgl2' ? new GlPoints(canvas) : kind === 'canvas2d' ? new CanvasPoints(canvas) : { setScene() {}, draw() {}, dispose() {} };
  r.setScene(scene(n));
  const view = { k: 8, ox: 500, oy: 350 };
  const sync = () => {
    if (kind === 'none') return;
    if (kind === 'webgl2') { const gl = canvas.getContext('webgl2'); gl.readPixels(0, 0, 1, 1, gl.RGBA, gl.UNSIGNED_BYTE, new Uint8Array(4)); }
    else canvas.getContext('2d').getImageData(0, 0, 1, 1);
  };
  // frames per second under requestAnimationFrame, panning 3 px a frame
  let frames = 0;
  const t0 = performance.now();
  await new Promise((done) => {
    const step = () => {
      if (motion === 'pan') view.ox = 500 + 120 * Math.sin(frames / 30);
      else view.k = 8 * (1 + 0.3 * Math.sin(frames / 30));
      r.draw(view, 1000, 700, 1);
      frames++;
      if (performance.now() - t0 < seconds * 1000) requestAnimationFrame(step); else done();
    };
    requestAnimationFrame(step);
  });
  const fps = frames / ((performance.now() - t0) / 1000);
  // forced draws back to back
  const times = [];
  const t1 = performance.now();
  while (performance.now() - t1 < seconds * 500) {
    const a = performance.now();
    if (motion === 'pan') view.ox = 500 + 120 * Math.sin(times.length / 30);
    else view.k = 8 * (1 + 0.3 * Math.sin(times.length / 30));
    r.draw(view, 1000, 700, 1);
    sync();
    times.push(performance.now() - a);
  }
  times.sort((x, y) => x - y);
  r.dispose();
  return { fps, msPerFrame: times[times.length >> 1], frames, gl: kind === 'webgl2' ? canvas.getContext('webgl2').getParameter(0x1F01) : null };
};
`;

async function main() {
  const bundle = await build({ stdin: { contents: PAGE_SRC, resolveDir: here, loader: 'js' }, bundle: true, write: false, format: 'iife', platform: 'browser' });
  const script = bundle.outputFiles[0]!.text;
  // The same flags as the e2e harness: no GPU, so WebGL2 runs on Chromium's software rasteriser.
  const browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: ['--no-sandbox', '--disable-gpu'] });
  try {
    const page = await browser.newPage({ viewport: { width: 1100, height: 800 } });
    await page.setContent('<!doctype html><html><body style="margin:0"></body></html>');
    await page.addScriptTag({ content: script });
    for (const n of SIZES) for (const motion of ['pan', 'zoom'] as const) {
      const got: Record<string, { fps: number[]; ms: number[]; gl: string | null }> = { webgl2: { fps: [], ms: [], gl: null }, canvas2d: { fps: [], ms: [], gl: null }, none: { fps: [], ms: [], gl: null } };
      for (let rep = 0; rep < REPEATS; rep++) {
        const order = rep % 2 ? ['canvas2d', 'none', 'webgl2'] : ['webgl2', 'none', 'canvas2d'];
        for (const kind of order) {
          const r = (await page.evaluate(([k, count, s, m]) => (globalThis as unknown as { runBench: (...a: unknown[]) => Promise<unknown> }).runBench(k, count, s, m), [kind, n, SECONDS, motion] as const)) as { fps: number; msPerFrame: number; gl: string | null };
          got[kind]!.fps.push(r.fps);
          got[kind]!.ms.push(r.msPerFrame);
          got[kind]!.gl = r.gl;
        }
      }
      const gl = got.webgl2!;
      const c2 = got.canvas2d!;
      console.log(
        JSON.stringify({
          bench: 'projector',
          case: `${motion} ${n} points`,
          points: n,
          repeats: REPEATS,
          webgl2: { fps: +median(gl.fps).toFixed(1), msPerFrame: +median(gl.ms).toFixed(2), renderer: gl.gl },
          canvas2d: { fps: +median(c2.fps).toFixed(1), msPerFrame: +median(c2.ms).toFixed(2) },
          ratio: +(median(c2.ms) / median(gl.ms)).toFixed(2),
          fpsRatio: +(median(gl.fps) / median(c2.fps)).toFixed(2),
          emptyPageFps: +median(got.none!.fps).toFixed(1),
          chromium: browser.version(),
          loadavg: os.loadavg().map((x) => +x.toFixed(2)),
        }),
      );
    }
  } finally {
    await browser.close();
  }
}

await main();
