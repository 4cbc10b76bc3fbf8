/**
 * SimCLR colour distortion (google-research/simclr data_util.color_jitter_rand):
 * brightness, contrast, saturation and hue, each with its own random factor,
 * applied in a random order per sample and clipped to [0, 1] after each.
 *
 * Batched with a random order per sample: at each of the four stages the
 * batch is split by which adjustment the sample takes there; each group runs
 * that one adjustment on its own samples (applyGroups), so the whole jitter
 * costs about four elementwise passes over the batch, not sixteen. The batch
 * is planar ([3, n, h, w]) throughout (see color.ts).
 */
import * as tf from '@tensorflow/tfjs';
import type { OpParams } from '../../../shared/pipeline.js';
import { adjustBrightness, adjustContrast, adjustHue, adjustSaturation, fromPlanar, toPlanar } from '../color.js';
import type { OpDef } from '../op.js';
import type { Rng } from '../rng.js';
import { applyGroups, perSample1d } from '../tensor-util.js';

export const JITTER_STEPS = ['brightness', 'contrast', 'saturation', 'hue'] as const;
export type JitterStep = (typeof JITTER_STEPS)[number];

export interface ColorJitterDraw {
  /** the adjustments in the order applied (those with strength 0 are left out, as in SimCLR) */
  order: JitterStep[];
  /** multiplicative factors; null when that adjustment is off */
  brightness: number | null;
  contrast: number | null;
  saturation: number | null;
  /** hue shift as a fraction of the colour wheel */
  hue: number | null;
}

/** Maximum strength of each adjustment: the param times the colour strength s. */
export function jitterStrengths(params: OpParams<'colorJitter'>): Record<JitterStep, number> {
  const s = params.strength;
  return { brightness: params.brightness * s, contrast: params.contrast * s, saturation: params.saturation * s, hue: params.hue * s };
}

export function drawColorJitter(params: OpParams<'colorJitter'>, rng: Rng): ColorJitterDraw {
  const st = jitterStrengths(params);
  const factor = (d: number) => (d > 0 ? rng.uniform(Math.max(0, 1 - d), 1 + d) : null);
  const perm = params.randomOrder ? rng.permutation(4) : [0, 1, 2, 3];
  const brightness = factor(st.brightness);
  const contrast = factor(st.contrast);
  const saturation = factor(st.saturation);
  const hue = st.hue > 0 ? rng.uniform(-st.hue, st.hue) : null;
  const draw: ColorJitterDraw = { order: [], brightness, contrast, saturation, hue };
  draw.order = perm.map((i) => JITTER_STEPS[i]!).filter((step) => draw[step] !== null);
  return draw;
}

const ADJUST = { brightness: adjustBrightness, contrast: adjustContrast, saturation: adjustSaturation, hue: adjustHue };

export const colorJitter: OpDef<'colorJitter', ColorJitterDraw> = {
  op: 'colorJitter',
  draw: (params, rng) => drawColorJitter(params, rng),
  apply: (x, _params, draws) => {
    const input = toPlanar(x);
    x = input;
    for (let stage = 0; stage < 4; stage++) {
      const prev = x;
      x = tf.tidy(() =>
        applyGroups(
          prev,
          JITTER_STEPS.map((step) => {
            const idx: number[] = [];
            draws.forEach((d, i) => {
              if (d.order[stage] === step) idx.push(i);
            });
            return { idx, fn: (sub: tf.Tensor4D) => ADJUST[step](sub, perSample1d(idx.map((i) => draws[i]![step]!))) };
          }),
          1,
        ),
      );
      // free the previous stage's batch early (large images); never the caller's input
      if (prev !== input && prev !== x) prev.dispose();
    }
    return fromPlanar(x);
  },
};
