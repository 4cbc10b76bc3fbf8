import * as tf from '@tensorflow/tfjs';
import { f32, wasmHeap } from './wasm-heap.js';

/*
 * Depthwise conv2d gradients, which wasm lacks. The ResNets here do not use
 * depthwise convs, so these are plain loops over the wasm heap (correct for
 * any stride, padding, dilation and channel multiplier, about as fast as the
 * cpu backend), not the XNNPACK route the dense conv gradients take.
 * Forward: y[n,i,j,c*m+k] = sum_{a,b} x[n, i*sh + a*dh - pt, j*sw + b*dw - pl, c] * w[a,b,c,k].
 */

interface DepthwiseAttrs {
  strides: number | [number, number];
  dilations?: number | [number, number];
  pad: unknown;
  dimRoundingMode?: unknown;
}

function info(inShape: number[], filterShape: number[], attrs: DepthwiseAttrs) {
  return tf.backend_util.computeConv2DInfo(
    inShape as [number, number, number, number],
    filterShape as [number, number, number, number],
    attrs.strides,
    attrs.dilations ?? 1,
    attrs.pad as 'same',
    attrs.dimRoundingMode as 'floor' | undefined,
    true,
    'channelsLast',
  );
}

/** Calls visit(xOffset, dyOffset, filterOffset) for every (n,i,j,a,b) that lands inside x. */
function forEachTap(ci: tf.backend_util.Conv2DInfo, visit: (xo: number, dyo: number, wo: number) => void): void {
  const { batchSize: n, inHeight: h, inWidth: w, inChannels: c, outHeight: oh, outWidth: ow, outChannels: oc } = ci;
  const { filterHeight: kh, filterWidth: kw, strideHeight: sh, strideWidth: sw, dilationHeight: dh, dilationWidth: dw } = ci;
  const { top: pt, left: pl } = ci.padInfo;
  for (let b = 0; b < n; b++) {
    for (let i = 0; i < oh; i++) {
      for (let j = 0; j < ow; j++) {
        const dyo = ((b * oh + i) * ow + j) * oc;
        for (let fa = 0; fa < kh; fa++) {
          const p = i * sh + fa * dh - pt;
          if (p < 0 || p >= h) continue;
          for (let fb = 0; fb < kw; fb++) {
            const q = j * sw + fb * dw - pl;
            if (q < 0 || q >= w) continue;
            visit(((b * h + p) * w + q) * c, dyo, (fa * kw + fb) * oc);
          }
        }
      }
    }
  }
}

export function depthwiseConv2dNativeBackpropInput(args: { inputs: tf.NamedTensorInfoMap; backend: tf.KernelBackend; attrs?: tf.NamedAttrMap }): tf.TensorInfo {
  const { dy, filter } = args.inputs as { dy: tf.TensorInfo; filter: tf.TensorInfo };
  const attrs = args.attrs as unknown as DepthwiseAttrs & { inputShape: number[] };
  const ci = info(attrs.inputShape, filter.shape, attrs);
  const m = ci.outChannels / ci.inChannels;
  const heap = wasmHeap(args.backend);
  const out = heap.makeOutput(attrs.inputShape, 'float32');
  const acc = new Float64Array(attrs.inputShape.reduce((a, b) => a * b, 1));
  const dyv = f32(heap, dy);
  const wv = f32(heap, filter);
  forEachTap(ci, (xo, dyo, wo) => {
    for (let c = 0; c < ci.inChannels; c++) {
      let sum = 0;
      for (let k = 0; k < m; k++) sum += dyv[dyo + c * m + k]! * wv[wo + c * m + k]!;
      acc[xo + c] += sum;
    }
  });
  f32(heap, out).set(acc);
  return out;
}

export function depthwiseConv2dNativeBackpropFilter(args: { inputs: tf.NamedTensorInfoMap; backend: tf.KernelBackend; attrs?: tf.NamedAttrMap }): tf.TensorInfo {
  const { x, dy } = args.inputs as { x: tf.TensorInfo; dy: tf.TensorInfo };
  const attrs = args.attrs as unknown as DepthwiseAttrs & { filterShape: number[] };
  const ci = info(x.shape, attrs.filterShape, attrs);
  const m = ci.outChannels / ci.inChannels;
  const heap = wasmHeap(args.backend);
  const out = heap.makeOutput(attrs.filterShape, 'float32');
  const acc = new Float64Array(attrs.filterShape.reduce((a, b) => a * b, 1));
  const xv = f32(heap, x);
  const dyv = f32(heap, dy);
  forEachTap(ci, (xo, dyo, wo) => {
    for (let c = 0; c < ci.inChannels; c++) {
      const xval = xv[xo + c]!;
      for (let k = 0; k < m; k++) acc[wo + c * m + k] += xval * dyv[dyo + c * m + k]!;
    }
  });
  f32(heap, out).set(acc);
  return out;
}
