import * as tf from '@tensorflow/tfjs';
import { parseModelConfig, type ModelConfig, type ModelConfigInput } from '../../shared/model-config.js';
import { initialValues } from './init.js';
import { residualBlock, stemLayer, type BlockVars } from './blocks.js';
import { batchNorm, dense, type BnOptions, type BnVars } from './layers.js';
import { nativeAvailable } from './native-ops.js';
import { countParams, isBnOrBias, isTrainable, planModel, type BnSpec, type ConvSpec, type DenseSpec, type ModelPlan, type ParamGroup, type ParamRole } from './spec.js';

/** 'auto': native fused kernels on the tensorflow backend, composed tfjs ops elsewhere. */
export type KernelChoice = 'auto' | 'fused' | 'composed';

export interface CreateModelOptions {
  kernels?: KernelChoice;
}

/** One named variable of the model. */
export interface Param {
  /** stable name used in checkpoints, e.g. encoder/layer1.0/conv1/kernel */
  name: string;
  variable: tf.Variable;
  group: ParamGroup;
  role: ParamRole;
  /** false for batch-norm running statistics */
  trainable: boolean;
  /** batch-norm gamma/beta and biases: LARS excludes them from weight decay and trust-ratio adaptation */
  bnOrBias: boolean;
}

export interface SetWeightsOptions {
  /** leave variables that `weights` lacks as they are (e.g. load an encoder into a model with a new head) */
  allowMissing?: boolean;
  /** skip names the model does not have (e.g. a projection head when only the encoder matters) */
  ignoreUnknown?: boolean;
}

export interface Model {
  readonly config: ModelConfig;
  readonly seed: number;
  readonly plan: ModelPlan;
  /** dimension of the representation h */
  readonly featureDim: number;
  /** dimension of the projection z */
  readonly projectionDim: number;
  /** every variable, trainable and running statistics, in creation order */
  readonly params: readonly Param[];
  /** encoder f: NHWC float32 images -> h [B, featureDim] (global average pooled) */
  encode(x: tf.Tensor4D, training: boolean): tf.Tensor2D;
  /** projection head g: h -> z [B, projectionDim] (Linear-BN-ReLU-Linear, then BN(gamma only) when projection.outputBatchNorm) */
  project(h: tf.Tensor2D, training: boolean): tf.Tensor2D;
  /** linear classifier head: h -> logits [B, numClasses]; throws when config.numClasses is unset */
  classify(h: tf.Tensor2D): tf.Tensor2D;
  /** encode then project */
  forward(x: tf.Tensor4D, training: boolean): { h: tf.Tensor2D; z: tf.Tensor2D };
  /** trainable params, optionally of some groups only (e.g. ['classifier'] for a linear probe) */
  trainableParams(groups?: readonly ParamGroup[]): Param[];
  /** their variables, the varList for tf.variableGrads */
  trainableVariables(groups?: readonly ParamGroup[]): tf.Variable[];
  /** trainable scalars (running statistics excluded) */
  numParams(groups?: readonly ParamGroup[]): number;
  /** name -> a clone of every variable (running statistics included); the caller disposes them */
  getWeights(): Record<string, tf.Tensor>;
  /** assign by name; checks names and shapes before changing anything */
  setWeights(weights: Record<string, tf.Tensor>, options?: SetWeightsOptions): void;
  /** the kernels the next call will use */
  kernels(): 'fused' | 'composed';
  dispose(): void;
}

let modelCounter = 0;

/** Says so when weights and model differ only in whether the projection head ends in batch norm. */
function headHint(weights: Record<string, tf.Tensor>, model: Map<string, Param>): string {
  const has = (n: string) => n in weights;
  const modelHas = (n: string) => model.has(n);
  if (has('projection/fc2/bias') && !has('projection/bn2/gamma') && modelHas('projection/bn2/gamma')) {
    return '; the weights have the older projection head, Linear(bias) without output batch norm: build the model with projection.outputBatchNorm = false';
  }
  if (!has('projection/fc2/bias') && has('projection/bn2/gamma') && modelHas('projection/fc2/bias')) {
    return '; the weights have a projection head ending in batch norm: build the model with projection.outputBatchNorm = true';
  }
  return '';
}

/**
 * Build a model from a (partial) config and a seed. Same config + seed gives
 * bit-identical initial weights on every backend.
 */
