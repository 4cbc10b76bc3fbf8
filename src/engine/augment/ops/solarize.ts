import * as tf from '@tensorflow/tfjs';
import type { OpDef } from '../op.js';

/** x -> 1 - x where x >= threshold (PIL's solarize on [0, 1] values). */
export const solarize: OpDef<'solarize', { threshold: number }> = {
  op: 'solarize',
  draw: (params) => ({ threshold: params.threshold }),
  apply: (x, params) => tf.where(tf.greaterEqual(x, params.threshold), tf.sub(1, x), x) as tf.Tensor4D,
};
