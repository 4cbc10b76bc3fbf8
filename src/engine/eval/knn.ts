/**
 * Weighted kNN classifier on frozen features: the monitor the SimCLR trainer
 * runs every K epochs, and the kNN protocol of the evaluation module.
 *
 * Following the usual SimCLR/InstDisc monitor: features are L2-normalised, the
 * similarity is the cosine (dot product of unit vectors), the k most similar
 * memory-bank entries vote for their label with weight exp(sim / T), and the
 * class with the largest summed vote wins (ties: the lowest class index).
 * Everything runs as batched tensor ops: one [B, N] similarity block per query
 * batch, topk, a one-hot vote sum.
 *
 *   extractFeatures(forward, set, opts) -> tf.Tensor2D [count, D] (caller disposes)
 *   knnPredict(bank, bankLabels, queries, opts) -> Int32Array predicted classes
 *   knnAccuracy(bank, bankLabels, queries, queryLabels, opts) -> fraction correct
 */
import * as tf from '@tensorflow/tfjs';
import type { ImageSet } from '../data/types.js';
import { abortError } from '../abort.js';

export interface KnnOptions {
  /** neighbours that vote (clipped to the bank size); default 200 */
  k?: number;
  /** vote weight exp(sim / temperature); default 0.1 */
  temperature?: number;
  /** number of classes; default max(label) + 1 */
  numClasses?: number;
  /** queries per similarity block; default 256 */
  queryBatch?: number;
  signal?: AbortSignal;
}

export const KNN_DEFAULTS = { k: 200, temperature: 0.1, queryBatch: 256 } as const;

/** Rows scaled to unit L2 norm (zero rows stay zero). */
export function l2Normalize(x: tf.Tensor2D): tf.Tensor2D {
  return tf.tidy(() => {
    const norm = tf.sqrt(tf.sum(tf.square(x), 1, true));
    return tf.div(x, tf.maximum(norm, 1e-12)) as tf.Tensor2D;
  });
}

function maxLabel(labels: Int32Array): number {
  let m = -1;
  for (const l of labels) if (l > m) m = l;
  return m;
}

/**
 * Predicted class of each query row. `bank` and `queries` need not be
 * normalised; neither is disposed.
 */
export async function knnPredict(bank: tf.Tensor2D, bankLabels: Int32Array, queries: tf.Tensor2D, opts: KnnOptions = {}): Promise<Int32Array> {
  const [n, d] = bank.shape;
  if (bankLabels.length !== n) throw new Error(`knn: ${bankLabels.length} bank labels for ${n} bank rows`);
  if (queries.shape[1] !== d) throw new Error(`knn: query features have ${queries.shape[1]} dimensions, the bank ${d}`);
  if (n === 0) throw new Error('knn: the memory bank is empty');
  for (const l of bankLabels) if (l < 0) throw new Error('knn: the memory bank has unlabelled images (label -1); kNN needs labels');
  const numClasses = opts.numClasses ?? maxLabel(bankLabels) + 1;
  const k = Math.min(opts.k ?? KNN_DEFAULTS.k, n);
  const temperature = opts.temperature ?? KNN_DEFAULTS.temperature;
  const queryBatch = opts.queryBatch ?? KNN_DEFAULTS.queryBatch;

  const bankUnit = l2Normalize(bank);
  const labelsT = tf.tensor1d(bankLabels, 'int32');
  const out = new Int32Array(queries.shape[0]);
  try {
    for (let start = 0; start < queries.shape[0]; start += queryBatch) {
      if (opts.signal?.aborted) throw abortError();
      const size = Math.min(queryBatch, queries.shape[0] - start);
      const pred = tf.tidy(() => {
        const q = l2Normalize(tf.slice(queries, [start, 0], [size, d]));
        const sim = tf.matMul(q, bankUnit, false, true); // [B, N]
        const { values, indices } = tf.topk(sim, k, true); // [B, k]
        // exp(sim/T) overflows float32 for T below ~0.011; shifting by each row's
        // best similarity (topk sorts, so column 0) scales a row's votes alike.
        const best = tf.slice(values, [0, 0], [-1, 1]);
        const weights = tf.exp(tf.div(tf.sub(values, best), temperature));
        const neighbourLabels = tf.gather(labelsT, indices); // [B, k]
        const votes = tf.sum(tf.mul(tf.oneHot(neighbourLabels, numClasses), tf.expandDims(weights, 2)), 1); // [B, C]
        return tf.argMax(votes, 1);
      });
      out.set(await pred.data(), start);
      pred.dispose();
    }
  } finally {
    bankUnit.dispose();
    labelsT.dispose();
  }
  return out;
}

/** Fraction of queries whose kNN prediction equals their label. */
export async function knnAccuracy(bank: tf.Tensor2D, bankLabels: Int32Array, queries: tf.Tensor2D, queryLabels: Int32Array, opts: KnnOptions = {}): Promise<number> {
  if (queryLabels.length !== queries.shape[0]) throw new Error(`knn: ${queryLabels.length} query labels for ${queries.shape[0]} queries`);
  if (queryLabels.length === 0) throw new Error('knn: no query images');
  const pred = await knnPredict(bank, bankLabels, queries, opts);
  let correct = 0;
  for (let i = 0; i < pred.length; i++) if (pred[i] === queryLabels[i]) correct++;
  return correct / pred.length;
}

export interface ExtractOptions {
  batchSize?: number;
  /**
   * The model input for images `indices` of the set, e.g. the augmentation
   * module's evalBatch(set, indices, pipeline); default: bytes / 255 as float32.
   */
  input?: (set: ImageSet, indices: number[]) => tf.Tensor4D;
  signal?: AbortSignal;
}

/** Default input: pixels as float32 in [0, 1], NHWC as stored. */
export function unitFloatInput(set: ImageSet, indices: number[]): tf.Tensor4D {
  const per = set.height * set.width * set.channels;
  const bytes = new Float32Array(indices.length * per);
  indices.forEach((j, i) => {
    const src = set.images.subarray(j * per, (j + 1) * per);
    for (let p = 0; p < per; p++) bytes[i * per + p] = src[p]! / 255;
  });
  return tf.tensor4d(bytes, [indices.length, set.height, set.width, set.channels]);
}

/**
 * Run `forward` (inference mode, returns [B, D]) over the images of a set in
 * batches and stack the rows: [count, D], in set order. The caller disposes the result.
 */
export async function extractFeatures(forward: (x: tf.Tensor4D) => tf.Tensor2D, set: ImageSet, opts: ExtractOptions = {}): Promise<tf.Tensor2D> {
  const batchSize = opts.batchSize ?? 256;
  const input = opts.input ?? unitFloatInput;
  if (set.count === 0) throw new Error('extractFeatures: the image set is empty');
  const parts: tf.Tensor2D[] = [];
  try {
    for (let start = 0; start < set.count; start += batchSize) {
      if (opts.signal?.aborted) throw abortError();
      const indices = Array.from({ length: Math.min(batchSize, set.count - start) }, (_, i) => start + i);
      parts.push(tf.tidy(() => forward(input(set, indices))));
      // Let the event loop breathe (progress events, cancellation) between batches.
      await new Promise<void>((r) => setImmediate(r));
    }
    return parts.length === 1 ? (parts[0]!.clone() as tf.Tensor2D) : (tf.concat(parts, 0) as tf.Tensor2D);
  } finally {
    for (const p of parts) p.dispose();
  }
}
