import * as tf from '@tensorflow/tfjs';

/*
 * Work-arounds for wrong results from the native TensorFlow kernels, found by
 * the parity tests (test/backend). Each one is registered over the kernel of
 * the 'tensorflow' backend and falls through to it for every other case.
 *
 * Conv2DBackpropFilter, 1x1 filter, stride > 1, with oneDNN on (our default,
 * see native.ts): after a 1x1 strided backprop-filter of another shape with
 * the same spatial size has run, TensorFlow 2.x returns a wrong filter
 * gradient (relative error ~1) — e.g. [2,8,8,4]->8 after [8,8,8,256]->512.
 * ResNet shortcuts are exactly this op, so we compute it as what it is, a
 * matmul of the strided input with dy, which is as fast and always right.
 *
 * Conv2DBackpropInput/Filter with explicit padding: tfjs-node refuses them
 * ("supports only 'valid' and 'same'") although its forward Conv2D takes them,
 * so tf.grads of such a conv failed. Explicit padding is a pad of x followed
 * by a 'valid' conv, and that is how we run the gradients.
 */

const originals = new Map<string, tf.KernelFunc>();

function replace(kernelName: string, make: (original: tf.KernelFunc) => tf.KernelFunc): void {
  let original = originals.get(kernelName);
  if (!original) {
    const k = tf.getKernel(kernelName, 'tensorflow');
    if (!k) return;
    original = k.kernelFunc;
    originals.set(kernelName, original);
  }
  tf.unregisterKernel(kernelName, 'tensorflow');
  tf.registerKernel({ kernelName, backendName: 'tensorflow', kernelFunc: make(original) });
}

function stridedPointwiseFilterGrad(original: tf.KernelFunc): tf.KernelFunc {
  return (args) => {
    const { x, dy } = args.inputs as { x: tf.Tensor4D; dy: tf.Tensor4D };
    const attrs = args.attrs as unknown as { strides: number | [number, number]; pad: unknown; dataFormat?: string; dimRoundingMode?: unknown; filterShape: number[] };
    const [kh, kw, ci, co] = attrs.filterShape as [number, number, number, number];
    if (kh !== 1 || kw !== 1 || (attrs.dataFormat && attrs.dataFormat !== 'NHWC')) return original(args);
    const info = tf.backend_util.computeConv2DInfo(x.shape, [1, 1, ci, co], attrs.strides, 1, attrs.pad as 'same', attrs.dimRoundingMode as 'floor' | undefined, false, 'channelsLast');
    const { strideHeight: sh, strideWidth: sw, outHeight: oh, outWidth: ow } = info;
    if ((sh === 1 && sw === 1) || info.padInfo.top !== 0 || info.padInfo.left !== 0 || (oh - 1) * sh >= x.shape[1] || (ow - 1) * sw >= x.shape[2]) return original(args);
    return tf.tidy(() => {
      const xs = tf.stridedSlice(x, [0, 0, 0, 0], [x.shape[0], (oh - 1) * sh + 1, (ow - 1) * sw + 1, ci], [1, sh, sw, 1]);
      return tf.matMul(tf.reshape(xs, [-1, ci]), tf.reshape(dy, [-1, co]), true, false).reshape([1, 1, ci, co]);
    });
  };
}

type Explicit = [[number, number], [number, number], [number, number], [number, number]];

function explicitPadsAsValid(kernelName: 'Conv2DBackpropInput' | 'Conv2DBackpropFilter', original: tf.KernelFunc): tf.KernelFunc {
  return (args) => {
    const attrs = args.attrs as unknown as { pad: unknown; dataFormat?: string; inputShape?: number[] };
    if (!Array.isArray(attrs.pad) || (attrs.dataFormat && attrs.dataFormat !== 'NHWC')) return original(args);
    const [, [t, b], [l, r]] = attrs.pad as Explicit;
    const validAttrs = { ...args.attrs, pad: 'valid' } as tf.NamedAttrMap;
    return tf.tidy(() => {
      if (kernelName === 'Conv2DBackpropFilter') {
        const { x, dy } = args.inputs as { x: tf.Tensor4D; dy: tf.Tensor4D };
        return original({ ...args, inputs: { x: tf.pad(x, [[0, 0], [t, b], [l, r], [0, 0]]), dy }, attrs: validAttrs }) as tf.Tensor;
      }
      const [n, h, w, c] = attrs.inputShape as [number, number, number, number];
      const dxPadded = original({ ...args, attrs: { ...validAttrs, inputShape: [n, h + t + b, w + l + r, c] } }) as tf.Tensor4D;
      return tf.slice(dxPadded, [0, t, l, 0], [n, h, w, c]);
    });
  };
}

/** Idempotent: initBackend may call it on every switch to 'tensorflow'. */
export function registerNativeKernelFixes(): void {
  replace('Conv2DBackpropFilter', (original) => stridedPointwiseFilterGrad(explicitPadsAsValid('Conv2DBackpropFilter', original)));
  replace('Conv2DBackpropInput', (original) => explicitPadsAsValid('Conv2DBackpropInput', original));
}
