/**
 * Small batched building blocks shared by the ops. All of them are tensor ops
 * on the active backend; JS only computes per-sample parameters (a few numbers
 * per image).
 */
import * as tf from '@tensorflow/tfjs';
import type { Box } from './op.js';

/** ITU-R BT.601 luma weights, as tf.image.rgb_to_grayscale. */
export const LUMA = [0.2989, 0.587, 0.114] as const;

/** One value per sample as a [n] tensor. */
export function perSample1d(values: ArrayLike<number>): tf.Tensor1D {
  return tf.tensor1d(Float32Array.from(values));
}

type Group = { idx: number[]; fn: (sub: tf.Tensor4D) => tf.Tensor4D };

/** Backends whose tensors live in (wasm or JS) CPU memory that dataSync reads without a device transfer. */
const HOST_MEMORY_BACKENDS = new Set(['wasm', 'cpu']);

/**
 * Run `fn` on the samples listed in each group (disjoint positions in x) and
 * put the results back in place; samples in no group pass through unchanged,
 * bit for bit. Each fn sees only its own samples, so an op that fires on 20%
 * of a batch costs 20% of the work. Shapes must be preserved. `axis` is the
 * sample axis (1 for planar [3, n, h, w] batches).
 *
 * On native TensorFlow the split and merge are GatherV2 and Concat kernels. On
 * wasm and cpu they are block copies (one per sample and channel plane) in JS
 * over the tensors' host memory: those backends' GatherV2 copies element by
 * element (~70 ms for 128 CIFAR images on wasm, against well under 1 ms).
 */
export function applyGroups(x: tf.Tensor4D, groups: Group[], axis: 0 | 1 = 0): tf.Tensor4D {
  const n = x.shape[axis];
  const live = groups.filter((g) => g.idx.length > 0);
  if (live.length === 0) return x;
  if (live.length === 1 && live[0]!.idx.length === n && live[0]!.idx.every((v, i) => v === i)) return live[0]!.fn(x);
  return HOST_MEMORY_BACKENDS.has(tf.getBackend()) ? applyGroupsHost(x, live, axis) : applyGroupsDevice(x, live, axis);
}

function applyGroupsDevice(x: tf.Tensor4D, live: Group[], axis: 0 | 1): tf.Tensor4D {
  const n = x.shape[axis];
  const covered = live.reduce((s, g) => s + g.idx.length, 0);
  const parts: tf.Tensor4D[] = [];
  const map = new Int32Array(n);
  let offset = 0;
  if (covered < n) {
    parts.push(x);
    for (let i = 0; i < n; i++) map[i] = i;
    offset = n;
  }
  for (const g of live) {
    parts.push(g.fn(tf.gather(x, tf.tensor1d(Int32Array.from(g.idx), 'int32'), axis)));
    for (let j = 0; j < g.idx.length; j++) map[g.idx[j]!] = offset + j;
    offset += g.idx.length;
  }
  const all = parts.length === 1 ? parts[0]! : tf.concat(parts, axis);
  return tf.gather(all, tf.tensor1d(map, 'int32'), axis);
}

/** Copy samples `from[j]` of src (n along the sample axis) to positions `to[j]` of dst (m along it). */
function copySamples(src: Float32Array, n: number, dst: Float32Array, m: number, from: ArrayLike<number>, to: ArrayLike<number>, outer: number, block: number): void {
  for (let o = 0; o < outer; o++) {
    for (let j = 0; j < from.length; j++) {
      const a = (o * n + from[j]!) * block;
      dst.set(src.subarray(a, a + block), (o * m + to[j]!) * block);
    }
  }
}

function applyGroupsHost(x: tf.Tensor4D, live: Group[], axis: 0 | 1): tf.Tensor4D {
  const shape = [...x.shape] as [number, number, number, number];
  const n = shape[axis];
  const outer = axis === 0 ? 1 : shape[0];
  const block = shape.slice(axis + 1).reduce((a, b) => a * b, 1);
  // wasm/cpu only (applyGroups routes webgpu and tensorflow to applyGroupsDevice): a memcpy, no device transfer
  // eslint-disable-next-line no-restricted-syntax
  const src = x.dataSync() as Float32Array;
  const out = new Float32Array(src.length);
  const rest = new Set(Array.from({ length: n }, (_, i) => i));
  for (const g of live) {
    const m = g.idx.length;
    const sub = new Float32Array(outer * m * block);
    const seq = Array.from({ length: m }, (_, j) => j);
    copySamples(src, n, sub, m, g.idx, seq, outer, block);
    const subShape = [...shape] as [number, number, number, number];
    subShape[axis] = m;
    const y = g.fn(tf.tensor4d(sub, subShape));
    // eslint-disable-next-line no-restricted-syntax -- wasm/cpu only, as above
    copySamples(y.dataSync() as Float32Array, m, out, n, seq, g.idx, outer, block);
    for (const i of g.idx) rest.delete(i);
  }
  const kept = [...rest];
  copySamples(src, n, out, n, kept, kept, outer, block);
  return tf.tensor4d(out, shape);
}

/**
 * Crop each sample's box (pixels of the input) and resize it to size x size,
 * bilinear, through tf.image.cropAndResize. The box's corner pixels map to the
 * output's corner pixels (the align-corners convention of crop_and_resize), so
 * a box of exactly size x size pixels is copied unchanged.
 *
 * crop_and_resize writes the extrapolation value for a sample point past the
 * last row or column, and a point meant to land exactly on the last pixel can
 * overshoot it by a rounding error; so the image gets one replicated row and
 * column first (a point just past the edge then reads the edge pixel).
 */
export function cropResize(x: tf.Tensor4D, boxes: Box[], size: number): tf.Tensor4D {
  const [n, height, width] = x.shape;
  const padded = tf.mirrorPad(x, [[0, 0], [0, 1], [0, 1], [0, 0]], 'symmetric');
  const flat = new Float32Array(n * 4);
  boxes.forEach((b, i) => {
    flat[i * 4] = b.y / height;
    flat[i * 4 + 1] = b.x / width;
    flat[i * 4 + 2] = (b.y + b.h - 1) / height;
    flat[i * 4 + 3] = (b.x + b.w - 1) / width;
  });
  const boxInd = tf.range(0, n, 1, 'int32') as tf.Tensor1D;
  return tf.image.cropAndResize(padded, tf.tensor2d(flat, [n, 4]), boxInd, [size, size], 'bilinear');
}

/** Luma of RGB images as one channel (a 1x1 convolution), [n, h, w, 1]. */
export function luma(x: tf.Tensor4D): tf.Tensor4D {
  return tf.conv2d(x, tf.tensor4d([...LUMA], [1, 1, 3, 1]), 1, 'valid');
}

export function clip01<T extends tf.Tensor>(x: T): T {
  return tf.clipByValue(x, 0, 1);
}
