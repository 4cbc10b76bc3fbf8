import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { currentBackend, initBackend } from '../../src/engine/backend/index.js';
import { originalWasmKernel, registerWasmTrainingKernels } from '../../src/engine/backend/wasm-training-kernels.js';
import * as R from './reference.js';

/** d/dw of sum(conv2d(x, w) * dy) for a fixed small problem, on whatever backend is current. */
function filterGrad(): Float32Array {
  return tf.tidy(() => {
    const x = tf.tensor4d(R.randn(1, [2, 6, 6, 3]), [2, 6, 6, 3]);
    const dy = tf.tensor4d(R.randn(2, [2, 3, 3, 4]), [2, 3, 3, 4]);
    const w = tf.tensor4d(R.randn(3, [3, 3, 3, 4]), [3, 3, 3, 4]);
    return Float32Array.from(tf.grad((v: tf.Tensor) => tf.conv2d(x, v as tf.Tensor4D, 2, 'same').mul(dy).sum())(w).dataSync());
  });
}

describe('switching backends in one process', () => {
  it('initBackend switches tensorflow -> wasm -> tensorflow -> wasm -> cpu, and currentBackend follows', async () => {
    const seen: string[] = [];
    const grads: Float32Array[] = [];
    for (const name of ['tensorflow', 'wasm', 'tensorflow', 'wasm', 'cpu'] as const) {
      const info = await initBackend(name);
      expect(info.name).toBe(name);
      expect(tf.getBackend()).toBe(name);
      expect(currentBackend()?.name).toBe(name);
      seen.push(info.source);
      grads.push(filterGrad());
    }
    expect(seen).toEqual(['@tensorflow/tfjs-node', '@tensorflow/tfjs-backend-wasm', '@tensorflow/tfjs-node', '@tensorflow/tfjs-backend-wasm', '@tensorflow/tfjs-backend-cpu']);
    const ref = R.conv2dBackpropFilter(R.ref([2, 6, 6, 3], R.randn(1, [2, 6, 6, 3])), R.ref([2, 3, 3, 4], R.randn(2, [2, 3, 3, 4])), [3, 3, 3, 4], [2, 2], 'same');
    for (const g of grads) expect(R.relErr(g, ref.data)).toBeLessThan(1e-4);
  });

  it('asking again for the current backend returns the same info without re-initialising', async () => {
    const a = await initBackend('wasm');
    const b = await initBackend('wasm');
    expect(b).toBe(a);
  });

  it('a tensor made on one backend is usable after switching (tfjs moves its data)', async () => {
    await initBackend('tensorflow');
    const t = tf.tensor1d([1, 2, 3]);
    await initBackend('wasm');
    expect(Array.from(t.mul(2).dataSync())).toEqual([2, 4, 6]);
    t.dispose();
  });

  it('registering the wasm training kernels again keeps wrapping the shipped kernels, not our wrappers', async () => {
    await initBackend('wasm');
    const shippedMatMul = originalWasmKernel('BatchMatMul');
    registerWasmTrainingKernels();
    registerWasmTrainingKernels();
    expect(originalWasmKernel('BatchMatMul')).toBe(shippedMatMul);
    const a = R.randn(4, [3, 5]);
    const b = R.randn(5, [4, 5]);
    const got = tf.tidy(() => tf.matMul(tf.tensor2d(a, [3, 5]), tf.tensor2d(b, [4, 5]), false, true).dataSync());
    expect(R.relErr(got, R.matMul(R.ref([3, 5], a), R.ref([4, 5], b), false, true).data)).toBeLessThan(1e-4);
  });
});