export function createModel(configInput: ModelConfigInput | ModelConfig, seed = 0, options: CreateModelOptions = {}): Model {
  const config = parseModelConfig(configInput);
  const plan = planModel(config);
  const choice = options.kernels ?? 'auto';
  const id = ++modelCounter;
  const byName = new Map<string, Param>();
  const params: Param[] = plan.params.map((spec) => {
    const values = initialValues(spec.init, spec.shape.reduce((a, b) => a * b, 1), seed, spec.name);
    const trainable = isTrainable(spec.role);
    // tfjs variable names are global: prefix with a model id so several models can coexist
    const variable = tf.tidy(() => tf.variable(tf.tensor(values, spec.shape, 'float32'), trainable, `model${id}/${spec.name}`));
    const p: Param = { name: spec.name, variable, group: spec.group, role: spec.role, trainable, bnOrBias: isBnOrBias(spec.role) };
    byName.set(spec.name, p);
    return p;
  });
  let disposed = false;

  const v = (name: string): tf.Variable => {
    if (disposed) throw new Error('model used after dispose()');
    const p = byName.get(name);
    if (!p) throw new Error(`model has no variable ${name}`);
    return p.variable;
  };
  const bnVars = (b: BnSpec): BnVars => ({
    gamma: v(`${b.name}/gamma`),
    beta: b.center ? v(`${b.name}/beta`) : null,
    movingMean: v(`${b.name}/moving_mean`),
    movingVariance: v(`${b.name}/moving_variance`),
  });
  const kernel = (c: ConvSpec) => v(`${c.name}/kernel`) as unknown as tf.Tensor4D;
  const blockVars: BlockVars = { kernel, bn: bnVars };

  const kernels = (): 'fused' | 'composed' => {
    if (choice === 'composed') return 'composed';
    const native = nativeAvailable();
    if (choice === 'fused' && !native) throw new Error(`fused kernels need the tensorflow backend (current: ${tf.getBackend()}); use kernels: 'auto' or 'composed'`);
    return native ? 'fused' : 'composed';
  };
  const bnOpts = (training: boolean): BnOptions => ({ training, momentum: config.bnMomentum, epsilon: config.bnEpsilon, fused: kernels() === 'fused' });
  const denseLayer = (d: DenseSpec, x: tf.Tensor2D) =>
    dense(x, v(`${d.name}/kernel`) as unknown as tf.Tensor2D, d.bias ? (v(`${d.name}/bias`) as unknown as tf.Tensor1D) : undefined);

  const encode = (x: tf.Tensor4D, training: boolean): tf.Tensor2D => {
    if (x.rank !== 4 || x.shape[3] !== config.inputChannels) {
      throw new Error(`encode expects NHWC images with ${config.inputChannels} channels, got shape [${x.shape.join(', ')}]`);
    }
    if (x.dtype !== 'float32') throw new Error(`encode expects float32 images, got ${x.dtype}: convert (and scale) them first`);
    return tf.tidy(() => {
      const o = { ...bnOpts(training), padding: config.padding };
      const { stem, blocks } = plan.encoder;
      let y = stemLayer(x, stem, blockVars, o);
      for (const b of blocks) y = residualBlock(y, b, blockVars, o);
      return tf.mean(y, [1, 2]) as tf.Tensor2D;
    });
  };

  const project = (h: tf.Tensor2D, training: boolean): tf.Tensor2D =>
    tf.tidy(() => {
      const { fc1, bn1, fc2, bn2 } = plan.heads.projection;
      const a = batchNorm(denseLayer(fc1, h), bnVars(bn1), { ...bnOpts(training), relu: true });
      const z = denseLayer(fc2, a);
      return bn2 ? batchNorm(z, bnVars(bn2), bnOpts(training)) : z;
    });

  const classify = (h: tf.Tensor2D): tf.Tensor2D => {
    const c = plan.heads.classifier;
    if (!c) throw new Error('this model has no classifier head: set numClasses in the model config');
    return denseLayer(c, h);
  };

  const trainableParams = (groups?: readonly ParamGroup[]) => params.filter((p) => p.trainable && (!groups || groups.includes(p.group)));

  return {
    config,
    seed,
    plan,
    featureDim: plan.encoder.featureDim,
    projectionDim: config.projection.outDim,
    params,
    encode,
    project,
    classify,
    forward(x, training) {
      const h = encode(x, training);
      return { h, z: project(h, training) };
    },
    trainableParams,
    trainableVariables: (groups) => trainableParams(groups).map((p) => p.variable),
    numParams: (groups) => countParams(plan, groups),
    getWeights() {
      if (disposed) throw new Error('model used after dispose()');
      const out: Record<string, tf.Tensor> = {};
      // clones share the data (no copy) and stay valid after the next update
      for (const p of params) out[p.name] = tf.clone(p.variable);
      return out;
    },
    setWeights(weights, opts = {}) {
      if (disposed) throw new Error('model used after dispose()');
      const problems: string[] = [];
      for (const [name, t] of Object.entries(weights)) {
        const p = byName.get(name);
        if (!p) {
          if (!opts.ignoreUnknown) problems.push(`unknown variable ${name}`);
        } else if (!tf.util.arraysEqual(p.variable.shape, t.shape)) {
          problems.push(`${name} has shape [${t.shape.join(', ')}], the model expects [${p.variable.shape.join(', ')}]`);
        }
      }
      if (!opts.allowMissing) {
        const missing = params.filter((p) => !(p.name in weights)).map((p) => p.name);
        if (missing.length) problems.push(`missing ${missing.length} variable(s): ${missing.slice(0, 5).join(', ')}${missing.length > 5 ? ', ...' : ''}`);
      }
      if (problems.length) throw new Error(`setWeights: ${problems.join('; ')} (check that the checkpoint was written for this model config${headHint(weights, byName)})`);
      for (const [name, t] of Object.entries(weights)) {
        const p = byName.get(name);
        if (!p) continue;
        if (t.dtype === 'float32') {
          p.variable.assign(t);
        } else {
          const cast = tf.cast(t, 'float32');
          p.variable.assign(cast);
          cast.dispose();
        }
      }
    },
    kernels,
    dispose() {
      if (disposed) return;
      disposed = true;
      for (const p of params) p.variable.dispose();
    },
  };
}
