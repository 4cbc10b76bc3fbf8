/**
 * t-SNE input affinities: per-point Gaussian bandwidths calibrated so that each
 * conditional distribution p_{j|i} has the requested perplexity, then
 * symmetrised, P = (P_cond + P_cond^T) / sum.
 *
 *   calibrateRows(dist, n, k, perplexity)   sparse rows (kNN distances), in JS
 *   symmetrize(cond)                        -> CSR P summing to 1
 *   denseAffinities(x, perplexity)          dense n x n P as a tensor (exact t-SNE)
 *
 * Distances are squared Euclidean, as in scikit-learn. The calibration is a
 * bisection on beta = 1/(2 sigma^2) until the entropy H = log(perp) (natural
 * log) is met within `tol`; distances are shifted by the row minimum first,
 * which leaves p_{j|i} and H unchanged and keeps exp() from underflowing.
 */
import * as tf from '@tensorflow/tfjs';

/** Symmetric affinities in CSR form; vals sum to `sum` (1 after symmetrize). */
export interface SparseAffinities {
  n: number;
  rowPtr: Int32Array;
  cols: Int32Array;
  vals: Float64Array;
  sum: number;
}

/** Conditional affinities p_{j|i} over each point's k neighbours (row-major n x k). */
export interface ConditionalAffinities {
  n: number;
  k: number;
  indices: Int32Array;
  p: Float64Array;
  beta: Float64Array;
  /** entropy reached per row (natural log) */
  entropy: Float64Array;
}

export const PERPLEXITY_TOL = 1e-5;
const MAX_STEPS = 200;

/**
 * Bisection for one row: d (length k, squared distances) -> p (normalised) and beta.
 * Returns the entropy reached.
 */
export function calibrateRow(d: ArrayLike<number>, target: number, p: Float64Array, pOff: number, k: number, tol = PERPLEXITY_TOL): { beta: number; entropy: number } {
  let dmin = Infinity;
  for (let j = 0; j < k; j++) if (d[j]! < dmin) dmin = d[j]!;
  let beta = 1;
  let lo = -Infinity;
  let hi = Infinity;
  let h = 0;
  // Start beta at 1/(mean shifted distance): within a few doublings of the answer.
  let mean = 0;
  for (let j = 0; j < k; j++) mean += d[j]! - dmin;
  mean /= k;
  if (mean > 0) beta = 1 / mean;
  for (let step = 0; step < MAX_STEPS; step++) {
    let sum = 0;
    let sumDP = 0;
    for (let j = 0; j < k; j++) {
      const dj = d[j]! - dmin;
      const e = Math.exp(-dj * beta);
      p[pOff + j] = e;
      sum += e;
      sumDP += dj * e;
    }
    h = Math.log(sum) + (beta * sumDP) / sum;
    for (let j = 0; j < k; j++) p[pOff + j] /= sum;
    const diff = h - target;
    if (Math.abs(diff) <= tol) break;
    if (diff > 0) {
      lo = beta;
      beta = hi === Infinity ? beta * 2 : (beta + hi) / 2;
    } else {
      hi = beta;
      beta = lo === -Infinity ? beta / 2 : (beta + lo) / 2;
    }
  }
  return { beta, entropy: h };
}

/**
 * Calibrate each row of a kNN graph. indices/dist are row-major n x k
 * (neighbours of i, excluding i itself; dist squared Euclidean).
 */
export function calibrateRows(indices: Int32Array, dist: Float32Array | Float64Array, n: number, k: number, perplexity: number): ConditionalAffinities {
  if (!(perplexity > 0)) throw new RangeError(`perplexity must be > 0, got ${perplexity}`);
  if (perplexity >= k + 1) throw new RangeError(`perplexity ${perplexity} needs more than ${k} neighbours per point`);
  const target = Math.log(perplexity);
  const p = new Float64Array(n * k);
  const beta = new Float64Array(n);
  const entropy = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const r = calibrateRow(dist.subarray(i * k, (i + 1) * k), target, p, i * k, k);
    beta[i] = r.beta;
    entropy[i] = r.entropy;
  }
  return { n, k, indices, p, beta, entropy };
}

