import * as tf from '@tensorflow/tfjs';

/**
 * Native TensorFlow kernels that tfjs composes from many small ops:
 * FusedBatchNormV3 in training mode and its gradient, and ReluGrad. Reached
 * through the tensorflow backend's executeMultipleOutputs, so nothing here
 * imports @tensorflow/tfjs-node. Callers check nativeAvailable() first and
 * keep a composed path for wasm/cpu.
 */

interface OpAttr {
  name: string;
  type: number;
  value: unknown;
}
interface NativeBinding {
  TF_FLOAT: number;
  TF_ATTR_STRING: number;
  TF_ATTR_FLOAT: number;
  TF_ATTR_BOOL: number;
  TF_ATTR_TYPE: number;
}
interface NativeBackend {
  binding: NativeBinding;
  executeMultipleOutputs(name: string, attrs: OpAttr[], inputs: tf.Tensor[], numOutputs: number): tf.Tensor[];
  executeSingleOutput(name: string, attrs: OpAttr[], inputs: tf.Tensor[]): tf.Tensor;
}

/** The native backend when the current backend is tfjs-node's, else null. */
export function nativeBackend(): NativeBackend | null {
  if (tf.getBackend() !== 'tensorflow') return null;
  const b = tf.backend() as unknown as Partial<NativeBackend>;
  return typeof b.executeMultipleOutputs === 'function' && b.binding ? (b as NativeBackend) : null;
}

export function nativeAvailable(): boolean {
  return nativeBackend() !== null;
}

function need(): NativeBackend {
  const b = nativeBackend();
  if (!b) throw new Error(`native TensorFlow kernels need the tensorflow backend (current: ${tf.getBackend()}); use the composed kernels`);
  return b;
}

function bnAttrs(b: NativeBackend, epsilon: number, extra: OpAttr[] = []): OpAttr[] {
  const f32 = b.binding.TF_FLOAT;
  return [
    { name: 'T', type: b.binding.TF_ATTR_TYPE, value: f32 },
    { name: 'U', type: b.binding.TF_ATTR_TYPE, value: f32 },
    { name: 'epsilon', type: b.binding.TF_ATTR_FLOAT, value: epsilon },
    { name: 'data_format', type: b.binding.TF_ATTR_STRING, value: 'NHWC' },
    { name: 'is_training', type: b.binding.TF_ATTR_BOOL, value: true },
    ...extra,
  ];
}

export interface FusedBnTrainOut {
  y: tf.Tensor4D;
  /** (1 - f) * movingMean + f * batch mean   [C] */
  movingMean: tf.Tensor1D;
  /** (1 - f) * movingVariance + f * batch variance (Bessel-corrected, n / (n - 1))   [C] */
  movingVariance: tf.Tensor1D;
  /** opaque tensors FusedBatchNormGradV3 needs (saved mean, saved variance or inverse std, workspace) */
  reserve: [tf.Tensor, tf.Tensor, tf.Tensor];
}

/**
 * Batch norm in training mode over N, H, W of an NHWC tensor: one native
 * kernel that normalises with the batch statistics and also returns the
 * updated running statistics (exponential_avg_factor f = 1 - momentum).
 */
export function fusedBatchNormTrain(
  x: tf.Tensor4D,
  gamma: tf.Tensor1D,
  beta: tf.Tensor1D,
  movingMean: tf.Tensor1D,
  movingVariance: tf.Tensor1D,
  epsilon: number,
  factor: number,
): FusedBnTrainOut {
  const b = need();
  const attrs = bnAttrs(b, epsilon, [{ name: 'exponential_avg_factor', type: b.binding.TF_ATTR_FLOAT, value: factor }]);
  const [y, mean, variance, r1, r2, r3] = b.executeMultipleOutputs('FusedBatchNormV3', attrs, [x, gamma, beta, movingMean, movingVariance], 6);
  return { y: y as tf.Tensor4D, movingMean: mean as tf.Tensor1D, movingVariance: variance as tf.Tensor1D, reserve: [r1!, r2!, r3!] };
}

/** Gradients of fusedBatchNormTrain: [dx, dgamma, dbeta]. */
export function fusedBatchNormTrainGrad(
  dy: tf.Tensor4D,
  x: tf.Tensor4D,
  gamma: tf.Tensor1D,
  reserve: readonly tf.Tensor[],
  epsilon: number,
): [tf.Tensor4D, tf.Tensor1D, tf.Tensor1D] {
  const b = need();
  const out = b.executeMultipleOutputs('FusedBatchNormGradV3', bnAttrs(b, epsilon), [dy, x, gamma, reserve[0]!, reserve[1]!, reserve[2]!], 5);
  out[3]!.dispose();
  out[4]!.dispose();
  return [out[0] as tf.Tensor4D, out[1] as tf.Tensor1D, out[2] as tf.Tensor1D];
}

/** dy where features > 0, else 0 (features may be the ReLU's input or its output). */
export function reluGrad<T extends tf.Tensor>(dy: T, features: tf.Tensor): T {
  const b = need();
  return b.executeSingleOutput('ReluGrad', [{ name: 'T', type: b.binding.TF_ATTR_TYPE, value: b.binding.TF_FLOAT }], [dy, features]) as T;
}
