import * as tf from '@tensorflow/tfjs';
import { withScope } from './wasm-kernel-scope.js';

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
      const swapLast = (t: tf.TensorInfo) => {
        const r = t.shape.length;
        return s.transpose(
          t,
          t.shape.map((_, i) => (i === r - 2 ? r - 1 : i === r - 1 ? r - 2 : i)),
        );
      };
      const inputs = { ...args.inputs, a: attrs.transposeA ? swapLast(a) : a, b: attrs.transposeB ? swapLast(b) : b };
      return s.call(original, inputs, { ...args.attrs, transposeA: false, transposeB: false });
    });
  };
}
