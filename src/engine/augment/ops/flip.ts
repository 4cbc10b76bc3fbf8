import * as tf from '@tensorflow/tfjs';
import type { OpDef } from '../op.js';

/** Mirror left-right; exact (FlipLeftRight has a dedicated kernel on native TensorFlow and wasm). */
export const horizontalFlip: OpDef<'horizontalFlip', { flipped: true }> = {
  op: 'horizontalFlip',
  draw: () => ({ flipped: true }),
  apply: (x) => tf.image.flipLeftRight(x),
};
