/**
 * t-SNE (van der Maaten and Hinton 2008) with the optimisation schedule of
 * scikit-learn / openTSNE:
 *
 *   - affinities: Gaussian conditionals calibrated to the perplexity (bisection
 *     on beta per point), symmetrised; dense over all pairs for the exact method,
 *     over k = 3 * perplexity nearest neighbours for the approximate one;
 *   - initialisation: the first two principal components, scaled so the first
 *     has standard deviation 1e-4;
 *   - early exaggeration 12 for the first 250 iterations, momentum 0.5 then 0.8,
 *     per-coordinate gains (+0.2 when the gradient changes sign, x0.8 when not,
 *     at least 0.01); velocity and gains are reset when the exaggeration ends, as
 *     scikit-learn runs the two phases as two descents;
 *   - learning rate 'auto' = max(n / early_exaggeration / 4, 50) (scikit-learn's
 *     rule; with our gradient, which carries the true factor 4, this is the
 *     n/12 of Belkina et al. 2019 in the factor-free convention of FIt-SNE);
 *   - gradient: exact as tensor operations on the backend (tsne-exact.ts) or
 *     FFT-interpolated repulsion + sparse attraction in JS (tsne-fft.ts).
 *
 * Progress events carry the iteration, KL(P || Q) (computed every
 * `progressEvery` iterations) and an ETA; an AbortSignal stops the loop between
 * iterations (it yields to the event loop each iteration so the signal can fire).
 */
import * as tf from '@tensorflow/tfjs';
import { calibrateRows, denseAffinities, symmetrize, upperPairs, type SparseAffinities } from './affinities.js';
import { abortError } from '../abort.js';
import { centered, knn, type Points } from './knn.js';
import { gaussian, pca, seededRandom } from './pca.js';
import { ExactGradient } from './tsne-exact.js';
import { FftRepulsion, fftGradient } from './tsne-fft.js';

export type TsneMethod = 'auto' | 'exact' | 'fft';

export interface TsneProgress {
  phase: 'affinities' | 'optimize' | 'done';
  iteration: number;
  iterations: number;
  /** KL(P || Q) with the unexaggerated P; NaN when not computed at this event */
  kl: number;
  elapsedMs: number;
  /** estimated time left for the optimisation */
  etaMs: number;
}

export interface TsneOptions {
  perplexity?: number;
  iterations?: number;
  earlyExaggeration?: number;
  exaggerationIterations?: number;
  learningRate?: number | 'auto';
  /** 'auto': exact up to exactMaxPoints, fft above */
  method?: TsneMethod;
  exactMaxPoints?: number;
  init?: 'pca' | 'random' | Float32Array;
  seed?: number;
  /** fft method: largest grid spacing (embedding units) */
  maxSpacing?: number;
  /** neighbours per point for the sparse affinities; default min(n - 1, floor(3 * perplexity)) */
  neighbors?: number;
  progressEvery?: number;
  signal?: AbortSignal;
  onProgress?: (event: TsneProgress) => void;
}

export interface TsneResult {
  /** n x 2 row-major */
  coords: Float32Array;
  n: number;
  method: 'exact' | 'fft';
  kl: number;
  iterations: number;
  perplexity: number;
  learningRate: number;
  earlyExaggeration: number;
  seconds: { affinities: number; optimize: number; total: number };
}

export const TSNE_DEFAULTS = {
  perplexity: 30,
  iterations: 1000,
  earlyExaggeration: 12,
  exaggerationIterations: 250,
  /**
   * Above this many points 'auto' switches to the FFT method. The exact
   * gradient costs ~10 passes over an n x n matrix per iteration; at 2,000
   * points that is already slower than the FFT method by an order of
   * magnitude on a CPU, so it serves small sets and as the reference.
   */
  exactMaxPoints: 1000,
  /** the exact method's dense P is n^2 floats (1.6 GB at this size) */
  exactLimit: 20_000,
  progressEvery: 25,
} as const;

/** scikit-learn's learning_rate='auto'. */
export function autoLearningRate(n: number, earlyExaggeration: number): number {
  return Math.max(n / earlyExaggeration / 4, 50);
}

const nextTick = () => new Promise<void>((resolve) => setImmediate(resolve));

/** Initial coordinates: PCA (scaled to std 1e-4 along the first axis) or seeded Gaussian noise of std 1e-4. */
export function initialCoords(points: Points, init: TsneOptions['init'], seed: number): Float64Array {
  const { n } = points;
  const y = new Float64Array(2 * n);
  if (init instanceof Float32Array) {
    if (init.length !== 2 * n) throw new RangeError(`init: expected ${2 * n} numbers (n x 2), got ${init.length}`);
    y.set(init);
    return y;
  }
  if ((init ?? 'pca') === 'pca' && points.d >= 2 && n >= 2) {
    const r = pca(points, 2, { seed });
    let mean = 0;
    for (let i = 0; i < n; i++) mean += r.projected[2 * i]!;
    mean /= n;
    let v = 0;
    for (let i = 0; i < n; i++) v += (r.projected[2 * i]! - mean) ** 2;
    const std = Math.sqrt(v / n);
    const scale = std > 0 ? 1e-4 / std : 1;
    for (let i = 0; i < 2 * n; i++) y[i] = r.projected[i]! * scale;
    return y;
  }
  const g = gaussian(seededRandom(seed));
  for (let i = 0; i < 2 * n; i++) y[i] = 1e-4 * g();
  return y;
}

