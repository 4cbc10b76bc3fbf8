/**
 * The augmentation engine: seeded, batched SimCLR augmentations on the active
 * tfjs backend.
 *
 * Trainer (one stream per run, saved in checkpoints):
 *
 *   const pipeline = resolvePipeline('SimCLR CIFAR');          // or loadPipeline(pathOrName)
 *   const rng = Rng.fromSeed(seed);                             // resume: Rng.fromState(saved)
 *   for (const indices of batches) {
 *     const { view1, view2 } = augmentPair(set, indices, pipeline, rng);   // [n, S, S, 3] float32, normalised
 *     ...train on them...; view1.dispose(); view2.dispose();
 *   }
 *   checkpoint.rng = rng.state();
 *
 *   augmentBatch(set, indices, pipeline, rng)  -> one view (fine-tuning, supervised)
 *   evalBatch(set, indices, pipeline, { centerCrop? }) -> un-augmented, resized + normalised
 *
 * Designer (same code path, same stream):
 *
 *   await previewAugmentations(set, indices, pipeline, { pairs, seed, format: 'png' | 'rgba', includeValues? })
 *     -> per image: the original, `pairs` x [view 1, view 2] thumbnails and, per op,
 *        what it did (crop box, flipped, jitter factors and order, sigma, angle, ...).
 *   Pair k equals the k-th augmentPair call on Rng.fromSeed(seed) with the same indices, byte for byte.
 *
 * Semantics: images enter as bytes / 255 in [0, 1] with 3 channels (grey
 * replicated); ops run in pipeline order, each firing per sample with
 * probability p; crop ops output outputSize (otherwise a final resize does);
 * normalisation (x - mean) / std is the last step. The two views of a pair
 * are drawn independently (view 1 for the whole batch, then view 2). All
 * random numbers come from `rng` (xoshiro128**) in JS, none from tf.random.
 *
 * Pixels are identical for the same seed on the same backend; across backends
 * they agree to float rounding (kernels differ in summation order).
 */
import fs from 'node:fs';
import { PIPELINE_PRESET_NAMES, parsePipeline, resolvePipeline, type Pipeline } from '../../shared/pipeline.js';

export { augmentBatch, augmentPair, drawViews, evalBatch, imagesToTensor, normalizeViews, type DrawnViews } from './views.js';
export { previewAugmentations, toRgba, PREVIEW_LIMITS, type AugmentPreview, type PreviewOptions, type PreviewSample, type PreviewView, type Thumbnail, type ThumbnailFormat } from './preview.js';
export { Rng, RNG_ALGORITHM, type RngState } from './rng.js';
export { drawViewPlan, planRecords, runViewPlan, type OpRecord, type ViewPlan } from './plan.js';
export { OPS } from './ops/index.js';
export type { Box, OpContext, OpDef } from './op.js';
export type { RandomCropDraw, CenterCropDraw } from './ops/crop.js';
export type { ColorJitterDraw, JitterStep } from './ops/color-jitter.js';
export type { BlurDraw } from './ops/blur.js';
export type { Rotate90Draw } from './ops/rotate.js';
export type { CutoutDraw } from './ops/cutout.js';
export type { NoiseDraw } from './ops/noise.js';
export { PIPELINE_PRESETS, PIPELINE_PRESET_NAMES, PipelineError, parsePipeline, pipelinePreset, resolvePipeline, type Pipeline } from '../../shared/pipeline.js';

/**
 * A pipeline from a preset name, a JSON file path, or an object (the train
 * config's `pipeline` field). Errors name the file and the field.
 */
export function loadPipeline(spec: string | Record<string, unknown>): Pipeline {
  if (typeof spec !== 'string' || (PIPELINE_PRESET_NAMES as string[]).includes(spec)) return resolvePipeline(spec);
  let text: string;
  try {
    text = fs.readFileSync(spec, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new Error(`pipeline "${spec}" is neither a preset (${PIPELINE_PRESET_NAMES.join(', ')}) nor a readable file${code ? ` (${code})` : ''}`);
  }
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (err) {
    throw new Error(`${spec}: not valid JSON (${(err as Error).message})`);
  }
  return parsePipeline(raw, spec);
}
