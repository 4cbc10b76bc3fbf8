import type * as tf from '@tensorflow/tfjs';
import type { Model } from '../models/index.js';
import { createOptimizer, learningRateAt, type Optimizer, type OptimizerConfigInput } from '../optim/index.js';
import { DEFAULT_WEIGHT_DECAY, type TrainConfig } from '../../shared/train-config.js';
import type { NamedTensor } from './checkpoint.js';

/** The optimiser of a run together with its learning-rate schedule. */
export interface TrainOptimizer {
  /** learning rate for the optimiser step after `globalStep` steps */
  learningRate(globalStep: number): number;
  apply(grads: tf.NamedTensorMap, lr: number): void;
  /** slot tensors (clones; the caller disposes them) for a checkpoint */
  slots(): NamedTensor[];
  /** JSON facts about the optimiser for the checkpoint manifest */
  meta(): Record<string, unknown>;
  /** restore slots from a checkpoint */
  load(slots: Record<string, tf.Tensor>, meta: unknown): void;
  dispose(): void;
}

/** The optim module's config for a training config. */
export function optimizerConfigOf(cfg: TrainConfig): OptimizerConfigInput {
  const o = cfg.optimizer;
  switch (o.name) {
    case 'lars':
      return { kind: 'lars', momentum: o.momentum, weightDecay: o.weightDecay ?? DEFAULT_WEIGHT_DECAY.lars };
    case 'sgd':
      return { kind: 'sgd', momentum: o.momentum, weightDecay: o.weightDecay ?? DEFAULT_WEIGHT_DECAY.sgd };
    case 'adamw':
      return { kind: 'adamw', weightDecay: o.weightDecay ?? DEFAULT_WEIGHT_DECAY.adamw };
  }
}

export function createTrainOptimizer(cfg: TrainConfig, model: Model, sched: { peakLr: number; stepsPerEpoch: number; totalSteps: number }): TrainOptimizer {
  const config = optimizerConfigOf(cfg);
  const opt: Optimizer = createOptimizer(config, model.trainableParams());
  const schedule = {
    peak: sched.peakLr,
    warmupSteps: Math.min(sched.totalSteps, Math.round(cfg.optimizer.warmupEpochs * sched.stepsPerEpoch)),
    totalSteps: sched.totalSteps,
  };
  return {
    learningRate: (step) => learningRateAt(step, schedule),
    apply: (grads, lr) => opt.apply(grads, lr),
    slots: () => Object.entries(opt.getState()).map(([name, tensor]) => ({ name, tensor })),
    meta: () => ({ config, schedule, steps: opt.steps }),
    load: (slots) => opt.setState(slots),
    dispose: () => opt.dispose(),
  };
}
