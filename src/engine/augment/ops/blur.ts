/**
 * Gaussian blur with one sigma per sample, as SimCLR's gaussian_blur: kernel
 * 2 * floor(floor(side * kernelFraction) / 2) + 1 pixels, two separable 1-D
 * passes. Per-sample kernels in one call: the batch is folded into the
 * channel axis ([n, h, w, 3] -> [1, h, w, 3n]) so a depthwise convolution
 * gives every (sample, channel) its own kernel.
 */
import * as tf from '@tensorflow/tfjs';
import type { OpContext, OpDef } from '../op.js';

export interface BlurDraw {
  sigma: number;
  /** kernel width in pixels (odd) */
  kernel: number;
}

export function blurRadius(kernelFraction: number, ctx: Pick<OpContext, 'height' | 'width'>): number {
  return Math.floor(Math.floor(Math.min(ctx.height, ctx.width) * kernelFraction) / 2);
}

/** Normalised 1-D Gaussian weights exp(-t^2 / (2 sigma^2)), t = -r..r. */
export function gaussianKernel(sigma: number, radius: number): number[] {
  const w: number[] = [];
  for (let t = -radius; t <= radius; t++) w.push(Math.exp(-(t * t) / (2 * sigma * sigma)));
  const sum = w.reduce((a, b) => a + b, 0);
  return w.map((v) => v / sum);
}

export const gaussianBlur: OpDef<'gaussianBlur', BlurDraw> = {
  op: 'gaussianBlur',
  draw: (params, rng, ctx) => ({ sigma: rng.uniform(params.sigma[0], params.sigma[1]), kernel: 2 * blurRadius(params.kernelFraction, ctx) + 1 }),
  apply: (x, params, draws) => {
    const [n, h, w, c] = x.shape;
    const r = (draws[0]!.kernel - 1) / 2;
    if (r === 0) return x;
    const k = 2 * r + 1;
    // filter [k, nc]: column j = sample floor(j / c)'s kernel
    const taps = new Float32Array(k * n * c);
    draws.forEach((d, i) => {
      const g = gaussianKernel(d.sigma, r);
      for (let t = 0; t < k; t++) for (let ch = 0; ch < c; ch++) taps[t * n * c + i * c + ch] = g[t]!;
    });
    let y = tf.reshape(tf.transpose(x, [1, 2, 0, 3]), [1, h, w, n * c]) as tf.Tensor4D;
    const reflect = params.padding === 'reflect';
    const pass = (t: tf.Tensor4D, axis: 1 | 2): tf.Tensor4D => {
      const filter = tf.tensor4d(taps, axis === 2 ? [1, k, n * c, 1] : [k, 1, n * c, 1]);
      if (!reflect) return tf.depthwiseConv2d(t, filter, 1, 'same');
      const pad: [number, number][] = [[0, 0], [0, 0], [0, 0], [0, 0]];
      pad[axis] = [r, r];
      return tf.depthwiseConv2d(tf.mirrorPad(t, pad, 'reflect'), filter, 1, 'valid');
    };
    y = pass(pass(y, 2), 1);
    return tf.transpose(tf.reshape(y, [h, w, n, c]), [2, 0, 1, 3]);
  },
};
