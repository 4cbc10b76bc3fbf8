import { createRequire } from 'node:module';
import os from 'node:os';
import * as tf from '@tensorflow/tfjs';

const require = createRequire(import.meta.url);

export type NativePackage = '@tensorflow/tfjs-node' | '@tensorflow/tfjs-node-gpu';

/**
 * Load a tfjs-node package, which registers the 'tensorflow' backend with the
 * shared tfjs-core. Environment tuning must happen before libtensorflow loads.
 */
export function loadNative(pkg: NativePackage): void {
  // TensorFlow leaves oneDNN off on AMD CPUs; with it a ResNet step runs ~2x faster.
  process.env.TF_ENABLE_ONEDNN_OPTS ??= '1';
  // Keep TensorFlow's C++ info logs out of the CLI output and the job logs.
  process.env.TF_CPP_MIN_LOG_LEVEL ??= '2';
  require(pkg);
  if (!tf.findBackend('tensorflow')) throw new Error(`${pkg} loaded but registered no 'tensorflow' backend`);
}

export function cpuModel(): string {
  return os.cpus()[0]?.model?.trim() || os.arch();
}
