import * as tf from '@tensorflow/tfjs';
import type { KernelScope } from './wasm-kernel-scope.js';

/** Padding before/after one spatial axis; negative means "crop this many". */
export interface SignedPads {
  top: number;
  bottom: number;
  left: number;
  right: number;
}

export type ExplicitPad = [[number, number], [number, number], [number, number], [number, number]];

/**
 * XNNPACK only pads, it never crops, so negative pads are applied as a slice
 * first. Returns null when nothing of `x` is left (the result is all zeros).
 */
export function applySignedPads(s: KernelScope, x: tf.TensorInfo, p: SignedPads): { x: tf.TensorInfo; pad: ExplicitPad } | null {
  const [n, h, w, c] = x.shape as [number, number, number, number];
  const cropT = Math.max(0, -p.top);
  const cropB = Math.max(0, -p.bottom);
  const cropL = Math.max(0, -p.left);
  const cropR = Math.max(0, -p.right);
  const keptH = h - cropT - cropB;
  const keptW = w - cropL - cropR;
  if (keptH <= 0 || keptW <= 0) return null;
  const cropped = cropT || cropB || cropL || cropR ? s.slice(x, [0, cropT, cropL, 0], [n, keptH, keptW, c]) : x;
  const pad: ExplicitPad = [
    [0, 0],
    [Math.max(0, p.top), Math.max(0, p.bottom)],
    [Math.max(0, p.left), Math.max(0, p.right)],
    [0, 0],
  ];
  return { x: cropped, pad };
}

/** A stride-1 NHWC conv2d on the backend's own (XNNPACK) kernel with explicit padding. */
export function conv(s: KernelScope, x: tf.TensorInfo, filter: tf.TensorInfo, pad: ExplicitPad, dilations: [number, number] = [1, 1]): tf.TensorInfo {
  return s.run('Conv2D', { x, filter }, { strides: [1, 1], pad, dataFormat: 'NHWC', dilations, dimRoundingMode: undefined } as unknown as tf.NamedAttrMap);
}

/**
 * One output phase of a strided transposed convolution along one axis.
 * Input rows u = p + padBefore with u % stride == r only ever meet the filter
 * taps r, r + stride, r + 2*stride, ...: `taps` of them, which appear in the
 * flipped filter at start, start + stride, ...
 */
export interface Phase {
  r: number;
  taps: number;
  start: number;
}

/**
 * Polyphase split of the transposed convolution along one axis: all phases are
 * computed over the same range of coarse positions P = floor(u / stride),
 * from first to first + count - 1, so their outputs interleave into one array
 * whose row u - first*stride is input row u - padBefore.
 */
export function phasesOf(inSize: number, padBefore: number, stride: number, k: number): { first: number; count: number; phases: Phase[] } {
  const first = Math.floor(padBefore / stride);
  const count = Math.floor((inSize - 1 + padBefore) / stride) - first + 1;
  const phases: Phase[] = [];
  for (let r = 0; r < stride; r++) {
    const taps = r < k ? Math.ceil((k - r) / stride) : 0;
    phases.push({ r, taps, start: taps > 0 ? k - 1 - r - stride * (taps - 1) : 0 });
  }
  return { first, count, phases };
}

export interface Conv2DGeometry {
  batch: number;
  inH: number;
  inW: number;
  inC: number;
  outH: number;
  outW: number;
  outC: number;
  kh: number;
  kw: number;
  strideH: number;
  strideW: number;
  padTop: number;
  padLeft: number;
}

/** Geometry of the forward conv whose gradient is asked for (dilation 1: tfjs has no dilated conv gradient). */
export function geometry(
  inShape: number[],
  filterShape: number[],
  attrs: { strides: number | [number, number]; pad: unknown; dataFormat?: string; dimRoundingMode?: unknown },
  kernelName: string,
): Conv2DGeometry {
  if (attrs.dataFormat && attrs.dataFormat !== 'NHWC' && attrs.dataFormat !== 'channelsLast') {
    throw new Error(`${kernelName} on wasm supports dataFormat 'NHWC' only (got '${attrs.dataFormat}'); transpose the input to NHWC`);
  }
  const info = tf.backend_util.computeConv2DInfo(
    inShape as [number, number, number, number],
    filterShape as [number, number, number, number],
    attrs.strides,
    1,
    attrs.pad as 'same',
    attrs.dimRoundingMode as 'floor' | undefined,
    false,
    'channelsLast',
  );
  return {
    batch: info.batchSize,
    inH: info.inHeight,
    inW: info.inWidth,
    inC: info.inChannels,
    outH: info.outHeight,
    outW: info.outWidth,
    outC: info.outChannels,
    kh: info.filterHeight,
    kw: info.filterWidth,
    strideH: info.strideHeight,
    strideW: info.strideWidth,
    padTop: info.padInfo.top,
    padLeft: info.padInfo.left,
  };
}
