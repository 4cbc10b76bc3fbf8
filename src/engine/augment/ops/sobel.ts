import * as tf from '@tensorflow/tfjs';
import type { OpDef } from '../op.js';
import { clip01, luma } from '../tensor-util.js';

// Horizontal and vertical Sobel kernels as one [3, 3, 1, 2] correlation filter.
const GX = [-1, 0, 1, -2, 0, 2, -1, 0, 1];
const GY = [-1, -2, -1, 0, 0, 0, 1, 2, 1];
const FILTER = GX.flatMap((gx, i) => [gx, GY[i]!]);

/**
 * Sobel edge magnitude of the luma: sqrt(gx^2 + gy^2) / 4, clipped to [0, 1]
 * (a full-contrast vertical or horizontal step gives 1), copied into the three
 * channels. The border is mirrored so the frame is not an edge.
 */
export const sobel: OpDef<'sobel', { edges: true }> = {
  op: 'sobel',
  draw: () => ({ edges: true }),
  apply: (x) => {
    const y = tf.mirrorPad(luma(x), [[0, 0], [1, 1], [1, 1], [0, 0]], 'reflect');
    const g = tf.conv2d(y, tf.tensor4d(FILTER, [3, 3, 1, 2]), 1, 'valid');
    const mag = clip01(tf.div(tf.sqrt(tf.sum(tf.square(g), 3, true)), 4));
    return tf.tile(mag, [1, 1, 1, 3]) as tf.Tensor4D;
  },
};
