/**
 * How much memory a training run needs, estimated from the model's plan
 * before any tensor exists, so an impossible config is refused with a
 * message instead of driving the machine into swap (or a raw "Invalid typed
 * array length"). An estimate, deliberately on the generous side of the
 * tensors training keeps alive at its peak; not a measurement.
 */
import os from 'node:os';
import type { ModelConfig } from '../../shared/model-config.js';
import { countParams, planModel, type ConvSpec } from '../models/spec.js';

const F32 = 4;
/** float tensors kept per conv/dense layer for the backward pass: its output, the BN output, the ReLU output */
const KEPT_PER_LAYER = 3;
/**
 * The backward pass holds activation gradients beside the activations: tf.profile
 * of a ResNet-18 x0.25 step peaks at about 2.05x the forward tensors above (batch
 * 16 and 64); a margin on top.
 */
const BACKWARD = 2.5;
/** weights, gradients and the update's temporaries, plus the optimiser's slots */
const SLOTS: Record<string, number> = { lars: 1, sgd: 1, adamw: 2 };

export interface MemoryEstimate {
  params: number;
  paramBytes: number;
  activationBytes: number;
  totalBytes: number;
}

/** Parameter and activation memory for one training step on 2 x batchSize views of imageSize² pixels. */
export function estimateTrainingMemory(model: ModelConfig, batchSize: number, imageSize: number, optimizer: string): MemoryEstimate {
  const plan = planModel(model);
  const params = countParams(plan);
  const paramBytes = params * F32 * (3 + (SLOTS[optimizer] ?? 2));
  const views = 2 * batchSize;
  let side = imageSize;
  let act = views * side * side * model.inputChannels * F32 * 2; // the views and their augmentation temporaries
  const conv = (c: ConvSpec, at: number) => {
    const out = Math.ceil(at / c.stride);
    act += views * out * out * c.cout * F32 * KEPT_PER_LAYER;
    return out;
  };
  side = conv(plan.encoder.stem.conv, side);
  if (plan.encoder.stem.kind === 'imagenet') {
    side = Math.ceil(side / 2); // max pool
    act += views * side * side * plan.encoder.stem.conv.cout * F32;
  }
  for (const b of plan.encoder.blocks) {
    let s = side;
    for (const c of b.convs) s = conv(c, s);
    if (b.shortcut) conv(b.shortcut.conv, side);
    side = s;
  }
  const { fc1, fc2 } = plan.heads.projection;
  act += views * (fc1.cin + fc1.cout * KEPT_PER_LAYER + fc2.cout * KEPT_PER_LAYER) * F32;
  act += views * views * F32 * 4; // NT-Xent: similarities, their exp, softmax and its gradient
  act *= BACKWARD;
  return { params, paramBytes, activationBytes: act, totalBytes: paramBytes + act };
}

function gb(bytes: number): string {
  return `${(bytes / 2 ** 30).toFixed(bytes < 2 ** 30 ? 2 : 1)} GB`;
}

/** Training may use at most this share of the machine's memory. */
export const MEMORY_SHARE = 0.75;

/**
 * Refuse a config whose estimate exceeds what this machine (or the given
 * device limit) can hold, naming the field that drives it.
 */
export function checkTrainingMemory(
  est: MemoryEstimate,
  cfg: { batchSize: number; model: { projectionDim: number; projectionHiddenDim?: number } },
  limit: { bytes: number; what: string } = { bytes: os.totalmem() * MEMORY_SHARE, what: `${Math.round(MEMORY_SHARE * 100)}% of this machine's ${gb(os.totalmem())}` },
): void {
  if (est.totalBytes <= limit.bytes) return;
  const field =
    est.activationBytes >= est.paramBytes
      ? `batchSize ${cfg.batchSize}`
      : cfg.model.projectionHiddenDim && cfg.model.projectionHiddenDim > cfg.model.projectionDim
        ? `model.projectionHiddenDim ${cfg.model.projectionHiddenDim}`
        : `model.projectionDim ${cfg.model.projectionDim}`;
  throw new Error(
    `${field}: training would need about ${gb(est.totalBytes)} (${est.params.toLocaleString('en-US')} parameters: ${gb(est.paramBytes)} with gradients and optimiser state; activations: ${gb(est.activationBytes)}), more than ${limit.what}; lower it`,
  );
}
