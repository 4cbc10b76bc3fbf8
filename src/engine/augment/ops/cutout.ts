import * as tf from '@tensorflow/tfjs';
import type { Box, OpDef } from '../op.js';

export interface CutoutDraw {
  /** the erased square, clipped to the image */
  box: Box;
  /** the square's side before clipping */
  side: number;
}

/**
 * Cutout (DeVries and Taylor, 2017): a square whose centre is uniform over the
 * image, clipped at the borders, set to `fill`. The mask is built from
 * per-sample bounds compared against row and column indices.
 */
export const cutout: OpDef<'cutout', CutoutDraw> = {
  op: 'cutout',
  draw: (params, rng, ctx) => {
    const { height: H, width: W } = ctx;
    const side = Math.max(1, Math.round(rng.uniform(params.size[0], params.size[1]) * Math.min(H, W)));
    const cy = rng.int(H);
    const cx = rng.int(W);
    const y0 = Math.max(0, cy - Math.floor(side / 2));
    const x0 = Math.max(0, cx - Math.floor(side / 2));
    const y1 = Math.min(H, cy - Math.floor(side / 2) + side);
    const x1 = Math.min(W, cx - Math.floor(side / 2) + side);
    return { box: { x: x0, y: y0, w: x1 - x0, h: y1 - y0 }, side };
  },
  apply: (x, params, draws) => {
    const [n, h, w] = x.shape;
    const bound = (f: (b: Box) => number) => tf.tensor4d(draws.map((d) => f(d.box)), [n, 1, 1, 1]);
    const rows = tf.reshape(tf.range(0, h, 1, 'float32'), [1, h, 1, 1]);
    const cols = tf.reshape(tf.range(0, w, 1, 'float32'), [1, 1, w, 1]);
    const inRows = tf.logicalAnd(tf.greaterEqual(rows, bound((b) => b.y)), tf.less(rows, bound((b) => b.y + b.h)));
    const inCols = tf.logicalAnd(tf.greaterEqual(cols, bound((b) => b.x)), tf.less(cols, bound((b) => b.x + b.w)));
    const mask = tf.cast(tf.logicalAnd(inRows, inCols), 'float32'); // [n, h, w, 1]
    // x * (1 - m) + fill * m is exact for m in {0, 1}
    return tf.add(tf.mul(x, tf.sub(1, mask)), tf.mul(mask, params.fill));
  },
};
