import * as tf from '@tensorflow/tfjs';
import type { ConvPadding } from '../../shared/model-config.js';
import { fusedBatchNormTrain, fusedBatchNormTrainGrad, reluGrad } from './native-ops.js';

/**
 * Layer functions over tensors. Batch norm comes in two implementations with
 * the same maths and the same custom gradient boundary:
 *  - fused: TensorFlow's FusedBatchNormV3 / FusedBatchNormGradV3 (+ Relu/ReluGrad),
 *    a handful of native kernels per layer (tensorflow backend only);
 *  - composed: tfjs ops with the closed-form backward pass (any backend).
 * Each BN call can also add a residual and apply ReLU inside the same gradient
 * node, so a ResNet block's tail (BN, +shortcut, ReLU) is one node on the tape.
 * A BN without beta (scale only, Keras center=False) normalises to gamma * xhat:
 * the fused kernel gets a zero offset that is a plain tensor, not a variable, so
 * nothing trains it and its gradient is dropped.
 */

export interface BnVars {
  gamma: tf.Variable;
  /** null: no offset (scale-only batch norm) */
  beta: tf.Variable | null;
  movingMean: tf.Variable;
  movingVariance: tf.Variable;
}

export interface BnOptions {
  /** batch statistics (and running-stat update) when true; running statistics when false */
  training: boolean;
  /** running = momentum * running + (1 - momentum) * batch */
  momentum: number;
  epsilon: number;
  /** use the native fused kernels (tensorflow backend only) */
  fused: boolean;
  relu?: boolean;
  /** added after normalisation, before the ReLU */
  residual?: tf.Tensor;
}

/** Batch norm over every axis but the last (NHWC or [N, C]); optionally + residual, then ReLU. */
export function batchNorm<T extends tf.Tensor>(x: T, bn: BnVars, opts: BnOptions): T {
  if (!opts.training) return batchNormInference(x, bn, opts);
  if (x.shape[0]! < 2) {
    throw new Error(`batch norm in training mode needs at least 2 samples per batch (got a batch of ${x.shape[0]})`);
  }
  const relu = opts.relu ?? false;
  const inputs: tf.Tensor[] = [x, bn.gamma];
  if (bn.beta) inputs.push(bn.beta);
  if (opts.residual) inputs.push(opts.residual);
  const flags = { relu, hasBeta: bn.beta !== null, hasResidual: !!opts.residual };
  const node = opts.fused ? fusedTrainNode(bn, opts.momentum, opts.epsilon, flags) : composedTrainNode(bn, opts.momentum, opts.epsilon, flags);
  return node(...inputs) as T;
}

function batchNormInference<T extends tf.Tensor>(x: T, bn: BnVars, opts: BnOptions): T {
  return tf.tidy(() => {
    const offset = bn.beta ? (bn.beta as tf.Tensor1D) : undefined;
    let y: tf.Tensor = tf.batchNorm4d(as4d(x), bn.movingMean as tf.Tensor1D, bn.movingVariance as tf.Tensor1D, offset, bn.gamma as tf.Tensor1D, opts.epsilon);
    if (x.rank !== 4) y = tf.reshape(y, x.shape);
    if (opts.residual) y = tf.add(y, opts.residual);
    if (opts.relu) y = tf.relu(y);
    return y as T;
  });
}

/** Exponential moving average of the batch statistics; `variance` is already Bessel-corrected. */
function updateRunning(bn: BnVars, mean: tf.Tensor, variance: tf.Tensor, momentum: number): void {
  tf.tidy(() => {
    bn.movingMean.assign(tf.add(tf.mul(bn.movingMean, momentum), tf.mul(mean, 1 - momentum)));
    bn.movingVariance.assign(tf.add(tf.mul(bn.movingVariance, momentum), tf.mul(variance, 1 - momentum)));
  });
}

function as4d(x: tf.Tensor): tf.Tensor4D {
  return x.rank === 4 ? (x as tf.Tensor4D) : tf.reshape(x, [x.shape[0]!, 1, 1, x.shape[x.rank - 1]!]);
}

interface NodeFlags {
  relu: boolean;
  /** the node's inputs are [x, gamma, beta?, residual?] */
  hasBeta: boolean;
  hasResidual: boolean;
}

function fusedTrainNode(bn: BnVars, momentum: number, epsilon: number, { relu, hasBeta, hasResidual }: NodeFlags) {
  return tf.customGrad((...args: unknown[]) => {
    const [x, gamma] = args as tf.Tensor1D[];
    const beta = hasBeta ? (args[2] as tf.Tensor1D) : null;
    const residual = hasResidual ? (args[hasBeta ? 3 : 2] as tf.Tensor) : null;
    const save = args[args.length - 1] as tf.GradSaveFunc;
    const shape = x!.shape;
    const x4 = as4d(x!);
    // FusedBatchNormV3 always takes an offset: zeros (not a variable) for a scale-only BN
    const offset = beta ?? tf.zeros([gamma!.shape[0]!]);
    const o = fusedBatchNormTrain(x4, gamma!, offset, bn.movingMean as tf.Tensor1D, bn.movingVariance as tf.Tensor1D, epsilon, 1 - momentum);
    if (!beta) offset.dispose();
    bn.movingMean.assign(o.movingMean);
    bn.movingVariance.assign(o.movingVariance);
    let y: tf.Tensor = o.y;
    if (residual) y = tf.add(y, x!.rank === 4 ? residual : tf.reshape(residual, y.shape));
    if (relu) y = tf.relu(y);
    save([x4, gamma!, ...o.reserve, y]);
    return {
      value: x!.rank === 4 ? y : tf.reshape(y, shape),
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
        const [sx, sgamma, r1, r2, r3, out] = saved;
        let dz = as4d(dy);
        if (relu) dz = reluGrad(dz, out!);
        const [dx, dgamma, dbeta] = fusedBatchNormTrainGrad(dz, sx as tf.Tensor4D, sgamma as tf.Tensor1D, [r1!, r2!, r3!], epsilon);
        const grads: tf.Tensor[] = [dy.rank === 4 ? dx : tf.reshape(dx, shape), dgamma];
        if (hasBeta) grads.push(dbeta);
        else dbeta.dispose();
        if (hasResidual) grads.push(dy.rank === 4 ? dz : tf.reshape(dz, shape));
        return grads;
      },
    };
  });
}

