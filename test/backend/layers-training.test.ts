import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { PARITY_BACKENDS, tolFor, use } from './parity.js';
import * as R from './reference.js';

/**
 * Ordinary tfjs training code — a tf.layers model (fused conv, batch-norm in
 * training mode, 1x1 conv, pooling, dense) stepped by an optimizer — runs
 * unchanged on every backend and lands on the same weights.
 */
async function trainTwoSteps(backend: (typeof PARITY_BACKENDS)[number]): Promise<{ weights: Map<string, Float32Array>; leaked: number }> {
  await use(backend);
  const before = tf.memory().numTensors;
  const model = tf.sequential({
    layers: [
      tf.layers.conv2d({ inputShape: [9, 9, 3], filters: 4, kernelSize: 3, strides: 2, padding: 'same', useBias: false }),
      tf.layers.batchNormalization(),
      tf.layers.activation({ activation: 'relu' }),
      tf.layers.conv2d({ filters: 6, kernelSize: 1, strides: 1, padding: 'valid', activation: 'relu' }),
      tf.layers.globalAveragePooling2d({}),
      tf.layers.dense({ units: 3 }),
    ],
  });
  // The same starting point everywhere (layer initialisers draw from tfjs's own random stream).
  model.weights.forEach((w, i) => {
    const shape = w.shape as number[];
    const value = w.name.includes('moving_variance') || w.name.includes('gamma') ? tf.ones(shape) : tf.tensor(R.randn(600 + i, shape, 0.4), shape);
    w.write(value);
    value.dispose();
  });
  const x = tf.tensor4d(R.randn(1, [4, 9, 9, 3]), [4, 9, 9, 3]);
  const y = tf.oneHot(tf.tensor1d([0, 2, 1, 2], 'int32'), 3);
  const opt = tf.train.momentum(0.1, 0.9);
  for (let step = 0; step < 2; step++) {
    opt.minimize(() => tf.losses.softmaxCrossEntropy(y, model.apply(x, { training: true }) as tf.Tensor) as tf.Scalar);
  }
  const out = new Map<string, Float32Array>();
  for (const w of model.weights) out.set(w.name, Float32Array.from(await w.read().data()));
  tf.dispose([x, y]);
  opt.dispose();
  model.dispose();
  return { weights: out, leaked: tf.memory().numTensors - before };
}

describe('a tf.layers model trained with an optimizer', () => {
  it('reaches the same weights on tensorflow, wasm (and webgpu) after two momentum steps', async () => {
    const runs = [] as Awaited<ReturnType<typeof trainTwoSteps>>[];
    for (const b of PARITY_BACKENDS) runs.push(await trainTwoSteps(b));
    // tfjs itself keeps a couple of tensors alive here (optimizer/layers
    // bookkeeping) on every backend; the backend kernels must add none.
    expect(new Set(runs.map((r) => r.leaked)).size).toBe(1);
    const [ref, ...others] = runs.map((r) => r.weights);
    expect(ref!.size).toBeGreaterThan(6);
    for (const [i, other] of others.entries()) {
      const tol = tolFor(PARITY_BACKENDS[i + 1]!);
      for (const [name, v] of ref!) {
        // Layer names carry a global counter, so match by position in the name list.
        const key = [...other.keys()][[...ref!.keys()].indexOf(name)]!;
        expect(R.relErr(other.get(key)!, v), `${PARITY_BACKENDS[i + 1]} ${name}`).toBeLessThan(tol);
      }
    }
  });
});
