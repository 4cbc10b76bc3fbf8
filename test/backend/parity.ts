import * as tf from '@tensorflow/tfjs';
import { initBackend } from '../../src/engine/backend/index.js';
import type { BackendName } from '../../src/engine/backend/index.js';
import { SWIFTSHADER_ENV, webgpuSkipReason } from './webgpu-env.js';

// Dawn reads VK_ICD_FILENAMES when it is first probed: point it at SwiftShader for the suites.
if (!webgpuSkipReason) for (const [k, v] of Object.entries(SWIFTSHADER_ENV)) process.env[k] ??= v;

/**
 * The backends every parity test runs on, in one process (initBackend switches with tf.setBackend).
 * webgpu runs on SwiftShader where its Vulkan ICD is installed (webgpu-env.ts says why not otherwise).
 */
export const PARITY_BACKENDS: BackendName[] = webgpuSkipReason ? ['tensorflow', 'wasm'] : ['tensorflow', 'wasm', 'webgpu'];

/** Parity bound from the issue: relative error (max-abs, scaled) below 1e-4. */
export const TOL = 1e-4;

/**
 * The bound per backend. webgpu sums in other orders (tiled matmul, per-thread
 * convolution loops, tree reductions) and its exp/log are the GPU's own, not
 * libm's: 5e-4 (the issue measured conv2d gradients within it on SwiftShader).
 */
export function tolFor(backend: BackendName): number {
  return backend === 'webgpu' ? 5e-4 : TOL;
}

export async function use(backend: BackendName): Promise<void> {
  const info = await initBackend(backend);
  if (tf.getBackend() !== backend || info.name !== backend) throw new Error(`wanted ${backend}, running ${tf.getBackend()}`);
}

/** Run f in a tidy scope and copy every returned tensor out as plain floats (async reads: webgpu has no sync ones). */
export async function values<K extends string>(f: () => Record<K, tf.Tensor>): Promise<Record<K, Float32Array>> {
  const out = {} as Record<K, Float32Array>;
  const before = tf.memory().numTensors;
  const dataBefore = tf.backend().numDataIds();
  const kept = tf.tidy(() => {
    const ts = f();
    for (const k of Object.keys(ts) as K[]) tf.keep(ts[k]);
    return ts;
  });
  for (const k of Object.keys(kept) as K[]) out[k] = Float32Array.from(await kept[k].data());
  tf.dispose(Object.values(kept) as tf.Tensor[]);
  // Kernels that compose other kernels must free their intermediates: a leak
  // shows as tensors (engine) or data buffers (backend) left behind.
  const leaked = tf.memory().numTensors - before;
  const leakedData = tf.backend().numDataIds() - dataBefore;
  if (leaked !== 0 || leakedData !== 0) throw new Error(`${leaked} tensors / ${leakedData} buffers leaked on ${tf.getBackend()}`);
  return out;
}
