import * as tf from '@tensorflow/tfjs';

/**
 * NT-Xent (normalised temperature-scaled cross entropy), SimCLR's contrastive loss.
 *
 * z holds 2N projections: rows 0..N-1 are the first view of each image and
 * rows N..2N-1 the second view, in the same image order. Each row's positive
 * is the other view of its image ((i + N) mod 2N); the other 2N-2 rows are
 * negatives; its similarity with itself is masked out with a large negative
 * logit (as the reference implementation does), so it never wins the softmax.
 *
 *   loss = mean_i [ logsumexp_{j != i}(s_ij / t) - s_{i,pos(i)} / t ],   s = cosine similarity
 */

/** Added to the self-similarity logits; exp() of it is exactly 0 in float32. */
export const LARGE_NEGATIVE = -1e9;

export interface NtXentResult {
  /** scalar mean loss over the 2N rows */
  loss: tf.Scalar;
  /** scalar fraction of rows whose positive has the highest logit (contrastive top-1 accuracy) */
  accuracy: tf.Scalar;
}

function checkInput(z: tf.Tensor, temperature: number): number {
  if (z.rank !== 2) throw new Error(`ntXent expects projections of shape [2N, d], got [${z.shape.join(', ')}]`);
  const rows = z.shape[0]!;
  if (rows < 2 || rows % 2 !== 0) throw new Error(`ntXent expects an even number of rows (two views of N images), got ${rows}`);
  if (!(temperature > 0) || !Number.isFinite(temperature)) throw new Error(`ntXent temperature must be a positive number, got ${temperature}`);
  return rows / 2;
}

/** [2N, 2N] logits s_ij / t with the diagonal masked, and the positive-pair one-hot mask. */
export function ntXentLogits(z: tf.Tensor2D, temperature: number): { logits: tf.Tensor2D; positives: tf.Tensor2D } {
  const n = checkInput(z, temperature);
  return tf.tidy(() => {
    // l2-normalise rows; the max() guards a zero vector (as tf.math.l2_normalize does)
    const norm = tf.sqrt(tf.maximum(tf.sum(tf.square(z), 1, true), 1e-24));
    const u = tf.div(z, norm);
    const sim = tf.matMul(u, u, false, true);
    const eye = tf.eye(2 * n);
    const logits = tf.add(tf.div(sim, temperature), tf.mul(eye, LARGE_NEGATIVE)) as tf.Tensor2D;
    // [[0, I], [I, 0]]: row i's positive is column (i + N) mod 2N
    // (built from eye, not oneHot: the wasm backend's float32 OneHot returns zeros in tfjs 4.22)
    const half = tf.eye(n);
    const zero = tf.zerosLike(half);
    const positives = tf.concat([tf.concat([zero, half], 1), tf.concat([half, zero], 1)], 0) as tf.Tensor2D;
    return { logits, positives };
  });
}

/**
 * Loss and contrastive accuracy. Differentiate the loss only, e.g.
 *   let acc!: tf.Scalar;
 *   const { value, grads } = tf.variableGrads(() => { const r = ntXent(z(), t); acc = tf.keep(r.accuracy); return r.loss; });
 */
export function ntXent(z: tf.Tensor2D, temperature: number): NtXentResult {
  checkInput(z, temperature);
  let accuracy!: tf.Scalar;
  const loss = tf.tidy(() => {
    const { logits, positives } = ntXentLogits(z, temperature);
    const positive = tf.sum(tf.mul(logits, positives), 1);
    const perRow = tf.sub(tf.logSumExp(logits, 1), positive);
    // accuracy: the positive's logit strictly above every other logit
    // (the positive's own column excluded with the same large negative as the diagonal)
    accuracy = tf.keep(
      tf.mean(tf.cast(tf.greater(positive, tf.max(tf.add(logits, tf.mul(positives, LARGE_NEGATIVE)), 1)), 'float32')) as tf.Scalar,
    );
    return tf.mean(perRow) as tf.Scalar;
  });
  return { loss, accuracy };
}

/** Contrastive top-1 accuracy alone (no gradient needed). */
export function contrastiveAccuracy(z: tf.Tensor2D, temperature = 1): tf.Scalar {
  const r = ntXent(z, temperature);
  r.loss.dispose();
  return r.accuracy;
}
