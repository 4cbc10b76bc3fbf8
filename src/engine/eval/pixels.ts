import * as tf from '@tensorflow/tfjs';
import type { ImageSet } from '../data/types.js';

/**
 * Raw-pixel features: each image flattened to h·w·c values in [0, 1]. With
 * linear evaluation on top (standardised per pixel), this is the floor every
 * learned representation must clear.
 */
export function pixelFeatures(set: ImageSet): tf.Tensor2D {
  const dim = set.height * set.width * set.channels;
  return tf.tidy(() => tf.div(tf.tensor2d(set.images, [set.count, dim], 'int32').toFloat(), 255) as tf.Tensor2D);
}
