/**
 * Exact t-SNE gradient as tensor operations on the active backend, in row
 * chunks so memory stays at a few chunk x n buffers (P itself is n x n):
 *
 *   w_ij = 1 / (1 + |y_i - y_j|^2),  Z = sum_{i != j} w_ij
 *   grad_i = 4 (exaggeration sum_j p_ij w_ij (y_i - y_j) - sum_j w_ij^2 (y_i - y_j) / Z)
 *
 * Each chunk gives sum_j M_ij [y_j, 1] for M = P.W and M = W.W with one matmul
 * against [Y, 1] (n x 3); the gradient is y_i * (row sum) - (weighted sum).
 * Distances are formed from coordinate differences, not |a|^2 + |b|^2 - 2ab,
 * so nearby points keep their precision in float32 however large |y| grows.
 */
import * as tf from '@tensorflow/tfjs';

export class ExactGradient {
  private readonly p: tf.Tensor2D;
  private readonly n: number;
  private readonly chunk: number;

  /** p: dense symmetric affinities summing to 1 (kept, disposed by dispose()). */
  constructor(p: tf.Tensor2D, opts: { chunkElements?: number } = {}) {
    this.p = p;
    this.n = p.shape[0];
    this.chunk = Math.max(1, Math.min(this.n, Math.floor((opts.chunkElements ?? 2_000_000) / this.n)));
  }

  /** Writes the gradient into grad (interleaved n x 2); returns KL(P || Q) when wantKl, else NaN. */
  async gradient(y: Float64Array, exaggeration: number, grad: Float64Array, wantKl: boolean): Promise<number> {
    const n = this.n;
    const parts: tf.Tensor[] = [];
    let z = 0;
    let klPart = 0;
    const [yt, xs, ys, y1] = tf.tidy(() => {
      const t = tf.tensor2d(Float32Array.from(y.subarray(0, 2 * n)), [n, 2]);
      return [t, tf.reshape(tf.slice(t, [0, 0], [n, 1]), [1, n]), tf.reshape(tf.slice(t, [0, 1], [n, 1]), [1, n]), tf.concat([t, tf.ones([n, 1])], 1)];
    });
    try {
      const sums: tf.Tensor[] = [];
      for (let a = 0; a < n; a += this.chunk) {
        const c = Math.min(n, a + this.chunk) - a;
        const out = tf.tidy(() => {
          const xc = tf.slice(yt, [a, 0], [c, 1]);
          const yc = tf.slice(yt, [a, 1], [c, 1]);
          const d = tf.add(tf.squaredDifference(xc, xs), tf.squaredDifference(yc, ys));
          const w = tf.reciprocal(tf.add(d, 1));
          const pc = tf.slice(this.p, [a, 0], [c, n]);
          const attr = tf.matMul(tf.mul(pc, w), y1); // c x 3
          const rep = tf.matMul(tf.square(w), y1); // c x 3
          const zs = tf.sum(w); // includes w_ii = 1
          const kl = wantKl ? tf.sum(tf.mul(pc, tf.sub(tf.log(tf.maximum(pc, 1e-30)), tf.log(w)))) : tf.scalar(0);
          return { ar: tf.concat([attr, rep], 1), s: tf.stack([zs, kl]) };
        });
        parts.push(out.ar);
        sums.push(out.s);
      }
      const all = tf.concat(parts, 0);
      const allSums = tf.stack(sums);
      const [ar, s] = await Promise.all([all.data(), allSums.data()]);
      all.dispose();
      allSums.dispose();
      tf.dispose(sums);
      for (let i = 0; i < s.length; i += 2) {
        z += s[i]!;
        klPart += s[i + 1]!;
      }
      z = Math.max(z - n, 1e-12);
      const invZ = 1 / z;
      for (let i = 0; i < n; i++) {
        const yx = y[2 * i]!;
        const yy = y[2 * i + 1]!;
        const o = 6 * i;
        const ax = yx * ar[o + 2]! - ar[o]!;
        const ay = yy * ar[o + 2]! - ar[o + 1]!;
        const rx = yx * ar[o + 5]! - ar[o + 3]!;
        const ry = yy * ar[o + 5]! - ar[o + 4]!;
        grad[2 * i] = 4 * (exaggeration * ax - rx * invZ);
        grad[2 * i + 1] = 4 * (exaggeration * ay - ry * invZ);
      }
    } finally {
      tf.dispose(parts);
      tf.dispose([yt, xs, ys, y1]);
    }
    // KL = sum p log(p / (w / Z)) = sum p (log p - log w) + log Z (P sums to 1)
    return wantKl ? klPart + Math.log(z) : NaN;
  }

  dispose(): void {
    this.p.dispose();
  }
}
