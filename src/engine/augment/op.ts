import type * as tf from '@tensorflow/tfjs';
import type { OpName, OpParams } from '../../shared/pipeline.js';
import type { Rng } from './rng.js';

/** The images entering an op: all samples of a batch share one size. */
export interface OpContext {
  height: number;
  width: number;
  /** the pipeline's output side */
  outputSize: number;
}

/** A crop box in pixels of the op's input image (x, y: top-left corner). */
export interface Box {
  x: number;
  y: number;
  w: number;
  h: number;
}

/**
 * One augmentation op. `draw` picks one sample's random parameters in JS from
 * the pipeline's stream; `apply` runs the op as batched tensor ops on the
 * samples where it fired, given their draws in the same order. The draws are
 * plain JSON and double as the preview's record of what the op did.
 *
 * Ops with `resizes` (the crops) run on every sample, because they set the
 * batch's size: a sample where the op did not fire gets `idle`'s draw (the
 * whole image), so it is only resized.
 */
export interface OpDef<N extends OpName, D extends object> {
  op: N;
  resizes?: boolean;
  /** throw (with a message naming the op) when the params cannot apply to images of this size */
  check?(params: OpParams<N>, ctx: OpContext, step: number): void;
  draw(params: OpParams<N>, rng: Rng, ctx: OpContext): D;
  idle?(params: OpParams<N>, ctx: OpContext): D;
  apply(x: tf.Tensor4D, params: OpParams<N>, draws: D[], ctx: OpContext): tf.Tensor4D;
}

/** The size of the images an op produces. */
export function outputContext(def: { resizes?: boolean }, ctx: OpContext): OpContext {
  return def.resizes ? { height: ctx.outputSize, width: ctx.outputSize, outputSize: ctx.outputSize } : ctx;
}
