/**
 * Principal components on the active backend: randomized subspace iteration
 * (Halko, Martinsson and Tropp 2011) with a little oversampling, then
 * Rayleigh-Ritz with a Jacobi eigensolver on the small projected matrix. The
 * heavy products X^T (X V) run as matmuls; the d x m orthonormalisation and the
 * m x m eigenproblem are tiny and done in float64 JS.
 *
 * Used for the t-SNE initialisation (2 components) and to reduce raw pixels to
 * ~50 dimensions before t-SNE/UMAP.
 */
import * as tf from '@tensorflow/tfjs';
import type { Points } from './knn.js';

export interface PcaResult {
  /** n x k projections, row-major */
  projected: Float32Array;
  /** k x d unit components, row-major, by decreasing variance */
  components: Float64Array;
  mean: Float64Array;
  /** variance along each component */
  variance: Float64Array;
  k: number;
}

/** Deterministic uniform [0, 1) stream (mulberry32). */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0 || 0x9e3779b9;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Standard normal draws from a uniform stream (Box-Muller). */
export function gaussian(rand: () => number): () => number {
  let spare: number | null = null;
  return () => {
    if (spare !== null) {
      const s = spare;
      spare = null;
      return s;
    }
    const u = Math.max(rand(), 1e-300);
    const v = rand();
    const r = Math.sqrt(-2 * Math.log(u));
    spare = r * Math.sin(2 * Math.PI * v);
    return r * Math.cos(2 * Math.PI * v);
  };
}

/** Modified Gram-Schmidt on the columns of a row-major d x m matrix, in place (twice, for stability). */
function orthonormalize(v: Float64Array, d: number, m: number): void {
  for (let pass = 0; pass < 2; pass++) {
    for (let j = 0; j < m; j++) {
      for (let i = 0; i < j; i++) {
        let dot = 0;
        for (let r = 0; r < d; r++) dot += v[r * m + i]! * v[r * m + j]!;
        for (let r = 0; r < d; r++) v[r * m + j] -= dot * v[r * m + i]!;
      }
      let norm = 0;
      for (let r = 0; r < d; r++) norm += v[r * m + j]! * v[r * m + j]!;
      norm = Math.sqrt(norm);
      const inv = norm > 1e-300 ? 1 / norm : 0;
      for (let r = 0; r < d; r++) v[r * m + j] *= inv;
    }
  }
}

/**
 * Eigen-decomposition of a symmetric m x m matrix (row-major, copied) by cyclic
 * Jacobi rotations. Returns eigenvalues and eigenvectors (columns of vecs).
 */
export function symmetricEigen(a: Float64Array, m: number): { values: Float64Array; vecs: Float64Array } {
  const A = Float64Array.from(a);
  const V = new Float64Array(m * m);
  for (let i = 0; i < m; i++) V[i * m + i] = 1;
  for (let sweep = 0; sweep < 100; sweep++) {
    let off = 0;
    let diag = 0;
    for (let i = 0; i < m; i++) {
      diag += A[i * m + i]! * A[i * m + i]!;
      for (let j = i + 1; j < m; j++) off += A[i * m + j]! * A[i * m + j]!;
    }
    if (off <= 1e-30 * Math.max(diag, 1e-300)) break;
    for (let p = 0; p < m; p++) {
      for (let q = p + 1; q < m; q++) {
        const apq = A[p * m + q]!;
        if (Math.abs(apq) < 1e-300) continue;
        const app = A[p * m + p]!;
        const aqq = A[q * m + q]!;
        const theta = (aqq - app) / (2 * apq);
        const t = Math.sign(theta || 1) / (Math.abs(theta) + Math.sqrt(theta * theta + 1));
        const c = 1 / Math.sqrt(t * t + 1);
        const s = t * c;
        for (let k = 0; k < m; k++) {
          const akp = A[k * m + p]!;
          const akq = A[k * m + q]!;
          A[k * m + p] = c * akp - s * akq;
          A[k * m + q] = s * akp + c * akq;
        }
        for (let k = 0; k < m; k++) {
          const apk = A[p * m + k]!;
          const aqk = A[q * m + k]!;
          A[p * m + k] = c * apk - s * aqk;
          A[q * m + k] = s * apk + c * aqk;
        }
        for (let k = 0; k < m; k++) {
          const vkp = V[k * m + p]!;
          const vkq = V[k * m + q]!;
          V[k * m + p] = c * vkp - s * vkq;
          V[k * m + q] = s * vkp + c * vkq;
        }
      }
    }
  }
  const values = new Float64Array(m);
  for (let i = 0; i < m; i++) values[i] = A[i * m + i]!;
  return { values, vecs: V };
}

