import * as tf from '@tensorflow/tfjs';
import { wasmHeap } from './wasm-heap.js';

/**
 * UnsortedSegmentSum, which wasm lacks and tf.gather's gradient needs:
 * out[id, ...] += x[k, ...] for every position k of segmentIds (any rank,
 * matching x's leading dims). Ids outside [0, numSegments) are dropped, as in
 * TensorFlow's CPU kernel for negative ids. A plain loop: one pass over x.
 */
export function unsortedSegmentSum(args: { inputs: tf.NamedTensorInfoMap; backend: tf.KernelBackend; attrs?: tf.NamedAttrMap }): tf.TensorInfo {
  const { x, segmentIds } = args.inputs as { x: tf.TensorInfo; segmentIds: tf.TensorInfo };
  const numSegments = Number((args.attrs as { numSegments: number }).numSegments);
  const idShape = segmentIds.shape;
  if (x.shape.length < idShape.length || idShape.some((d, i) => x.shape[i] !== d)) {
    throw new Error(`unsortedSegmentSum: segmentIds shape [${idShape}] must be a prefix of x shape [${x.shape}]`);
  }
  if (x.dtype !== 'float32' && x.dtype !== 'int32') throw new Error(`unsortedSegmentSum on wasm: dtype ${x.dtype} is not supported (use float32 or int32)`);
  const inner = x.shape.slice(idShape.length).reduce((a, b) => a * b, 1);
  const heap = wasmHeap(args.backend);
  const result = heap.makeOutput([numSegments, ...x.shape.slice(idShape.length)], x.dtype);
  const xs = heap.typedArrayFromHeap(x);
  const ids = heap.typedArrayFromHeap(segmentIds);
  const out = heap.typedArrayFromHeap(result);
  out.fill(0);
  for (let k = 0; k < ids.length; k++) {
    const id = ids[k]!;
    if (id < 0 || id >= numSegments) continue;
    const src = k * inner;
    const dst = id * inner;
    for (let e = 0; e < inner; e++) out[dst + e] += xs[src + e]!;
  }
  return result;
}