/** P = (P_cond + P_cond^T), normalised to sum 1, as CSR with sorted-free, merged rows. */
export function symmetrize(c: ConditionalAffinities): SparseAffinities {
  const { n, k, indices, p } = c;
  // Row degrees of the union pattern: each (i,j) entry contributes to rows i and j.
  const deg = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    for (let e = 0; e < k; e++) {
      deg[i]++;
      deg[indices[i * k + e]!]++;
    }
  }
  const start = new Int32Array(n + 1);
  for (let i = 0; i < n; i++) start[i + 1] = start[i]! + deg[i]!;
  const rawCols = new Int32Array(start[n]!);
  const rawVals = new Float64Array(start[n]!);
  const fill = start.slice(0, n);
  for (let i = 0; i < n; i++) {
    for (let e = 0; e < k; e++) {
      const j = indices[i * k + e]!;
      const v = p[i * k + e]!;
      rawCols[fill[i]!] = j;
      rawVals[fill[i]!++] = v;
      rawCols[fill[j]!] = i;
      rawVals[fill[j]!++] = v;
    }
  }
  // Merge duplicates (j in kNN(i) and i in kNN(j)) per row with a position marker.
  const pos = new Int32Array(n).fill(-1);
  const rowPtr = new Int32Array(n + 1);
  const cols = new Int32Array(start[n]!);
  const vals = new Float64Array(start[n]!);
  let at = 0;
  let total = 0;
  for (let i = 0; i < n; i++) {
    const rowStart = at;
    for (let e = start[i]!; e < start[i + 1]!; e++) {
      const j = rawCols[e]!;
      if (pos[j]! >= rowStart) {
        vals[pos[j]!] += rawVals[e]!;
      } else {
        pos[j] = at;
        cols[at] = j;
        vals[at++] = rawVals[e]!;
      }
    }
    rowPtr[i + 1] = at;
    for (let e = rowStart; e < at; e++) total += vals[e]!;
  }
  const norm = total > 0 ? 1 / total : 0;
  const outVals = vals.slice(0, at);
  for (let e = 0; e < at; e++) outVals[e] *= norm;
  return { n, rowPtr, cols: cols.slice(0, at), vals: outVals, sum: 1 };
}

/**
 * Each unordered pair {i, j} of a symmetric P once, in row i < j, its value
 * p_ij (= p_ji). The attraction loop then visits half the entries and applies
 * each force to both ends.
 */
export interface AffinityPairs {
  n: number;
  rowPtr: Int32Array;
  cols: Int32Array;
  vals: Float64Array;
}

export function upperPairs(p: SparseAffinities): AffinityPairs {
  const { n, rowPtr, cols, vals } = p;
  let count = 0;
  for (let i = 0; i < n; i++) for (let e = rowPtr[i]!; e < rowPtr[i + 1]!; e++) if (cols[e]! > i) count++;
  const outPtr = new Int32Array(n + 1);
  const outCols = new Int32Array(count);
  const outVals = new Float64Array(count);
  let at = 0;
  for (let i = 0; i < n; i++) {
    const start = at;
    for (let e = rowPtr[i]!; e < rowPtr[i + 1]!; e++) {
      if (cols[e]! > i) {
        outCols[at] = cols[e]!;
        outVals[at++] = vals[e]!;
      }
    }
    // ascending columns: the loop then walks y in memory order
    const order = Array.from({ length: at - start }, (_, k) => start + k).sort((a, b) => outCols[a]! - outCols[b]!);
    const c = order.map((k) => outCols[k]!);
    const v = order.map((k) => outVals[k]!);
    outCols.set(c, start);
    outVals.set(v, start);
    outPtr[i + 1] = at;
  }
  return { n, rowPtr: outPtr, cols: outCols, vals: outVals };
}

/**
 * Dense symmetric P (n x n, float32 tensor, zero diagonal, summing to 1) for the
 * exact method: every pair enters, the bandwidths are found by a bisection
 * vectorised over a chunk of rows on the active backend. Also returns the
 * entropy reached per row, for checking.
 */
