/**
 * UMAP (McInnes et al. 2018) through umap-js, as the alternative projection.
 * The neighbour graph comes from the exact kNN on the backend (knn.ts) rather
 * than umap-js's NN-descent, which is much slower on high-dimensional features;
 * the optimisation is stepped epoch by epoch so it reports progress, honours an
 * AbortSignal and yields to the event loop. Seeded: same input and seed, same
 * coordinates.
 */
import { UMAP } from 'umap-js';
import { abortError } from '../abort.js';
import { knn, type Points } from './knn.js';
import { seededRandom } from './pca.js';

export interface UmapProgress {
  phase: 'neighbors' | 'optimize' | 'done';
  epoch: number;
  epochs: number;
  elapsedMs: number;
  etaMs: number;
}

export interface UmapOptions {
  neighbors?: number;
  minDist?: number;
  spread?: number;
  /** default: umap-js's choice (500 below 10,000 points, 200 above) */
  epochs?: number;
  seed?: number;
  signal?: AbortSignal;
  onProgress?: (event: UmapProgress) => void;
  /** progress every this many epochs */
  progressEvery?: number;
}

export interface UmapResult {
  coords: Float32Array;
  n: number;
  epochs: number;
  seconds: number;
  params: { neighbors: number; minDist: number; spread: number; seed: number };
}

const nextTick = () => new Promise<void>((resolve) => setImmediate(resolve));

export async function umap(points: Points, opts: UmapOptions = {}): Promise<UmapResult> {
  const t0 = performance.now();
  const { n, d } = points;
  const neighbors = Math.min(opts.neighbors ?? 15, n - 1);
  if (neighbors < 2) throw new RangeError(`UMAP needs at least 3 points, got ${n}`);
  const minDist = opts.minDist ?? 0.1;
  const spread = opts.spread ?? 1;
  const seed = opts.seed ?? 0;
  const signal = opts.signal;
  const emit = opts.onProgress ?? (() => {});
  if (signal?.aborted) throw abortError();
  emit({ phase: 'neighbors', epoch: 0, epochs: 0, elapsedMs: 0, etaMs: NaN });

  // umap-js expects each point's own index first (distance 0), then k - 1 neighbours, Euclidean.
  const nn = knn(points, neighbors - 1, { signal });
  const knnIndices: number[][] = new Array(n);
  const knnDistances: number[][] = new Array(n);
  const k = neighbors - 1;
  for (let i = 0; i < n; i++) {
    const idx = [i];
    const dist = [0];
    for (let e = 0; e < k; e++) {
      idx.push(nn.indices[i * k + e]!);
      dist.push(Math.sqrt(nn.dist[i * k + e]!));
    }
    knnIndices[i] = idx;
    knnDistances[i] = dist;
  }
  const u = new UMAP({ nComponents: 2, nNeighbors: neighbors, minDist, spread, nEpochs: opts.epochs, random: seededRandom(seed) });
  u.setPrecomputedKNN(knnIndices, knnDistances);
  const rows: number[][] = new Array(n);
  for (let i = 0; i < n; i++) rows[i] = Array.from(points.data.subarray(i * d, (i + 1) * d));
  const epochs = u.initializeFit(rows);
  const every = Math.max(1, opts.progressEvery ?? 10);
  const tOpt = performance.now();
  for (let e = 0; e < epochs; e++) {
    if (signal?.aborted) throw abortError();
    u.step();
    if ((e + 1) % every === 0 || e === epochs - 1) {
      const el = performance.now() - tOpt;
      emit({ phase: 'optimize', epoch: e + 1, epochs, elapsedMs: performance.now() - t0, etaMs: (el / (e + 1)) * (epochs - e - 1) });
    }
    await nextTick();
  }
  const emb = u.getEmbedding();
  const coords = new Float32Array(2 * n);
  for (let i = 0; i < n; i++) {
    coords[2 * i] = emb[i]![0]!;
    coords[2 * i + 1] = emb[i]![1]!;
  }
  const seconds = (performance.now() - t0) / 1000;
  emit({ phase: 'done', epoch: epochs, epochs, elapsedMs: seconds * 1000, etaMs: 0 });
  return { coords, n, epochs, seconds, params: { neighbors, minDist, spread, seed } };
}
