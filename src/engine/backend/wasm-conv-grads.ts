import * as tf from '@tensorflow/tfjs';
import { applySignedPads, conv, geometry, phasesOf, type Conv2DGeometry, type Phase } from './wasm-conv-geometry.js';
import { f32, wasmHeap, type WasmHeap } from './wasm-heap.js';
import { withScope, type KernelScope } from './wasm-kernel-scope.js';

/*
 * Both conv2d gradients on wasm, computed by the backend's fast forward Conv2D
 * (XNNPACK) instead of its scalar loops. Notation: forward conv
 *   y[n,i,j,o] = sum_{a,b,c} x[n, i*sh + a - pt, j*sw + b - pl, c] * w[a,b,c,o]
 * with x [N,H,W,Ci], w [kh,kw,Ci,Co], y/dy [N,Ho,Wo,Co]. tfjs refuses
 * gradients of dilated convs, so the forward dilation is always 1 here.
 */

interface ConvGradAttrs {
  strides: number | [number, number];
  pad: unknown;
  dataFormat?: string;
  dimRoundingMode?: unknown;
}

/**
 * dx = transposed conv of dy. Along each axis an input position u = p + pt
 * with u % s == r only meets the filter taps r, r+s, ..., so dx splits into
 * s*s stride-1 convolutions of dy with the flipped, in/out-swapped sub-filters
 * (no zeros inserted: the same FLOPs as the forward conv), whose outputs are
 * then interleaved. Stride 1 is the single-phase case.
 */
export function conv2DBackpropInput(args: { inputs: tf.NamedTensorInfoMap; backend: tf.KernelBackend; attrs?: tf.NamedAttrMap }): tf.TensorInfo {
  const { dy, filter } = args.inputs as { dy: tf.TensorInfo; filter: tf.TensorInfo };
  const attrs = args.attrs as unknown as ConvGradAttrs & { inputShape: number[] };
  const g = geometry(attrs.inputShape, filter.shape, attrs, 'Conv2DBackpropInput');
  const heap = wasmHeap(args.backend);
  const [, outH, outW] = dy.shape as [number, number, number, number];
  return withScope(args.backend, (s) => {
    const rows = phasesOf(g.inH, g.padTop, g.strideH, g.kh);
    const cols = phasesOf(g.inW, g.padLeft, g.strideW, g.kw);
    const blocks: (tf.TensorInfo | null)[][] = rows.phases.map((ph) =>
      cols.phases.map((pw) => {
        if (ph.taps === 0 || pw.taps === 0) return null;
        const padded = applySignedPads(s, dy, {
          top: ph.taps - 1 - rows.first,
          bottom: rows.first + rows.count - outH,
          left: pw.taps - 1 - cols.first,
          right: cols.first + cols.count - outW,
        });
        return padded ? conv(s, padded.x, subFilter(s, heap, filter, ph, pw, g), padded.pad) : null;
      }),
    );
    const only = blocks[0]![0];
    if (g.strideH === 1 && g.strideW === 1 && only) return only;
    return interleave(s, heap, blocks, g, rows.first, cols.first);
  });
}

/**
 * The flipped, in/out-swapped taps of one phase:
 * sub[a', b', o, c] = w[rh + sh*(Kh-1-a'), rw + sw*(Kw-1-b'), c, o]. Filters are
 * small, so a JS pass beats chaining Reverse, Transpose and StridedSlice.
 */
function subFilter(s: KernelScope, heap: WasmHeap, filter: tf.TensorInfo, ph: Phase, pw: Phase, g: Conv2DGeometry): tf.TensorInfo {
  const { kw, inC: ci, outC: co, strideH: sh, strideW: sw } = g;
  const out = s.track(heap.makeOutput([ph.taps, pw.taps, co, ci], 'float32'));
  const w = f32(heap, filter);
  const o = f32(heap, out);
  let k = 0;
  for (let a = 0; a < ph.taps; a++) {
    const fa = ph.r + sh * (ph.taps - 1 - a);
    for (let b = 0; b < pw.taps; b++) {
      const base = (fa * kw + pw.r + sw * (pw.taps - 1 - b)) * ci * co;
      for (let oc = 0; oc < co; oc++) {
        for (let c = 0; c < ci; c++) o[k++] = w[base + c * co + oc]!;
      }
    }
  }
  return out;
}

/**
 * Scatter the phase outputs blocks[rh][rw] [N,P,Q,C] into dx [N,H,W,C]:
 * block row P is input row P*sh + rh - (pt - first*sh). Phases without taps
 * (filter smaller than the stride) are zeros.
 */
function interleave(s: KernelScope, heap: WasmHeap, blocks: (tf.TensorInfo | null)[][], g: Conv2DGeometry, firstH: number, firstW: number): tf.TensorInfo {
  const { batch: n, inH: h, inW: w, inC: c, strideH: sh, strideW: sw } = g;
  const offH = g.padTop - firstH * sh;
  const offW = g.padLeft - firstW * sw;
  const out = s.track(heap.makeOutput([n, h, w, c], 'float32'));
  const o = f32(heap, out);
  if (blocks.some((row) => row.some((b) => !b))) o.fill(0);
  blocks.forEach((row, rh) =>
    row.forEach((block, rw) => {
      if (!block) return;
      const [, np, nq] = block.shape as [number, number, number, number];
      const v = f32(heap, block);
      for (let b = 0; b < n; b++) {
        for (let P = 0; P < np; P++) {
          const p = P * sh + rh - offH;
          if (p < 0 || p >= h) continue;
          for (let Q = 0; Q < nq; Q++) {
            const q = Q * sw + rw - offW;
            if (q < 0 || q >= w) continue;
            const src = ((b * np + P) * nq + Q) * c;
            const dst = ((b * h + p) * w + q) * c;
            for (let e = 0; e < c; e++) o[dst + e] = v[src + e]!;
          }
        }
      }
    }),
  );
  return out;
}

