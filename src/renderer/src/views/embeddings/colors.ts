/**
 * Point colours for the projector: by class, by a predicted class, by
 * correct/incorrect, or by a number on a continuous scale. One function
 * makes the RGBA array the renderers draw; hidden points get alpha 0 so the
 * same array also says what can be hovered and selected.
 */
import { colorFor } from '../../lib/charts';
import { parseColor } from './points';

/** Viridis, sampled at 9 stops (perceptually even, readable when printed grey). */
const VIRIDIS = ['#440154', '#472d7b', '#3b528b', '#2c728e', '#21918c', '#28ae80', '#5ec962', '#addc30', '#fde725'].map(parseColor);

export const CORRECT_COLOR = '#59a14f';
export const WRONG_COLOR = '#e15759';
export const UNKNOWN_COLOR = '#999999';

/** Colour at t in 0..1 on the continuous scale. */
export function scaleColor(t: number): [number, number, number] {
  const x = Math.min(1, Math.max(0, Number.isFinite(t) ? t : 0)) * (VIRIDIS.length - 1);
  const i = Math.min(VIRIDIS.length - 2, Math.floor(x));
  const f = x - i;
  const a = VIRIDIS[i]!;
  const b = VIRIDIS[i + 1]!;
  return [0, 1, 2].map((c) => Math.round(a[c]! + (b[c]! - a[c]!) * f)) as [number, number, number];
}

export function cssScaleColor(t: number): string {
  const [r, g, b] = scaleColor(t);
  return `rgb(${r},${g},${b})`;
}

export type Coloring =
  | { kind: 'categorical'; values: ArrayLike<number> }
  | { kind: 'correct'; labels: ArrayLike<number>; predicted: ArrayLike<number> }
  | { kind: 'numeric'; values: ArrayLike<number>; min: number; max: number };

/** [min, max] of the finite values (0, 1 when there are none). */
export function rangeOf(values: ArrayLike<number>): [number, number] {
  let lo = Infinity;
  let hi = -Infinity;
  for (let i = 0; i < values.length; i++) {
    const v = values[i]!;
    if (!Number.isFinite(v)) continue;
    if (v < lo) lo = v;
    if (v > hi) hi = v;
  }
  return Number.isFinite(lo) ? [lo, hi] : [0, 1];
}

/**
 * RGBA per point. `shown(i)` false hides point i; `dim(i)` true draws it
 * faint (the unselected points while there is a selection).
 */
export function pointColors(n: number, coloring: Coloring, shown: (i: number) => boolean, dim: (i: number) => boolean): Uint8Array {
  const out = new Uint8Array(n * 4);
  const cache = new Map<number, [number, number, number]>();
  const cat = (c: number) => {
    let rgb = cache.get(c);
    if (!rgb) cache.set(c, (rgb = parseColor(c < 0 ? UNKNOWN_COLOR : colorFor(c))));
    return rgb;
  };
  const ok = parseColor(CORRECT_COLOR);
  const wrong = parseColor(WRONG_COLOR);
  const unknown = parseColor(UNKNOWN_COLOR);
  for (let i = 0; i < n; i++) {
    let rgb: [number, number, number];
    if (coloring.kind === 'categorical') rgb = cat(coloring.values[i]!);
    else if (coloring.kind === 'correct') {
      const p = coloring.predicted[i]!;
      rgb = p < 0 || coloring.labels[i]! < 0 ? unknown : p === coloring.labels[i] ? ok : wrong;
    } else {
      const span = coloring.max - coloring.min;
      rgb = scaleColor(span > 0 ? (coloring.values[i]! - coloring.min) / span : 0.5);
    }
    out[4 * i] = rgb[0];
    out[4 * i + 1] = rgb[1];
    out[4 * i + 2] = rgb[2];
    out[4 * i + 3] = !shown(i) ? 0 : dim(i) ? 80 : 220;
  }
  return out;
}
