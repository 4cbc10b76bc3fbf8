/**
 * Models: ResNet encoders, the SimCLR projection head and a linear classifier head.
 *
 * Public API
 * ----------
 *   createModel(config: ModelConfigInput | ModelConfig, seed = 0, options?: { kernels?: 'auto' | 'fused' | 'composed' }): Model
 *     config: see src/shared/model-config.ts (ModelConfigSchema, MODEL_PRESETS, resolveModelConfig,
 *     stemForImageSize). Same config + seed -> bit-identical initial weights on every backend.
 *     kernels 'auto' uses TensorFlow's fused batch-norm kernels on the tensorflow backend and
 *     composed tfjs ops elsewhere (the two agree to float32 round-off).
 *
 *   Model
 *     encode(x: Tensor4D NHWC float32, training): Tensor2D h [B, featureDim]
 *     project(h, training): Tensor2D z [B, projection.outDim]
 *       projection.outputBatchNorm (default, the reference head):
 *         Linear(no bias)-BN-ReLU-Linear(no bias)-BN(gamma only: no beta, z = gamma * standardised)
 *       else: Linear(no bias)-BN-ReLU-Linear(bias)
 *     classify(h): Tensor2D logits [B, numClasses]                  only when config.numClasses is set
 *     forward(x, training): { h, z }
 *     training = true: batch norm uses the statistics of the whole batch passed in (so pass both
 *       views of a SimCLR batch, 2N images, in one call) and updates the running mean/variance
 *       (running = m * running + (1 - m) * batch, m = config.bnMomentum, variance Bessel-corrected).
 *       Every training-mode call updates the running stats, also outside a gradient tape.
 *     training = false: running statistics, nothing is updated.
 *     The model does not rescale pixels: feed what the data pipeline produces (e.g. [0, 1]).
 *
 *     params: Param[]  { name, variable, group: 'encoder'|'projection'|'classifier',
 *                        role: 'kernel'|'bias'|'bn_gamma'|'bn_beta'|'bn_mean'|'bn_variance',
 *                        trainable, bnOrBias }          (bnOrBias: LARS skips decay + adaptation)
 *     trainableParams(groups?) / trainableVariables(groups?)   e.g. tf.variableGrads(f, model.trainableVariables())
 *     numParams(groups?)                                       trainable scalars, running stats excluded
 *     getWeights(): Record<name, Tensor>   clones of every variable incl. BN running stats; caller disposes
 *     setWeights(weights, { allowMissing?, ignoreUnknown? })  validates names/shapes before assigning
 *     kernels(): 'fused' | 'composed'
 *     dispose()
 *
 *   Names: encoder/stem/conv/kernel, encoder/stem/bn/{gamma,beta,moving_mean,moving_variance},
 *     encoder/layer<s>.<i>/conv<j>/kernel, .../bn<j>/..., .../shortcut/conv/kernel, .../shortcut/bn/...,
 *     projection/fc1/kernel, projection/bn1/..., then with the output BN projection/fc2/kernel and
 *     projection/bn2/{gamma,moving_mean,moving_variance} (no beta: not a variable at all, so optimisers
 *     and checkpoints never see one), without it projection/fc2/{kernel,bias}; classifier/{kernel,bias}.
 *     zeroInitResidual: every residual block's last BN gamma (bn2 basic, bn3 bottleneck) starts at 0.
 *     Older checkpoints have projection/fc2/bias and no projection/bn2: load them into a model with
 *     projection.outputBatchNorm = false (run.json read through parseRunRecord resolves to that;
 *     setWeights says so when the two differ just there).
 *     Conv kernels are HWIO [k, k, in, out]; dense kernels [in, out].
 *
 *   planModel(config): ModelPlan, countParams(plan, groups?)   shapes and counts without allocating
 *   batchNorm(x, bnVars, { training, momentum, epsilon, fused, relu?, residual? })   the layer itself
 *     (bnVars.beta null: scale-only BN; the fused kernel then gets a zero offset tensor, no gradient)
 *   nativeAvailable(): boolean   whether the fused kernels can run (tensorflow backend)
 *
 * Kernels
 *   fused (tensorflow): each BN (+ residual add + ReLU) is one gradient node running
 *     FusedBatchNormV3 (which also returns the updated running stats) forward and ReluGrad +
 *     FusedBatchNormGradV3 backward. composed (wasm/cpu): the same node from tfjs ops with the
 *     closed-form backward pass; its sums run one axis at a time because wasm reduces
 *     sequentially in float32. Convs are tf.conv2d without bias; config.padding 'symmetric'
 *     (default, model format 2) pads floor((k-1)/2) on each side like PyTorch / the reference's
 *     fixed_padding (strided convs: tf.pad then 'valid'), 'tf-same' is TensorFlow 'SAME'
 *     (format-1 runs, which load with it). The ImageNet stem's 3x3/2 max-pool follows the same mode.
 *   Where a ResNet-18 step spends its time on tensorflow (2 cores, 256 views of 32x32): ~75% in
 *     the three conv kernels (filter gradient > input gradient > forward), ~14% batch norm,
 *     the rest ReLU/add/update; see the measurements in the issue-5 report.
 *
 * A SimCLR step (the trainer's job, shown for the shapes):
 *   const { value: loss, grads } = tf.variableGrads(() => ntXent(model.forward(views2N, true).z, t).loss,
 *                                                   model.trainableVariables());
 *   grads are keyed by the tf.Variable's internal name; optimiser.apply maps them back (see ../optim).
 */
export { createModel } from './model.js';
export type { CreateModelOptions, KernelChoice, Model, Param, SetWeightsOptions } from './model.js';
export { countParams, isBnOrBias, isTrainable, planModel } from './spec.js';
export type { BlockPlan, BnSpec, ConvSpec, EncoderPlan, HeadPlan, ModelPlan, ParamGroup, ParamRole, ParamSpec } from './spec.js';
export { batchNorm, conv2d, dense, maxPool } from './layers.js';
export { residualBlock, stemLayer } from './blocks.js';
export type { BlockOptions, BlockVars } from './blocks.js';
export type { BnOptions, BnVars } from './layers.js';
export { nativeAvailable } from './native-ops.js';
