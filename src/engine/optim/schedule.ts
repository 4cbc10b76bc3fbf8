/**
 * Learning-rate scaling with batch size, and the per-step schedule: linear
 * warmup then cosine decay to zero, as in google-research/simclr
 * (WarmUpAndCosineDecay): lr(step) = peak * step / warmup during warmup, then
 * peak * 0.5 * (1 + cos(pi * (step - warmup) / (total - warmup))).
 */

export type LrScaling = 'linear' | 'sqrt' | 'none';

/**
 * The peak learning rate for a batch size: 'linear' base * batch / 256,
 * 'sqrt' base * sqrt(batch) (SimCLR uses base 0.075 with it), 'none' base.
 */
export function scaleLearningRate(base: number, batchSize: number, scaling: LrScaling): number {
  if (!(base >= 0) || !Number.isFinite(base)) throw new Error(`learning rate must be a finite number >= 0, got ${base}`);
  if (!Number.isInteger(batchSize) || batchSize < 1) throw new Error(`batch size must be a positive integer, got ${batchSize}`);
  switch (scaling) {
    case 'linear':
      return (base * batchSize) / 256;
    case 'sqrt':
      return base * Math.sqrt(batchSize);
    case 'none':
      return base;
    default:
      throw new Error(`learning-rate scaling "${String(scaling)}" is unknown: use linear, sqrt or none`);
  }
}

export interface LrSchedule {
  /** learning rate at the end of warmup */
  peak: number;
  warmupSteps: number;
  totalSteps: number;
}

/** Learning rate for optimizer step `step` (0-based). Past totalSteps it stays at 0. */
export function learningRateAt(step: number, s: LrSchedule): number {
  if (s.warmupSteps < 0 || s.totalSteps < 1 || s.warmupSteps > s.totalSteps) {
    throw new Error(`invalid schedule: need 0 <= warmupSteps (${s.warmupSteps}) <= totalSteps (${s.totalSteps}) and totalSteps >= 1`);
  }
  if (step < s.warmupSteps) return (s.peak * step) / s.warmupSteps;
  const decaySteps = s.totalSteps - s.warmupSteps;
  if (decaySteps === 0) return s.peak;
  const progress = Math.min(step - s.warmupSteps, decaySteps) / decaySteps;
  return s.peak * 0.5 * (1 + Math.cos(Math.PI * progress));
}
