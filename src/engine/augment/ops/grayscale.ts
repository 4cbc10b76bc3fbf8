import * as tf from '@tensorflow/tfjs';
import type { OpDef } from '../op.js';
import { LUMA } from '../tensor-util.js';

// One 1x1 convolution writes the luma into all three channels at once.
const LUMA3 = [LUMA[0], LUMA[0], LUMA[0], LUMA[1], LUMA[1], LUMA[1], LUMA[2], LUMA[2], LUMA[2]];

/** Colour drop: 0.2989 R + 0.587 G + 0.114 B, kept as three channels (SimCLR's to_grayscale(keep_channels=True)). */
export const grayscale: OpDef<'grayscale', { gray: true }> = {
  op: 'grayscale',
  draw: () => ({ gray: true }),
  apply: (x) => tf.conv2d(x, tf.tensor4d(LUMA3, [1, 1, 3, 3]), 1, 'valid'),
};
