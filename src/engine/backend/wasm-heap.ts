import * as tf from '@tensorflow/tfjs';

/**
 * The two BackendWasm methods that let a kernel read and write tensors in
 * place on the wasm heap. Views go stale when the heap grows (any allocation),
 * so allocate every output first and take views afterwards.
 */
export interface WasmHeap {
  makeOutput(shape: number[], dtype: tf.DataType): tf.TensorInfo;
  typedArrayFromHeap(info: tf.TensorInfo): Float32Array | Int32Array | Uint8Array;
}

export function wasmHeap(backend: tf.KernelBackend): WasmHeap {
  const b = backend as unknown as Partial<WasmHeap>;
  if (typeof b.makeOutput !== 'function' || typeof b.typedArrayFromHeap !== 'function') {
    throw new Error('this kernel runs on the wasm backend only (BackendWasm.makeOutput/typedArrayFromHeap missing)');
  }
  return b as WasmHeap;
}

export function f32(heap: WasmHeap, info: tf.TensorInfo): Float32Array {
  const a = heap.typedArrayFromHeap(info);
  if (!(a instanceof Float32Array)) throw new Error(`expected a float32 tensor, got ${info.dtype}`);
  return a;
}
