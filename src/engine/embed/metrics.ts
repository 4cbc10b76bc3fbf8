/**
 * Quality of a low-dimensional embedding:
 *
 *   trustworthiness(x, y, k)  Venna and Kaski 2001, as sklearn.manifold.trustworthiness:
 *     T = 1 - 2 / (n k (2n - 3k - 1)) * sum_i sum_{j in N_k^Y(i)} max(0, r(i, j) - k)
 *     where r(i, j) is the rank of j among i's neighbours in the input space (1 = nearest).
 *   knnAccuracy(y, labels, k)  leave-one-out k-NN majority vote in the embedding.
 *
 * Both use exact neighbours from knn.ts; the input-space ranks are counted on
 * the backend in row chunks (how many points are closer than each embedding
 * neighbour), so no n x n matrix is ever held.
 */
import * as tf from '@tensorflow/tfjs';
import { centered, knn, type Points } from './knn.js';

export async function trustworthiness(x: Points, y: Points, k = 10, opts: { chunkElements?: number } = {}): Promise<number> {
  const n = x.n;
  if (y.n !== n) throw new RangeError(`trustworthiness: ${n} input points but ${y.n} embedded points`);
  if (k >= n / 2) throw new RangeError(`trustworthiness: k = ${k} must be below n / 2 = ${n / 2}`);
  const nnY = await knn(y, k);
  const xt = tf.tidy(() => centered(tf.tensor2d(x.data, [n, x.d])));
  const sq = tf.tidy(() => tf.sum(tf.square(xt), 1));
  // chunk rows so that the c x k x n comparison stays bounded
  const chunk = Math.max(1, Math.min(n, Math.floor((opts.chunkElements ?? 8_000_000) / (n * k))));
  let penalty = 0;
  try {
    for (let a = 0; a < n; a += chunk) {
      const c = Math.min(n, a + chunk) - a;
      const ranks = tf.tidy(() => {
        const xc = tf.slice(xt, [a, 0], [c, x.d]);
        const d2 = tf.sub(tf.add(tf.expandDims(tf.slice(sq, [a], [c]), 1), tf.expandDims(sq, 0)), tf.mul(2, tf.matMul(xc, xt, false, true)));
        // exclude the point itself from the count
        const d = tf.add(d2, tf.mul(tf.oneHot(tf.range(a, a + c, 1, 'int32'), n), 1e30));
        const nbr = tf.tensor2d(nnY.indices.subarray(a * k, (a + c) * k), [c, k], 'int32');
        const dn = tf.gatherND(d, tf.stack([tf.tile(tf.expandDims(tf.range(0, c, 1, 'int32'), 1), [1, k]), nbr], 2)); // c x k
        // rank = 1 + #points strictly closer
        return tf.add(tf.sum(tf.cast(tf.less(tf.expandDims(d, 1), tf.expandDims(dn, 2)), 'int32'), 2), 1);
      });
      const r = await ranks.data();
      ranks.dispose();
      for (let i = 0; i < r.length; i++) if (r[i]! > k) penalty += r[i]! - k;
    }
  } finally {
    xt.dispose();
    sq.dispose();
  }
  return 1 - (2 / (n * k * (2 * n - 3 * k - 1))) * penalty;
}

/**
 * Fraction of points whose k nearest neighbours in `y` (excluding the point)
 * vote for the point's own label; ties go to the label of the nearest
 * neighbour among the tied labels.
 */
export async function knnAccuracy(y: Points, labels: ArrayLike<number>, k = 10): Promise<number> {
  const n = y.n;
  if (labels.length !== n) throw new RangeError(`knnAccuracy: ${n} points but ${labels.length} labels`);
  const nn = await knn(y, k);
  const votes = new Map<number, number>();
  let correct = 0;
  for (let i = 0; i < n; i++) {
    votes.clear();
    for (let e = 0; e < k; e++) {
      const l = labels[nn.indices[i * k + e]!]!;
      votes.set(l, (votes.get(l) ?? 0) + 1);
    }
    let best = -1;
    for (const v of votes.values()) if (v > best) best = v;
    let pred = -1;
    for (let e = 0; e < k && pred < 0; e++) {
      const l = labels[nn.indices[i * k + e]!]!;
      if (votes.get(l) === best) pred = l;
    }
    if (pred === labels[i]) correct++;
  }
  return correct / n;
}