/** Top-k principal components of the rows of `points`. */
export async function pca(points: Points, k: number, opts: { seed?: number; iterations?: number; oversample?: number } = {}): Promise<PcaResult> {
  const { n, d } = points;
  if (k < 1 || k > Math.min(n, d)) throw new RangeError(`PCA: k = ${k} must be within 1..min(n=${n}, d=${d})`);
  const m = Math.min(d, n, k + (opts.oversample ?? 10));
  const iterations = m === d ? 1 : (opts.iterations ?? 8);
  const mean = new Float64Array(d);
  const x = tf.tensor2d(points.data, [n, d]);
  const meanT = tf.mean(x, 0);
  mean.set(await meanT.data());
  const xc = tf.sub(x, meanT) as tf.Tensor2D;
  x.dispose();
  meanT.dispose();
  try {
    const gauss = gaussian(seededRandom(opts.seed ?? 0));
    const v = new Float64Array(d * m);
    for (let i = 0; i < v.length; i++) v[i] = gauss();
    orthonormalize(v, d, m);
    for (let it = 0; it < iterations; it++) {
      const w = tf.tidy(() => tf.matMul(xc, tf.matMul(xc, tf.tensor2d(Float32Array.from(v), [d, m])), true, false));
      v.set(await w.data());
      w.dispose();
      orthonormalize(v, d, m);
    }
    // Rayleigh-Ritz: B = (X V)^T (X V) / (n - 1), m x m.
    const b = tf.tidy(() => {
      const s = tf.matMul(xc, tf.tensor2d(Float32Array.from(v), [d, m]));
      return tf.div(tf.matMul(s, s, true, false), Math.max(n - 1, 1));
    });
    const bm = Float64Array.from(await b.data());
    b.dispose();
    for (let i = 0; i < m; i++) for (let j = 0; j < i; j++) bm[i * m + j] = bm[j * m + i] = (bm[i * m + j]! + bm[j * m + i]!) / 2;
    const { values, vecs } = symmetricEigen(bm, m);
    const order = Array.from({ length: m }, (_, i) => i).sort((a, c) => values[c]! - values[a]!);
    const components = new Float64Array(k * d);
    const variance = new Float64Array(k);
    for (let c = 0; c < k; c++) {
      const e = order[c]!;
      variance[c] = Math.max(values[e]!, 0);
      for (let r = 0; r < d; r++) {
        let s = 0;
        for (let j = 0; j < m; j++) s += v[r * m + j]! * vecs[j * m + e]!;
        components[c * d + r] = s;
      }
      // Deterministic sign: the largest-magnitude loading is positive.
      let big = 0;
      for (let r = 0; r < d; r++) if (Math.abs(components[c * d + r]!) > Math.abs(big)) big = components[c * d + r]!;
      if (big < 0) for (let r = 0; r < d; r++) components[c * d + r] = -components[c * d + r]!;
    }
    const proj = tf.tidy(() => tf.matMul(xc, tf.tensor2d(Float32Array.from(components), [k, d]), false, true));
    const projected = (await proj.data()) as Float32Array;
    proj.dispose();
    return { projected: Float32Array.from(projected), components, mean, variance, k };
  } finally {
    xc.dispose();
  }
}