/**
 * dw[a,b,c,o] = sum_{n,i,j} x[n, i*sh + a - pt, j*sw + b - pl, c] * dy[n,i,j,o]
 * is itself a forward conv once batch and channels swap roles: input
 * x^T [Ci,H,W,N], filter dy^T [Ho,Wo,N,Co], stride 1, dilation (sh,sw),
 * output [Ci,kh,kw,Co]. The padding after is chosen so exactly kh x kw come out.
 * A 1x1 filter is a single matmul: dw = xs^T dy with xs the strided x.
 */
export function conv2DBackpropFilter(args: { inputs: tf.NamedTensorInfoMap; backend: tf.KernelBackend; attrs?: tf.NamedAttrMap }): tf.TensorInfo {
  const { x, dy } = args.inputs as { x: tf.TensorInfo; dy: tf.TensorInfo };
  const attrs = args.attrs as unknown as ConvGradAttrs & { filterShape: number[] };
  const g = geometry(x.shape, attrs.filterShape, attrs, 'Conv2DBackpropFilter');
  const [, outH, outW] = dy.shape as [number, number, number, number];
  return withScope(args.backend, (s) => {
    if (g.kh === 1 && g.kw === 1 && g.padTop === 0 && g.padLeft === 0) {
      const xsT = stridedTranspose(s, wasmHeap(args.backend), x, g, outH, outW);
      const dw = s.run('BatchMatMul', { a: xsT, b: s.reshape(dy, [g.batch * outH * outW, g.outC]) }, { transposeA: false, transposeB: false });
      return s.reshape(dw, [1, 1, g.inC, g.outC]);
    }
    const xT = batchInnermost(s, wasmHeap(args.backend), x);
    const dyT = s.transpose(dy, [1, 2, 0, 3]);
    const padded = applySignedPads(s, xT, {
      top: g.padTop,
      bottom: g.kh + (outH - 1) * g.strideH - g.inH - g.padTop,
      left: g.padLeft,
      right: g.kw + (outW - 1) * g.strideW - g.inW - g.padLeft,
    });
    if (!padded) return s.zeros([g.kh, g.kw, g.inC, g.outC]);
    const out = conv(s, padded.x, dyT, padded.pad, [g.strideH, g.strideW]);
    return s.transpose(out, [1, 2, 0, 3]);
  });
}

/**
 * x [N,H,W,C] -> [C,H,W,N]. wasm's generic Transpose moves one float at a time
 * with the batch stride and takes ~3x longer at batch 128; here each pixel's
 * N x C block is transposed in tiles of 16 images, so reads stay in L1.
 */
function batchInnermost(s: KernelScope, heap: WasmHeap, x: tf.TensorInfo): tf.TensorInfo {
  const [n, h, w, c] = x.shape as [number, number, number, number];
  const hw = h * w;
  const out = s.track(heap.makeOutput([c, h, w, n], 'float32'));
  const xv = f32(heap, x);
  const o = f32(heap, out);
  const T = 16;
  const imageStride = hw * c;
  for (let pix = 0; pix < hw; pix++) {
    for (let n0 = 0; n0 < n; n0 += T) {
      const n1 = Math.min(n, n0 + T);
      for (let e = 0; e < c; e++) {
        const dst = (e * hw + pix) * n;
        for (let b = n0, at = (n0 * hw + pix) * c + e; b < n1; b++, at += imageStride) o[dst + b] = xv[at]!;
      }
    }
  }
  return out;
}

/**
 * xsT[c, (n*Ho + i)*Wo + j] = x[n, i*sh, j*sw, c] (zero past the edge, where
 * only padding lies). Sixteen output columns at a time, so each channel row
 * gets one contiguous run and the sixteen source pixels stay in L1.
 */
function stridedTranspose(s: KernelScope, heap: WasmHeap, x: tf.TensorInfo, g: Conv2DGeometry, outH: number, outW: number): tf.TensorInfo {
  const { batch: n, inH: h, inW: w, inC: c, strideH: sh, strideW: sw } = g;
  const k = n * outH * outW;
  const out = s.track(heap.makeOutput([c, k], 'float32'));
  const xv = f32(heap, x);
  const o = f32(heap, out);
  const T = 16;
  const src = new Int32Array(T);
  for (let col0 = 0; col0 < k; col0 += T) {
    const cols = Math.min(T, k - col0);
    for (let t = 0; t < cols; t++) {
      const col = col0 + t;
      const j = col % outW;
      const rest = (col - j) / outW;
      const i = rest % outH;
      const b = (rest - i) / outH;
      const p = i * sh;
      const q = j * sw;
      src[t] = p < h && q < w ? ((b * h + p) * w + q) * c : -1;
    }
    for (let e = 0; e < c; e++) {
      const row = e * k + col0;
      for (let t = 0; t < cols; t++) {
        const at = src[t]!;
        o[row + t] = at < 0 ? 0 : xv[at + e]!;
      }
    }
  }
  return out;
}
