/**
 * Optimisers and learning-rate schedules.
 *
 * Public API
 * ----------
 *   createOptimizer(config: OptimizerConfigInput, params: OptimizerParam[]): Optimizer
 *     config (zod: OptimizerConfigSchema, parseOptimizerConfig; weight-decay defaults: DEFAULT_WEIGHT_DECAY in src/shared/train-config.ts):
 *       { kind: 'lars',  momentum = 0.9, weightDecay, eeta = 0.001, nesterov = false }
 *       { kind: 'sgd',   momentum = 0.9, nesterov = false, weightDecay = 0, excludeBnAndBias = true }
 *       { kind: 'adamw', beta1 = 0.9, beta2 = 0.999, epsilon = 1e-8, weightDecay, excludeBnAndBias = true }
 *     params: { name, variable, bnOrBias } — pass model.trainableParams() (or a group of them).
 *     LARS (google-research/simclr tf2/lars_optimizer.py, classic momentum):
 *       g' = g + wd * w;  trust = eeta * ||w|| / ||g'|| if both norms > 0 else 1;
 *       v = momentum * v + lr * trust * g';  w = w - v   (Nesterov: w = w - (momentum * v + lr * trust * g'))
 *       batch-norm gamma/beta and biases: no weight decay and trust = 1.
 *       The squared norms of all parameters come back to the host in one read per step (one sync
 *       point) and the trust ratios are formed in float64.
 *     SGD: g' = g + wd * w; v = momentum * v + g'; w = w - lr * v (Nesterov: w = w - lr * (g' + momentum * v)).
 *     AdamW: w = w * (1 - lr * wd); m, v moments; w = w - lr * m_hat / (sqrt(v_hat) + eps).
 *
 *   Optimizer
 *     apply(grads: NamedTensorMap, lr: number): void   grads keyed by variable name (tf.variableGrads)
 *                                                      or param name; caller disposes grads
 *     steps: number                                    updates applied
 *     getState(): Record<string, Tensor>               'steps' (int32 scalar) + '<slot>/<param name>'
 *                                                      (slots: momentum | adam_m, adam_v); clones, caller disposes
 *     setState(state)                                  validates names/shapes, then replaces the slots
 *     dispose()
 *
 *   scaleLearningRate(base, batchSize, 'linear' | 'sqrt' | 'none'): number
 *     linear: base * batch / 256;  sqrt: base * sqrt(batch) (SimCLR: base 0.075);  none: base
 *   learningRateAt(step, { peak, warmupSteps, totalSteps }): number
 *     peak * step / warmupSteps during warmup (0 at step 0, as the reference), then cosine decay to 0
 *     at totalSteps; call once per optimizer step.
 */
export { createOptimizer } from './optimizer.js';
export type { Optimizer, OptimizerParam } from './optimizer.js';
export { AdamWConfigSchema, LarsConfigSchema, OptimizerConfigSchema, parseOptimizerConfig, SgdConfigSchema } from './config.js';
export type { AdamWConfig, LarsConfig, OptimizerConfig, OptimizerConfigInput, OptimizerKind, SgdConfig } from './config.js';
export { learningRateAt, scaleLearningRate } from './schedule.js';
export type { LrScaling, LrSchedule } from './schedule.js';
