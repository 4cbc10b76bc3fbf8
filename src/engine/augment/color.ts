/**
 * Batched colour adjustments with one factor per sample, on *planar* batches
 * [3, n, h, w] (channel first: every op then runs on same-shape [n, h, w]
 * planes or with a per-sample broadcast, which both native TensorFlow and wasm
 * do fast; the colour jitter transposes in and out once). Inputs in [0, 1];
 * each result lies in [0, 1] as SimCLR's color_jitter clips after every step
 * (clipped where the formula can leave the range). Semantics follow
 * tf.image.adjust_*:
 *   brightness: x * f                      (SimCLR v2's multiplicative brightness)
 *   contrast:   (x - mean) * f + mean      (mean per image and channel over h, w)
 *   saturation: HSV with S -> clip(S * f, 0, 1)
 *   hue:        HSV with H -> (H + d) mod 1
 * `factor` is a [n] tensor.
 */
import * as tf from '@tensorflow/tfjs';
import { clip01 } from './tensor-util.js';

/** NHWC [n, h, w, 3] -> planar [3, n, h, w]. */
export function toPlanar(x: tf.Tensor4D): tf.Tensor4D {
  return tf.transpose(x, [3, 0, 1, 2]);
}

/** Planar [3, n, h, w] -> NHWC [n, h, w, 3]. */
export function fromPlanar(p: tf.Tensor4D): tf.Tensor4D {
  return tf.transpose(p, [1, 2, 3, 0]);
}

const overPlanes = (f: tf.Tensor1D) => tf.reshape(f, [1, -1, 1, 1]);

function channels(p: tf.Tensor4D): [tf.Tensor3D, tf.Tensor3D, tf.Tensor3D] {
  return tf.unstack(p, 0) as [tf.Tensor3D, tf.Tensor3D, tf.Tensor3D];
}

export function adjustBrightness(p: tf.Tensor4D, factor: tf.Tensor1D): tf.Tensor4D {
  return clip01(tf.mul(p, overPlanes(factor))) as tf.Tensor4D;
}

export function adjustContrast(p: tf.Tensor4D, factor: tf.Tensor1D): tf.Tensor4D {
  const mean = tf.mean(p, [2, 3], true);
  return clip01(tf.add(tf.mul(tf.sub(p, mean), overPlanes(factor)), mean));
}

/**
 * Saturation scaling in closed form. In HSV every channel is c = V - C g(H)
 * with chroma C = V S = max - min and g depending only on hue, so scaling S by
 * f (clipped at 1) scales each channel's distance below the max by
 * min(f, V / C): c' = V - (V - c) min(f, V / C). Exactly the HSV round trip,
 * without computing H.
 */
export function adjustSaturation(p: tf.Tensor4D, factor: tf.Tensor1D): tf.Tensor4D {
  const v = tf.max(p, 0, true); // [1, n, h, w]
  const chroma = tf.sub(v, tf.min(p, 0, true));
  // min(f, V / C) as f - relu(f - V / C): wasm runs broadcasting Minimum very slowly, sub and relu fast;
  // + 1e-12 keeps greys (C = 0) finite, where V - c = 0 makes the scale irrelevant
  const f = overPlanes(factor);
  const scale = tf.sub(f, tf.relu(tf.sub(f, tf.div(v, tf.add(chroma, 1e-12)))));
  // <= V by construction; a rounding step below 0 is cut off
  return tf.relu(tf.sub(v, tf.mul(tf.sub(v, p), scale))) as tf.Tensor4D;
}

/**
 * Hue rotation by `delta` (fraction of the wheel) through HSV. RGB -> HSV:
 * V = max, C = max - min, hue*6 from the max channel's sector (ties in the
 * order R, G, B as tf.image.rgb_to_hsv). HSV -> RGB: channel (R, G, B) =
 * V - C ramp((n + hue*6) mod 6) with n = (5, 3, 1) and ramp(k) =
 * clamp(min(k, 4 - k), 0, 1); V and C are unchanged by a hue shift, so S is
 * never formed. Greys (C = 0) come back unchanged. The result lies in
 * [min, V] even in float arithmetic (C * ramp <= C <= V), so needs no clip.
 *
 * ramp is 6-periodic and equals clamp(2 - |d|, 0, 1) with d = k - 2 wrapped
 * into [-3, 3), i.e. d = ((k + 1) mod 6) - 3; the three channels are done at
 * once on [3, n, h, w] with per-channel offsets n + 1 (+ 6 to keep the mod's
 * argument positive).
 */
export function adjustHue(p: tf.Tensor4D, delta: tf.Tensor1D): tf.Tensor4D {
  const [r, g, b] = channels(p);
  const v = tf.max(p, 0); // [n, h, w], exactly one of r, g, b
  const c = tf.sub(v, tf.min(p, 0));
  const inv = tf.div(1, tf.add(c, 1e-12)); // keeps greys finite; there C = 0 and the result is V anyway
  const hr = tf.mul(tf.sub(g, b), inv); // in [-1, 1]; the mod below wraps negatives
  const hg = tf.add(tf.mul(tf.sub(b, r), inv), 2);
  const hb = tf.add(tf.mul(tf.sub(r, g), inv), 4);
  const h6 = tf.expandDims(tf.where(tf.equal(v, r), hr, tf.where(tf.equal(v, g), hg, hb)), 0); // [1, n, h, w], in [-1, 5)
  const offsets = tf.add(overPlanes(tf.mul(delta, 6)), tf.tensor4d([12, 10, 8], [3, 1, 1, 1])); // n + 1 + 6 + 6 delta >= 5
  const k1 = tf.add(h6, offsets);
  // x mod 6 as x - 6 floor(x / 6): faster than the Mod kernel on both backends; at a wrap point
  // rounding may give 3 instead of -3, where ramp is 0 either way
  const d = tf.sub(tf.sub(k1, tf.mul(tf.floor(tf.mul(k1, 1 / 6)), 6)), 3);
  const ramp = tf.clipByValue(tf.sub(2, tf.abs(d)), 0, 1);
  return tf.sub(tf.expandDims(v, 0), tf.mul(tf.expandDims(c, 0), ramp));
}
