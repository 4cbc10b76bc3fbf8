import * as tf from '@tensorflow/tfjs';
import { initBackend } from '../../src/engine/backend/index.js';
import type { BackendName } from '../../src/engine/backend/index.js';

/** The backends every parity test runs on, in one process (initBackend switches with tf.setBackend). */
export const PARITY_BACKENDS: BackendName[] = ['tensorflow', 'wasm'];

/** Parity bound from the issue: relative error (max-abs, scaled) below 1e-4. */
export const TOL = 1e-4;

export async function use(backend: BackendName): Promise<void> {
  const info = await initBackend(backend);
  if (tf.getBackend() !== backend || info.name !== backend) throw new Error(`wanted ${backend}, running ${tf.getBackend()}`);
}

/** Run f in a tidy scope and copy every returned tensor out as plain floats. */
export function values<K extends string>(f: () => Record<K, tf.Tensor>): Record<K, Float32Array> {
  const out = {} as Record<K, Float32Array>;
  const before = tf.memory().numTensors;
  const dataBefore = tf.backend().numDataIds();
  tf.tidy(() => {
    const ts = f();
    for (const k of Object.keys(ts) as K[]) out[k] = Float32Array.from(ts[k].dataSync());
  });
  // Kernels that compose other kernels must free their intermediates: a leak
  // shows as tensors (engine) or data buffers (backend) left behind.
  const leaked = tf.memory().numTensors - before;
  const leakedData = tf.backend().numDataIds() - dataBefore;
  if (leaked !== 0 || leakedData !== 0) throw new Error(`${leaked} tensors / ${leakedData} buffers leaked on ${tf.getBackend()}`);
  return out;
}
