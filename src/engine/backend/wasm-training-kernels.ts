import * as tf from '@tensorflow/tfjs';
import { conv2DBackpropFilter, conv2DBackpropInput } from './wasm-conv-grads.js';
import { depthwiseConv2dNativeBackpropFilter, depthwiseConv2dNativeBackpropInput } from './wasm-depthwise-grads.js';
import { withExplicitTransposes } from './wasm-matmul.js';
import { unsortedSegmentSum } from './wasm-segment-sum.js';

/**
 * Training kernels the wasm backend lacks (Conv2DBackpropFilter, the
 * depthwise gradients, UnsortedSegmentSum) or runs slowly (Conv2DBackpropInput; BatchMatMul and
 * _FusedMatMul with transposes), expressed through its fast XNNPACK kernels. Registered for the
 * 'wasm' backend name, so ordinary tfjs code (tf.grads, optimizers, layers)
 * picks them up unchanged. Idempotent: initBackend may call it on every switch
 * back to wasm.
 */

/** The backend's own kernels we wrap, captured once before we replace them. */
const originals = new Map<string, tf.KernelFunc>();
const ours = new WeakSet<tf.KernelFunc>();

function original(kernelName: string): tf.KernelFunc {
  let fn = originals.get(kernelName);
  if (!fn) {
    const k = tf.getKernel(kernelName, 'wasm');
    if (!k || ours.has(k.kernelFunc)) throw new Error(`wasm kernel ${kernelName} is missing; cannot wrap it`);
    fn = k.kernelFunc;
    originals.set(kernelName, fn);
  }
  return fn;
}

function register(kernelName: string, kernelFunc: tf.KernelFunc): void {
  if (tf.getKernel(kernelName, 'wasm')) tf.unregisterKernel(kernelName, 'wasm');
  ours.add(kernelFunc);
  tf.registerKernel({ kernelName, backendName: 'wasm', kernelFunc });
}

export function registerWasmTrainingKernels(): void {
  const batchMatMul = original('BatchMatMul');
  const fusedMatMul = original('_FusedMatMul');
  original('Conv2DBackpropInput'); // kept for benchmarks against the shipped kernel
  register('Conv2DBackpropInput', conv2DBackpropInput as tf.KernelFunc);
  register('Conv2DBackpropFilter', conv2DBackpropFilter as tf.KernelFunc);
  register('DepthwiseConv2dNativeBackpropInput', depthwiseConv2dNativeBackpropInput as tf.KernelFunc);
  register('DepthwiseConv2dNativeBackpropFilter', depthwiseConv2dNativeBackpropFilter as tf.KernelFunc);
  register('UnsortedSegmentSum', unsortedSegmentSum as tf.KernelFunc);
  register('BatchMatMul', withExplicitTransposes(batchMatMul));
  register('_FusedMatMul', withExplicitTransposes(fusedMatMul));
}

/** The wasm backend's own kernel as shipped (for benchmarks and parity tests against it). */
export function originalWasmKernel(kernelName: string): tf.KernelFunc | undefined {
  return originals.get(kernelName) ?? tf.getKernel(kernelName, 'wasm')?.kernelFunc;
}
