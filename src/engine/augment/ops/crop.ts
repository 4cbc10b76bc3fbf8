/**
 * randomResizedCrop and centerCrop: pick a box per sample in JS, then one
 * tf.image.cropAndResize call crops and resizes the whole batch.
 */
import type { OpParams } from '../../../shared/pipeline.js';
import type { Box, OpContext, OpDef } from '../op.js';
import type { Rng } from '../rng.js';
import { cropResize } from '../tensor-util.js';

export interface RandomCropDraw {
  box: Box;
  /** the area fraction and width/height ratio drawn for the accepted box (null for the fallback) */
  scale: number | null;
  ratio: number | null;
  /** boxes drawn, including the accepted one */
  attempts: number;
  /** no box fitted in `attempts` tries: the central box with the ratio clamped into range */
  fallback: boolean;
}

/**
 * The torchvision RandomResizedCrop rule: area fraction uniform in scale, log
 * aspect ratio uniform in log(ratio), sides rounded to pixels, retried when the
 * box does not fit; the top-left corner is uniform over the valid positions.
 */
export function drawRandomCrop(params: OpParams<'randomResizedCrop'>, rng: Rng, ctx: Pick<OpContext, 'height' | 'width'>): RandomCropDraw {
  const { height: H, width: W } = ctx;
  const area = H * W;
  const [s0, s1] = params.scale;
  const logR0 = Math.log(params.ratio[0]);
  const logR1 = Math.log(params.ratio[1]);
  for (let attempt = 1; attempt <= params.attempts; attempt++) {
    const scale = rng.uniform(s0, s1);
    const ratio = Math.exp(rng.uniform(logR0, logR1));
    const w = Math.round(Math.sqrt(area * scale * ratio));
    const h = Math.round(Math.sqrt((area * scale) / ratio));
    if (w > 0 && w <= W && h > 0 && h <= H) {
      const y = rng.int(H - h + 1);
      const x = rng.int(W - w + 1);
      return { box: { x, y, w, h }, scale, ratio, attempts: attempt, fallback: false };
    }
  }
  return { box: centralBox(W, H, params.ratio), scale: null, ratio: null, attempts: params.attempts, fallback: true };
}

/** The largest central box whose ratio lies in range (the whole image when it already does). */
function centralBox(W: number, H: number, [r0, r1]: [number, number]): Box {
  const inRatio = W / H;
  let w = W;
  let h = H;
  if (inRatio < r0) h = Math.min(H, Math.max(1, Math.round(W / r0)));
  else if (inRatio > r1) w = Math.min(W, Math.max(1, Math.round(H * r1)));
  return { x: Math.floor((W - w) / 2), y: Math.floor((H - h) / 2), w, h };
}

const whole = (ctx: OpContext): Box => ({ x: 0, y: 0, w: ctx.width, h: ctx.height });

export const randomResizedCrop: OpDef<'randomResizedCrop', RandomCropDraw> = {
  op: 'randomResizedCrop',
  resizes: true,
  draw: (params, rng, ctx) => drawRandomCrop(params, rng, ctx),
  idle: (_params, ctx) => ({ box: whole(ctx), scale: null, ratio: null, attempts: 0, fallback: false }),
  apply: (x, _params, draws, ctx) => cropResize(x, draws.map((d) => d.box), ctx.outputSize),
};

export interface CenterCropDraw {
  box: Box;
}

/** The central round(fraction * side) pixels of each side. */
export function centerBox(fraction: number, ctx: Pick<OpContext, 'height' | 'width'>): Box {
  const w = Math.max(1, Math.round(fraction * ctx.width));
  const h = Math.max(1, Math.round(fraction * ctx.height));
  return { x: Math.floor((ctx.width - w) / 2), y: Math.floor((ctx.height - h) / 2), w, h };
}

export const centerCrop: OpDef<'centerCrop', CenterCropDraw> = {
  op: 'centerCrop',
  resizes: true,
  draw: (params, _rng, ctx) => ({ box: centerBox(params.fraction, ctx) }),
  idle: (_params, ctx) => ({ box: whole(ctx) }),
  apply: (x, _params, draws, ctx) => cropResize(x, draws.map((d) => d.box), ctx.outputSize),
};
