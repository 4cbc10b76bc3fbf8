/**
 * bench/embed: t-SNE time and quality against scikit-learn's TSNE, same input,
 * same run.
 *
 *   npx tsx bench/embed.ts                 2,000, 5,000 and 10,000 points, medians of 3 alternations
 *   BENCH_SIZES=2000 BENCH_REPEATS=5 npx tsx bench/embed.ts
 *
 * Input: real CIFAR-10 images (data_batch_1 of ../shared/data), raw pixels / 255
 * reduced to 50 dimensions by PCA, the first n rows. Both sides get exactly
 * these float32 rows (written to a temp file), perplexity 30, 1,000 iterations,
 * PCA initialisation, learning rate 'auto'. Ours runs with the default method
 * ('auto': FFT gradient above 1,000 points) on the default backend.
 *
 * Quality of both embeddings is scored here by the same code: trustworthiness
 * (k = 10) and 10-NN label accuracy in 2-D; once, our trustworthiness is checked
 * against sklearn.manifold.trustworthiness on the same embedding.
 *
 * One JSON line per measurement: wall and CPU seconds of each side (CPU counts
 * every thread of the process; the machine may be shared, so loadavg is
 * printed too), ratio = peer wall / ours wall (above 1: we are faster),
 * cpuRatio likewise, and the trustworthiness difference. Sides alternate
 * order from one size to the next; with repeats, medians are reported.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { currentBackend, initBackend } from '../src/engine/backend/index.js';
import { readCifar10 } from '../src/engine/data/index.js';
import { knnAccuracy, pca, pixelsOf, trustworthiness, tsne, type Points } from '../src/engine/embed/index.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const SIZES = (process.env.BENCH_SIZES ?? '2000,5000,10000').split(',').map(Number);
const REPEATS = Number(process.env.BENCH_REPEATS ?? 3);
const PERPLEXITY = 30;
const ITERATIONS = Number(process.env.BENCH_ITERATIONS ?? 1000);
const DIMS = 50;

interface Side {
  wallS: number;
  cpuS: number;
  kl: number;
  coords: Float32Array;
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
};
const load = () => os.loadavg().map((x) => +x.toFixed(2));

function python(): string {
  const r = spawnSync('bash', [path.join(here, 'peers/setup-venv.sh')], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`bench/peers/setup-venv.sh failed: ${r.stderr}`);
  return r.stdout.trim().split('\n').at(-1)!;
}

/**
 * The peer's environment: numpy/scikit-learn as a user runs them. The OPENBLAS_*
 * overrides this machine sets (for old OpenBLAS builds) slow a current numpy.
 */
function peerEnv(): NodeJS.ProcessEnv {
  const env = { ...process.env };
  delete env.OPENBLAS_CORETYPE;
  delete env.OPENBLAS_L2_SIZE;
  return env;
}

function peer(py: string, args: string[]): Record<string, number> {
  const r = spawnSync(py, [path.join(here, 'peers/sklearn_tsne.py'), ...args], { encoding: 'utf8', maxBuffer: 1 << 24, env: peerEnv() });
  if (r.status !== 0) throw new Error(`sklearn peer failed (${r.status}): ${r.stderr}`);
  return JSON.parse(r.stdout.trim().split('\n').at(-1)!) as Record<string, number>;
}

async function ours(x: Points): Promise<Side> {
  const c0 = process.cpuUsage();
  const t0 = performance.now();
  const r = await tsne(x, { perplexity: PERPLEXITY, iterations: ITERATIONS });
  const wallS = (performance.now() - t0) / 1000;
  const c = process.cpuUsage(c0);
  return { wallS, cpuS: (c.user + c.system) / 1e6, kl: r.kl, coords: r.coords };
}

function sklearn(py: string, file: string, n: number, tmp: string, threads: number): Side {
  const out = path.join(tmp, `sk-${n}.bin`);
  // The same thread count as our backend: n_jobs for sklearn's neighbour search (its gradient uses OpenMP's threads).
  const r = peer(py, ['--input', file, '--n', String(n), '--d', String(DIMS), '--perplexity', String(PERPLEXITY), '--iterations', String(ITERATIONS), '--threads', String(threads), '--embedding-out', out]);
  const buf = fs.readFileSync(out);
  return { wallS: r.seconds!, cpuS: r.cpu_seconds!, kl: r.kl!, coords: new Float32Array(buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.byteLength)) };
}

