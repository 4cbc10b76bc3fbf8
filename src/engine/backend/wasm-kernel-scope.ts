import * as tf from '@tensorflow/tfjs';

/**
 * Calls the wasm backend's own kernels directly (no engine, no tape) and
 * frees every intermediate it made when the kernel is done. This is how the
 * backends compose kernels internally: cheaper than going through tf ops, and
 * nothing leaks into the caller's tidy scope.
 */
export class KernelScope {
  private readonly made: tf.TensorInfo[] = [];

  constructor(readonly backend: tf.KernelBackend) {}

  /** Run a kernel registered for wasm; its output is freed by dispose() unless kept. */
  run(kernelName: string, inputs: tf.NamedTensorInfoMap, attrs: tf.NamedAttrMap = {}): tf.TensorInfo {
    const kernel = tf.getKernel(kernelName, 'wasm');
    if (!kernel) throw new Error(`wasm kernel ${kernelName} is not registered (is @tensorflow/tfjs-backend-wasm loaded?)`);
    return this.track(kernel.kernelFunc({ inputs, backend: this.backend, attrs }) as tf.TensorInfo);
  }

  /** Run a specific kernel function (e.g. the backend's original, before we replaced it). */
  call(kernelFunc: tf.KernelFunc, inputs: tf.NamedTensorInfoMap, attrs: tf.NamedAttrMap = {}): tf.TensorInfo {
    return this.track(kernelFunc({ inputs, backend: this.backend, attrs }) as tf.TensorInfo);
  }

  track(info: tf.TensorInfo): tf.TensorInfo {
    this.made.push(info);
    return info;
  }

  transpose(x: tf.TensorInfo, perm: number[]): tf.TensorInfo {
    return this.run('Transpose', { x }, { perm });
  }

  reshape(x: tf.TensorInfo, shape: number[]): tf.TensorInfo {
    return this.run('Reshape', { x }, { shape });
  }

  slice(x: tf.TensorInfo, begin: number[], size: number[]): tf.TensorInfo {
    return this.run('Slice', { x }, { begin, size });
  }

  zeros(shape: number[], dtype: tf.DataType = 'float32'): tf.TensorInfo {
    return this.run('Fill', {}, { shape, value: 0, dtype });
  }

  /** Hand `info` to the caller: it survives dispose(). */
  keep(info: tf.TensorInfo): tf.TensorInfo {
    const i = this.made.lastIndexOf(info);
    if (i >= 0) this.made.splice(i, 1);
    return info;
  }

  dispose(): void {
    // Reshape shares data by reference count, so each info is released once.
    for (const info of this.made) this.backend.disposeData(info.dataId);
    this.made.length = 0;
  }
}

/** Run `body` with a fresh scope; everything but the returned info is freed. */
export function withScope(backend: tf.KernelBackend, body: (s: KernelScope) => tf.TensorInfo): tf.TensorInfo {
  const scope = new KernelScope(backend);
  try {
    return scope.keep(body(scope));
  } finally {
    scope.dispose();
  }
}