/** Sparse t-SNE affinities from exact kNN on the backend. */
export function sparseAffinities(points: Points, perplexity: number, neighbors?: number, signal?: AbortSignal): SparseAffinities {
  const k = neighbors ?? Math.min(points.n - 1, Math.floor(3 * perplexity));
  const nn = knn(points, k, { signal });
  return symmetrize(calibrateRows(nn.indices, nn.dist, points.n, k, perplexity));
}

export async function tsne(points: Points, opts: TsneOptions = {}): Promise<TsneResult> {
  const t0 = performance.now();
  const { n, d } = points;
  if (points.data.length !== n * d) throw new RangeError(`points: data has ${points.data.length} numbers, expected n x d = ${n * d}`);
  if (n < 4) throw new RangeError(`t-SNE needs at least 4 points, got ${n}`);
  const perplexity = opts.perplexity ?? TSNE_DEFAULTS.perplexity;
  if (!(perplexity > 0) || perplexity >= n) throw new RangeError(`perplexity must be in (0, n = ${n}), got ${perplexity}`);
  const iterations = opts.iterations ?? TSNE_DEFAULTS.iterations;
  const exagIters = Math.min(opts.exaggerationIterations ?? TSNE_DEFAULTS.exaggerationIterations, iterations);
  const earlyExaggeration = opts.earlyExaggeration ?? TSNE_DEFAULTS.earlyExaggeration;
  const lr = opts.learningRate === undefined || opts.learningRate === 'auto' ? autoLearningRate(n, earlyExaggeration) : opts.learningRate;
  const requested = opts.method ?? 'auto';
  const method: 'exact' | 'fft' = requested === 'auto' ? (n <= (opts.exactMaxPoints ?? TSNE_DEFAULTS.exactMaxPoints) ? 'exact' : 'fft') : requested;
  if (method === 'exact' && n > TSNE_DEFAULTS.exactLimit) throw new RangeError(`the exact t-SNE gradient holds an n x n matrix: ${n} points is too many (at most ${TSNE_DEFAULTS.exactLimit}); use method 'fft'`);
  const progressEvery = Math.max(1, opts.progressEvery ?? TSNE_DEFAULTS.progressEvery);
  const seed = opts.seed ?? 0;
  const signal = opts.signal;
  const emit = opts.onProgress ?? (() => {});
  if (signal?.aborted) throw abortError();

  emit({ phase: 'affinities', iteration: 0, iterations, kl: NaN, elapsedMs: 0, etaMs: NaN });
  let grad: (y: Float64Array, exaggeration: number, out: Float64Array, wantKl: boolean) => number;
  let dispose = () => {};
  if (method === 'exact') {
    const x = tf.tidy(() => centered(tf.tensor2d(points.data, [n, d])));
    const { p } = denseAffinities(x, perplexity);
    x.dispose();
    const g = new ExactGradient(p);
    grad = (y, e, out, kl) => g.gradient(y, e, out, kl);
    dispose = () => g.dispose();
  } else {
    const p = upperPairs(sparseAffinities(points, perplexity, opts.neighbors, signal));
    const rep = new FftRepulsion({ maxSpacing: opts.maxSpacing });
    const scratch = new Float64Array(2 * n);
    grad = (y, e, out, kl) => fftGradient(y, p, e, rep, scratch, out, kl);
    dispose = () => rep.dispose();
  }
  try {
    const y = initialCoords(points, opts.init, seed);
    const tAff = performance.now();
    const update = new Float64Array(2 * n);
    const gains = new Float64Array(2 * n).fill(1);
    const g = new Float64Array(2 * n);
    let kl = NaN;
    for (let it = 0; it < iterations; it++) {
      if (signal?.aborted) throw abortError();
      const exploring = it < exagIters;
      if (it === exagIters && it > 0) {
        // scikit-learn runs the two phases as separate descents: velocity and gains start afresh
        update.fill(0);
        gains.fill(1);
      }
      const exaggeration = exploring ? earlyExaggeration : 1;
      const momentum = exploring ? 0.5 : 0.8;
      const report = (it + 1) % progressEvery === 0 || it === iterations - 1;
      const klNow = grad(y, exaggeration, g, report);
      let mx = 0;
      let my = 0;
      for (let i = 0; i < 2 * n; i++) {
        const gi = g[i]!;
        const u = update[i]!;
        let gain = gains[i]!;
        gain = u * gi < 0 ? gain + 0.2 : gain * 0.8;
        if (gain < 0.01) gain = 0.01;
        gains[i] = gain;
        const nu = momentum * u - lr * gain * gi;
        update[i] = nu;
        y[i] += nu;
        if (i & 1) my += y[i]!;
        else mx += y[i]!;
      }
      // Keep the embedding centred (the gradient is translation invariant).
      mx /= n;
      my /= n;
      for (let i = 0; i < n; i++) {
        y[2 * i] -= mx;
        y[2 * i + 1] -= my;
      }
      if (report) {
        kl = klNow;
        const elapsed = performance.now() - tAff;
        emit({ phase: 'optimize', iteration: it + 1, iterations, kl, elapsedMs: performance.now() - t0, etaMs: (elapsed / (it + 1)) * (iterations - it - 1) });
      }
      await nextTick();
    }
    const tEnd = performance.now();
    emit({ phase: 'done', iteration: iterations, iterations, kl, elapsedMs: tEnd - t0, etaMs: 0 });
    return {
      coords: Float32Array.from(y),
      n,
      method,
      kl,
      iterations,
      perplexity,
      learningRate: lr,
      earlyExaggeration,
      seconds: { affinities: (tAff - t0) / 1000, optimize: (tEnd - tAff) / 1000, total: (tEnd - t0) / 1000 },
    };
  } finally {
    dispose();
  }
}
