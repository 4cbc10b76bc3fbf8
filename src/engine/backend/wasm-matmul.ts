import * as tf from '@tensorflow/tfjs';
import { f32, wasmHeap } from './wasm-heap.js';
import { withScope, type KernelScope } from './wasm-kernel-scope.js';

/**
 * wasm's BatchMatMul and _FusedMatMul are fast (XNNPACK) only without
 * transposes; with transposeA or transposeB they fall to a loop about 15x
 * slower, and those are exactly the calls matMul's gradient makes
 * (dA = dY B^T, dB = A^T dY). Transposing the operand explicitly (one memory
 * pass) and running the fast path costs far less.
 */
export function withExplicitTransposes(original: tf.KernelFunc): tf.KernelFunc {
  return (args) => {
    const { a, b } = args.inputs as { a: tf.TensorInfo; b: tf.TensorInfo };
    const attrs = (args.attrs ?? {}) as { transposeA?: boolean; transposeB?: boolean };
    if ((!attrs.transposeA && !attrs.transposeB) || a.dtype !== 'float32' || b.dtype !== 'float32') return original(args);
    return withScope(args.backend as tf.KernelBackend, (s) => {
      const inputs = { ...args.inputs, a: attrs.transposeA ? swapLastTwo(s, a) : a, b: attrs.transposeB ? swapLastTwo(s, b) : b };
      return s.call(original, inputs, { ...args.attrs, transposeA: false, transposeB: false });
    });
  };
}

/**
 * [..., r, c] -> [..., c, r] in 32x32 tiles (wasm's generic Transpose spends
 * ~30 ms on a 1024x1024 matrix; tiled it is a few ms).
 */
function swapLastTwo(s: KernelScope, t: tf.TensorInfo): tf.TensorInfo {
  const heap = wasmHeap(s.backend);
  const rank = t.shape.length;
  const r = t.shape[rank - 2]!;
  const c = t.shape[rank - 1]!;
  const lead = t.shape.slice(0, -2);
  const out = s.track(heap.makeOutput([...lead, c, r], 'float32'));
  const src = f32(heap, t);
  const dst = f32(heap, out);
  const T = 32;
  const batches = lead.reduce((x, y) => x * y, 1);
  for (let m = 0, base = 0; m < batches; m++, base += r * c) {
    for (let i0 = 0; i0 < r; i0 += T) {
      const i1 = Math.min(r, i0 + T);
      for (let j0 = 0; j0 < c; j0 += T) {
        const j1 = Math.min(c, j0 + T);
        for (let j = j0; j < j1; j++) {
          const d = base + j * r;
          for (let i = i0, at = base + i0 * c + j; i < i1; i++, at += c) dst[d + i] = src[at]!;
        }
      }
    }
  }
  return out;
}