export async function denseAffinities(x: tf.Tensor2D, perplexity: number, opts: { chunkElements?: number; tol?: number } = {}): Promise<{ p: tf.Tensor2D; entropy: Float32Array }> {
  const [n] = x.shape;
  if (perplexity >= n) throw new RangeError(`perplexity ${perplexity} must be below the number of points (${n})`);
  const target = Math.log(perplexity);
  const tol = opts.tol ?? 1e-4;
  const chunk = Math.max(1, Math.min(n, Math.floor((opts.chunkElements ?? 4_000_000) / n)));
  const entropy = new Float32Array(n);
  const rows: tf.Tensor2D[] = [];
  const sq = tf.tidy(() => tf.sum(tf.square(x), 1));
  for (let a = 0; a < n; a += chunk) {
    const b = Math.min(n, a + chunk);
    const c = b - a;
    const { dist, mask } = tf.tidy(() => {
      const xc = tf.slice(x, [a, 0], [c, -1]);
      const sqc = tf.slice(sq, [a], [c]);
      const d2 = tf.relu(tf.sub(tf.add(tf.expandDims(sqc, 1), tf.expandDims(sq, 0)), tf.mul(2, tf.matMul(xc, x, false, true))));
      // off-diagonal mask: 0 at (r, a + r)
      const eye = tf.oneHot(tf.range(a, b, 1, 'int32'), n);
      const m = tf.sub(1, eye);
      // shift by the row minimum over the other points (H is shift invariant)
      const dmin = tf.min(tf.add(d2, tf.mul(eye, 1e30)), 1, true);
      return { dist: tf.mul(tf.sub(d2, dmin), m) as tf.Tensor2D, mask: m as tf.Tensor2D };
    });
    // Bisection state lives in JS (c numbers); the n-wide work stays on the backend.
    const beta = new Float32Array(c);
    const lo = new Float64Array(c).fill(-Infinity);
    const hi = new Float64Array(c).fill(Infinity);
    const meanD = tf.tidy(() => tf.div(tf.sum(dist, 1), n - 1));
    const md = await meanD.data();
    meanD.dispose();
    for (let r = 0; r < c; r++) beta[r] = md[r]! > 0 ? 1 / md[r]! : 1;
    const done = new Uint8Array(c);
    for (let step = 0; step < MAX_STEPS; step++) {
      const h = tf.tidy(() => {
        const bt = tf.tensor2d(beta, [c, 1]);
        const e = tf.mul(tf.exp(tf.neg(tf.mul(dist, bt))), mask);
        const s = tf.sum(e, 1);
        const sdp = tf.sum(tf.mul(dist, e), 1);
        return tf.add(tf.log(s), tf.div(tf.mul(tf.squeeze(bt, [1]), sdp), s));
      });
      const hv = await h.data();
      h.dispose();
      let open = 0;
      for (let r = 0; r < c; r++) {
        if (done[r]) continue;
        const diff = hv[r]! - target;
        entropy[a + r] = hv[r]!;
        if (Math.abs(diff) <= tol) {
          done[r] = 1;
          continue;
        }
        open++;
        if (diff > 0) {
          lo[r] = beta[r]!;
          beta[r] = hi[r] === Infinity ? beta[r]! * 2 : (beta[r]! + hi[r]!) / 2;
        } else {
          hi[r] = beta[r]!;
          beta[r] = lo[r] === -Infinity ? beta[r]! / 2 : (beta[r]! + lo[r]!) / 2;
        }
      }
      if (open === 0) break;
    }
    const rowsP = tf.tidy(() => {
      const e = tf.mul(tf.exp(tf.neg(tf.mul(dist, tf.tensor2d(beta, [c, 1])))), mask);
      return tf.div(e, tf.sum(e, 1, true)) as tf.Tensor2D;
    });
    dist.dispose();
    mask.dispose();
    rows.push(rowsP);
  }
  sq.dispose();
  const p = tf.tidy(() => {
    const cond = rows.length === 1 ? rows[0]! : tf.concat(rows, 0);
    const sym = tf.add(cond, tf.transpose(cond));
    return tf.div(sym, tf.sum(sym)) as tf.Tensor2D;
  });
  for (const r of rows) r.dispose();
  return { p, entropy };
}