/**
 * Sum over every axis but the last, one axis at a time (W, then H, then N).
 * Why: some backends (wasm) reduce sequentially in float32, so one 4096-term
 * sum already carries ~1e-4 relative error, and batch norm's backward pass
 * subtracts nearly equal sums; staged sums keep each run short.
 */
function stagedSum(x: tf.Tensor): tf.Tensor {
  let s = x;
  for (let axis = x.rank - 2; axis >= 0; axis--) s = tf.sum(s, axis);
  return s;
}

function composedTrainNode(bn: BnVars, momentum: number, epsilon: number, { relu, hasBeta, hasResidual }: NodeFlags) {
  return tf.customGrad((...args: unknown[]) => {
    const [x, gamma] = args as tf.Tensor[];
    const beta = hasBeta ? (args[2] as tf.Tensor) : null;
    const residual = hasResidual ? (args[hasBeta ? 3 : 2] as tf.Tensor) : null;
    const save = args[args.length - 1] as tf.GradSaveFunc;
    const count = x!.size / x!.shape[x!.rank - 1]!;
    const mean = tf.div(stagedSum(x!), count);
    const centred = tf.sub(x!, mean);
    const variance = tf.div(stagedSum(tf.square(centred)), count);
    updateRunning(bn, mean, tf.mul(variance, count / (count - 1)), momentum);
    const invStd = tf.rsqrt(tf.add(variance, epsilon));
    const xhat = tf.mul(centred, invStd);
    let y = tf.mul(xhat, gamma!);
    if (beta) y = tf.add(y, beta);
    if (residual) y = tf.add(y, residual);
    if (relu) y = tf.relu(y);
    save([xhat, invStd, gamma!, y]);
    return {
      value: y,
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
        const [sxhat, sinv, sgamma, out] = saved;
        const dz = relu ? tf.mul(dy, tf.step(out!)) : dy;
        const dbeta = stagedSum(dz);
        const dgamma = stagedSum(tf.mul(dz, sxhat!));
        // dx = gamma / std * (dz - mean(dz) - xhat * mean(dz * xhat))
        const dx = tf.mul(tf.mul(sgamma!, sinv!), tf.sub(tf.sub(dz, tf.div(dbeta, count)), tf.mul(sxhat!, tf.div(dgamma, count))));
        const grads: tf.Tensor[] = [dx, dgamma];
        if (hasBeta) grads.push(dbeta);
        if (hasResidual) grads.push(dz);
        return grads;
      },
    };
  });
}

/** Explicit [before, after] padding of one spatial axis for a k-wide window: floor((k-1)/2) each side. */
function symmetricPads(k: number): [number, number] {
  const p = Math.floor((k - 1) / 2);
  return [p, p];
}

/**
 * Conv without bias (every ResNet conv is followed by batch norm), HWIO kernel.
 * 'symmetric' pads floor((k-1)/2) zeros on every side then runs a 'valid' conv
 * (PyTorch padding=k//2, the reference's fixed_padding). A stride-1 conv with an
 * odd kernel is the same under 'same', so only strided convs pay for the pad
 * (tfjs-node's filter-gradient kernel takes no explicit padding, hence tf.pad).
 * 'tf-same': TensorFlow 'SAME' (format-1 models).
 */
export function conv2d(x: tf.Tensor4D, kernel: tf.Tensor4D, stride: number, padding: ConvPadding): tf.Tensor4D {
  const k = kernel.shape[0];
  if (padding === 'tf-same' || (stride === 1 && k % 2 === 1)) return tf.conv2d(x, kernel, stride, 'same');
  const [a, b] = symmetricPads(k);
  if (a === 0 && b === 0) return tf.conv2d(x, kernel, stride, 'valid');
  return tf.tidy(() => tf.conv2d(tf.pad(x, [[0, 0], [a, b], [a, b], [0, 0]]), kernel, stride, 'valid'));
}

/**
 * Max-pool (the ImageNet stem's 3x3/2). 'symmetric' pads floor((k-1)/2) on every
 * side with -Infinity, so a padded cell never wins (PyTorch MaxPool2d(padding=1)).
 */
export function maxPool(x: tf.Tensor4D, k: number, stride: number, padding: ConvPadding): tf.Tensor4D {
  if (padding === 'tf-same') return tf.maxPool(x, k, stride, 'same');
  const [a, b] = symmetricPads(k);
  return tf.tidy(() => tf.maxPool(tf.pad(x, [[0, 0], [a, b], [a, b], [0, 0]], -Infinity), k, stride, 'valid'));
}

export function dense(x: tf.Tensor2D, kernel: tf.Tensor2D, bias?: tf.Tensor1D): tf.Tensor2D {
  return bias ? tf.tidy(() => tf.add(tf.matMul(x, kernel), bias)) : tf.matMul(x, kernel);
}
