import * as tf from '@tensorflow/tfjs';
import type { OpDef } from '../op.js';
import { Rng } from '../rng.js';
import { clip01 } from '../tensor-util.js';

export interface NoiseDraw {
  std: number;
  /** seed of this sample's noise field (its own xoshiro128** stream) */
  seed: number;
}

/**
 * Additive Gaussian noise, clipped to [0, 1]. Each sample's field comes from
 * its own generator seeded by one draw of the pipeline stream, so the main
 * stream advances by a fixed amount whatever the image size. Generating the
 * normals is the one per-element JS loop of the engine (as tf.randomNormal's
 * own generator is); the arithmetic on the images stays on the backend.
 */
export const gaussianNoise: OpDef<'gaussianNoise', NoiseDraw> = {
  op: 'gaussianNoise',
  draw: (params, rng) => ({ std: rng.uniform(params.std[0], params.std[1]), seed: rng.uint32() }),
  apply: (x, _params, draws) => {
    const [n, h, w, c] = x.shape;
    const per = h * w * c;
    const field = new Float32Array(n * per);
    draws.forEach((d, i) => Rng.fromSeed(d.seed).fillNormal(field.subarray(i * per, (i + 1) * per), 0, d.std));
    return clip01(tf.add(x, tf.tensor4d(field, [n, h, w, c])));
  },
};
