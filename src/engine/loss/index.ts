/**
 * Losses.
 *
 * Public API
 * ----------
 *   ntXent(z: Tensor2D [2N, d], temperature: number): { loss: Scalar, accuracy: Scalar }
 *     SimCLR's NT-Xent. Rows 0..N-1 are view 1 and rows N..2N-1 view 2 of the same N images
 *     (row i's positive is row (i + N) mod 2N). Rows are l2-normalised inside; self-similarity is
 *     masked with LARGE_NEGATIVE. loss = mean over all 2N rows of the cross entropy of the positive.
 *     accuracy = fraction of rows whose positive logit is strictly the largest (contrastive top-1).
 *     Both are new tensors the caller disposes. Inside tf.variableGrads return `loss` and tf.keep the
 *     accuracy:  let acc; tf.variableGrads(() => { const r = ntXent(z, t); acc = tf.keep(r.accuracy); return r.loss; }, vars)
 *   ntXentLogits(z, temperature): { logits [2N, 2N] (diagonal masked), positives (one-hot [2N, 2N]) }
 *   contrastiveAccuracy(z, temperature = 1): Scalar
 *   LARGE_NEGATIVE = -1e9
 */
export { contrastiveAccuracy, LARGE_NEGATIVE, ntXent, ntXentLogits } from './nt-xent.js';
export type { NtXentResult } from './nt-xent.js';