async function main(): Promise<void> {
  const info = await initBackend();
  const py = python();
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'bench-embed-'));
  try {
    const set = readCifar10(path.resolve(here, '../../shared/data/cifar-10-batches-bin')).splits.train;
    const nMax = Math.max(...SIZES);
    if (nMax > set.count) throw new Error(`only ${set.count} images available, asked for ${nMax}`);
    const idx = Array.from({ length: nMax }, (_, i) => i);
    const reduced = (await pca(pixelsOf(set, idx), DIMS, { seed: 0 })).projected;
    const labels = Int32Array.from(idx, (i) => set.labels[i]!);
    const file = path.join(tmp, 'input.bin');
    fs.writeFileSync(file, reduced);
    console.log(JSON.stringify({ bench: 'embed', setup: true, input: `CIFAR-10 data_batch_1 pixels, PCA-${DIMS}`, perplexity: PERPLEXITY, iterations: ITERATIONS, backend: info.name, device: info.device, threads: info.threads, cpus: os.availableParallelism(), loadavg: load() }));

    let crossChecked = false;
    for (const [si, n] of SIZES.entries()) {
      const x: Points = { data: reduced.subarray(0, n * DIMS), n, d: DIMS };
      const lab = labels.subarray(0, n);
      const runs: { ours: Side; peer: Side }[] = [];
      const loadBefore = load();
      for (let rep = 0; rep < REPEATS; rep++) {
        // alternate which side goes first
        if ((si + rep) % 2 === 0) {
          const a = await ours(x);
          runs.push({ ours: a, peer: sklearn(py, file, n, tmp, info.threads) });
        } else {
          const b = sklearn(py, file, n, tmp, info.threads);
          runs.push({ ours: await ours(x), peer: b });
        }
      }
      const last = runs.at(-1)!;
      const score = async (s: Side) => ({ trust: await trustworthiness(x, { data: s.coords, n, d: 2 }, 10), acc: await knnAccuracy({ data: s.coords, n, d: 2 }, lab, 10) });
      const qo = await score(last.ours);
      const qp = await score(last.peer);
      if (!crossChecked) {
        const ourFile = path.join(tmp, `ours-${n}.bin`);
        fs.writeFileSync(ourFile, last.ours.coords);
        const sk = peer(py, ['--input', file, '--n', String(n), '--d', String(DIMS), '--trust-of', ourFile, '--k', '10']);
        console.log(JSON.stringify({ bench: 'embed', check: 'trustworthiness', n, ours: qo.trust, sklearn: sk.trustworthiness, diff: qo.trust - sk.trustworthiness! }));
        crossChecked = true;
      }
      const oWall = median(runs.map((r) => r.ours.wallS));
      const pWall = median(runs.map((r) => r.peer.wallS));
      const oCpu = median(runs.map((r) => r.ours.cpuS));
      const pCpu = median(runs.map((r) => r.peer.cpuS));
      console.log(
        JSON.stringify({
          bench: 'embed',
          case: `tsne-${n}`,
          n,
          repeats: REPEATS,
          ours: { wallS: +oWall.toFixed(2), cpuS: +oCpu.toFixed(2), kl: +last.ours.kl.toFixed(4), trust: +qo.trust.toFixed(4), knnAcc: +qo.acc.toFixed(4), backend: currentBackend()?.name },
          sklearn: { wallS: +pWall.toFixed(2), cpuS: +pCpu.toFixed(2), kl: +last.peer.kl.toFixed(4), trust: +qp.trust.toFixed(4), knnAcc: +qp.acc.toFixed(4) },
          ratio: +(pWall / oWall).toFixed(2),
          cpuRatio: +(pCpu / oCpu).toFixed(2),
          trustDiff: +(qo.trust - qp.trust).toFixed(4),
          loadavg: { before: loadBefore, after: load() },
          ...(n === 10000 ? { goal: { under30s: oWall < 30, fasterThanSklearn: oWall < pWall, trustWithin001: qo.trust >= qp.trust - 0.01 } } : {}),
        }),
      );
    }
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true });
  }
}

await main();
