/**
 * Batches of augmented views for the trainer, and the un-augmented eval
 * transform. See index.ts for the API overview.
 */
import * as tf from '@tensorflow/tfjs';
import type { Pipeline } from '../../shared/pipeline.js';
import type { ImageSet } from '../data/types.js';
import { centerBox } from './ops/crop.js';
import { drawViewPlan, planRecords, runViewPlan, type OpRecord } from './plan.js';
import type { Rng } from './rng.js';
import { cropResize } from './tensor-util.js';

/**
 * The images at `indices` as a float32 [n, h, w, 3] tensor with values in
 * [0, 1] (byte / 255); grey sources are replicated into three channels.
 */
export function imagesToTensor(set: ImageSet, indices: ArrayLike<number>): tf.Tensor4D {
  const { height: h, width: w, channels: c } = set;
  const size = h * w * c;
  if (indices.length === 0) throw new RangeError('no image indices given: a batch needs at least one image');
  const bytes = new Uint8Array(indices.length * size);
  for (let i = 0; i < indices.length; i++) {
    const j = indices[i]!;
    if (!Number.isInteger(j) || j < 0 || j >= set.count) throw new RangeError(`image index ${j} out of range 0..${set.count - 1}`);
    bytes.set(set.images.subarray(j * size, (j + 1) * size), i * size);
  }
  return tf.tidy(() => {
    const x = tf.div(tf.tensor4d(new Float32Array(bytes), [indices.length, h, w, c]), 255) as tf.Tensor4D;
    return c === 1 ? tf.tile(x, [1, 1, 1, 3]) : x;
  });
}

/**
 * (x - mean) / std per channel. The constants are tiled to one whole image
 * first: broadcasting a [3] vector over the channel axis is 5x slower on both
 * native TensorFlow and wasm than broadcasting an image over the batch.
 */
export function normalizeViews(x: tf.Tensor4D, pipeline: Pipeline): tf.Tensor4D {
  const [, h, w] = x.shape;
  const image = (v: number[]) => tf.tile(tf.tensor4d(v, [1, 1, 1, 3]), [1, h, w, 1]);
  return tf.tidy(() => tf.div(tf.sub(x, image(pipeline.normalize.mean)), image(pipeline.normalize.std)));
}

export interface DrawnViews {
  /** each view in [0, 1] at outputSize, before normalisation */
  views: tf.Tensor4D[];
  /** per view, per sample, what each op did */
  records: OpRecord[][][];
}

/**
 * The shared core of training batches and previews: `count` independent views
 * of each image, drawn one whole view after another from `rng` (view 1 for
 * every sample, then view 2...). Returns un-normalised views; the caller
 * disposes them.
 */
export function drawViews(set: ImageSet, indices: ArrayLike<number>, pipeline: Pipeline, rng: Rng, count: number): DrawnViews {
  const source = { height: set.height, width: set.width };
  const plans = Array.from({ length: count }, () => drawViewPlan(pipeline, indices.length, source, rng));
  const x = imagesToTensor(set, indices);
  try {
    return { views: plans.map((plan) => runViewPlan(x, plan, pipeline.outputSize)), records: plans.map(planRecords) };
  } finally {
    x.dispose();
  }
}

function normalizeAll(views: tf.Tensor4D[], pipeline: Pipeline): tf.Tensor4D[] {
  return views.map((v) => {
    const out = normalizeViews(v, pipeline);
    v.dispose();
    return out;
  });
}

/**
 * Two independently augmented views of each image, normalised, float32
 * [n, outputSize, outputSize, 3]. Advances `rng`; the caller disposes both.
 */
export function augmentPair(set: ImageSet, indices: ArrayLike<number>, pipeline: Pipeline, rng: Rng): { view1: tf.Tensor4D; view2: tf.Tensor4D } {
  const [view1, view2] = normalizeAll(drawViews(set, indices, pipeline, rng, 2).views, pipeline);
  return { view1: view1!, view2: view2! };
}

/** One augmented view of each image (fine-tuning, supervised baselines); normalised. */
export function augmentBatch(set: ImageSet, indices: ArrayLike<number>, pipeline: Pipeline, rng: Rng): tf.Tensor4D {
  return normalizeAll(drawViews(set, indices, pipeline, rng, 1).views, pipeline)[0]!;
}

/**
 * The eval-time transform for un-augmented features: the central `centerCrop`
 * fraction of each side (1: the whole image) resized to outputSize, then
 * normalised. No randomness.
 */
export function evalBatch(set: ImageSet, indices: ArrayLike<number>, pipeline: Pipeline, opts: { centerCrop?: number } = {}): tf.Tensor4D {
  const fraction = opts.centerCrop ?? 1;
  if (!(fraction > 0 && fraction <= 1)) throw new RangeError(`centerCrop must be in (0, 1], got ${fraction}`);
  const x = imagesToTensor(set, indices);
  const box = centerBox(fraction, set);
  const exact = box.w === pipeline.outputSize && box.h === pipeline.outputSize && box.w === set.width && box.h === set.height;
  const sized = exact ? x : tf.tidy(() => cropResize(x, Array.from({ length: indices.length }, () => box), pipeline.outputSize));
  const out = normalizeViews(sized, pipeline);
  x.dispose();
  sized.dispose();
  return out;
}
