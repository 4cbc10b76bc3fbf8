/**
 * Independent per-pixel references for the augmentation ops, in plain JS and
 * float64, written from the textbook definitions (not from the engine's
 * tensor formulas). Images are HWC Float64Arrays with values in [0, 1].
 */
import type { ImageSet } from '../../src/engine/data/types.js';

export interface Img {
  h: number;
  w: number;
  c: number;
  data: Float64Array;
}

export function fromSet(set: ImageSet, index: number): Img {
  const { height: h, width: w, channels: c } = set;
  const size = h * w * c;
  const data = new Float64Array(h * w * 3);
  for (let p = 0; p < h * w; p++) {
    for (let ch = 0; ch < 3; ch++) data[p * 3 + ch] = Math.fround(set.images[index * size + p * c + (c === 1 ? 0 : ch)]! / 255); // as the engine holds it (float32)
  }
  return { h, w, c: 3, data };
}

/** Views from a [n, h, w, 3] Float32Array as images. */
export function fromBatch(values: Float32Array, n: number, h: number, w: number): Img[] {
  const per = h * w * 3;
  return Array.from({ length: n }, (_, i) => ({ h, w, c: 3, data: Float64Array.from(values.subarray(i * per, (i + 1) * per)) }));
}

export const at = (im: Img, y: number, x: number, ch: number) => im.data[(y * im.w + x) * im.c + ch]!;

export function map(im: Img, f: (rgb: [number, number, number]) => [number, number, number]): Img {
  const out = new Float64Array(im.data.length);
  for (let p = 0; p < im.h * im.w; p++) {
    const [r, g, b] = f([im.data[p * 3]!, im.data[p * 3 + 1]!, im.data[p * 3 + 2]!]);
    out[p * 3] = r;
    out[p * 3 + 1] = g;
    out[p * 3 + 2] = b;
  }
  return { ...im, data: out };
}

const clamp = (v: number, lo: number, hi: number) => Math.min(hi, Math.max(lo, v));

/** Largest absolute difference between two same-size images. */
export function maxDiff(a: Img, b: Img): number {
  if (a.data.length !== b.data.length) throw new Error(`sizes differ: ${a.h}x${a.w} vs ${b.h}x${b.w}`);
  let m = 0;
  for (let i = 0; i < a.data.length; i++) m = Math.max(m, Math.abs(a.data[i]! - b.data[i]!));
  return m;
}

// ---- colour --------------------------------------------------------------

export const grayscale = (im: Img) =>
  map(im, ([r, g, b]) => {
    const y = 0.2989 * r + 0.587 * g + 0.114 * b;
    return [y, y, y];
  });

/** Classical RGB -> HSV (h in [0, 1)). */
export function rgbToHsv(r: number, g: number, b: number): [number, number, number] {
  const max = Math.max(r, g, b);
  const min = Math.min(r, g, b);
  const d = max - min;
  let h = 0;
  if (d > 0) {
    if (max === r) h = ((g - b) / d + 6) % 6;
    else if (max === g) h = (b - r) / d + 2;
    else h = (r - g) / d + 4;
  }
  return [h / 6, max > 0 ? d / max : 0, max];
}

/** Classical HSV -> RGB by sector (i = floor(6h); p, q, t). */
export function hsvToRgb(h: number, s: number, v: number): [number, number, number] {
  const h6 = (((h % 1) + 1) % 1) * 6;
  const i = Math.floor(h6) % 6;
  const f = h6 - Math.floor(h6);
  const p = v * (1 - s);
  const q = v * (1 - s * f);
  const t = v * (1 - s * (1 - f));
  switch (i) {
    case 0:
      return [v, t, p];
    case 1:
      return [q, v, p];
    case 2:
      return [p, v, t];
    case 3:
      return [p, q, v];
    case 4:
      return [t, p, v];
    default:
      return [v, p, q];
  }
}

export const brightness = (im: Img, f: number) => map(im, ([r, g, b]) => [clamp(r * f, 0, 1), clamp(g * f, 0, 1), clamp(b * f, 0, 1)]);

export function contrast(im: Img, f: number): Img {
  const mean = [0, 0, 0];
  for (let p = 0; p < im.h * im.w; p++) for (let ch = 0; ch < 3; ch++) mean[ch]! += im.data[p * 3 + ch]!;
  for (let ch = 0; ch < 3; ch++) mean[ch]! /= im.h * im.w;
  return map(im, (rgb) => rgb.map((v, ch) => clamp((v - mean[ch]!) * f + mean[ch]!, 0, 1)) as [number, number, number]);
}

export const saturation = (im: Img, f: number) =>
  map(im, ([r, g, b]) => {
    const [h, s, v] = rgbToHsv(r, g, b);
    return hsvToRgb(h, clamp(s * f, 0, 1), v).map((x) => clamp(x, 0, 1)) as [number, number, number];
  });

export const hue = (im: Img, delta: number) =>
  map(im, ([r, g, b]) => {
    const [h, s, v] = rgbToHsv(r, g, b);
    return hsvToRgb(h + delta, s, v).map((x) => clamp(x, 0, 1)) as [number, number, number];
  });

export const solarize = (im: Img, t: number) => map(im, (rgb) => rgb.map((v) => (v >= t ? 1 - v : v)) as [number, number, number]);

// ---- geometry -------------------------------------------------------------

/** Bilinear sample at (y, x) of channel ch; `fill` for neighbours outside (null: clamp is never needed). */
function bilinear(im: Img, y: number, x: number, ch: number, fill: number): number {
  const y0 = Math.floor(y);
  const x0 = Math.floor(x);
  const read = (yy: number, xx: number) => (yy >= 0 && yy < im.h && xx >= 0 && xx < im.w ? at(im, yy, xx, ch) : fill);
  const fy = y - y0;
  const fx = x - x0;
  return (read(y0, x0) * (1 - fx) + read(y0, x0 + 1) * fx) * (1 - fy) + (read(y0 + 1, x0) * (1 - fx) + read(y0 + 1, x0 + 1) * fx) * fy;
}

/**
 * Crop the box (pixels) and resize to size x size bilinearly, the box's
 * corner pixels landing on the output's corner pixels.
 */
export function cropResize(im: Img, box: { x: number; y: number; w: number; h: number }, size: number): Img {
  const out = new Float64Array(size * size * 3);
  for (let i = 0; i < size; i++) {
    const sy = size > 1 ? box.y + (i * (box.h - 1)) / (size - 1) : box.y + (box.h - 1) / 2;
    for (let j = 0; j < size; j++) {
      const sx = size > 1 ? box.x + (j * (box.w - 1)) / (size - 1) : box.x + (box.w - 1) / 2;
      for (let ch = 0; ch < 3; ch++) out[(i * size + j) * 3 + ch] = bilinear(im, sy, sx, ch, 0);
    }
  }
  return { h: size, w: size, c: 3, data: out };
}

export function flip(im: Img): Img {
  const out = new Float64Array(im.data.length);
  for (let y = 0; y < im.h; y++) for (let x = 0; x < im.w; x++) for (let ch = 0; ch < 3; ch++) out[(y * im.w + x) * 3 + ch] = at(im, y, im.w - 1 - x, ch);
  return { ...im, data: out };
}

/** numpy.rot90(k=1) on an image: counter-clockwise quarter turn, out[i][j] = in[j][w-1-i]. */
export function rot90ccw(im: Img): Img {
  const out = new Float64Array(im.data.length);
  for (let i = 0; i < im.w; i++) for (let j = 0; j < im.h; j++) for (let ch = 0; ch < 3; ch++) out[(i * im.h + j) * 3 + ch] = at(im, j, im.w - 1 - i, ch);
  return { h: im.w, w: im.h, c: 3, data: out };
}

/**
 * Rotation by `degrees` counter-clockwise on screen (y down) about the pixel
 * centre of the image: content at p moves to c + M (p - c), M = [[cos, sin],
 * [-sin, cos]]; each output pixel samples the input at c + M^T (q - c).
 */
export function rotate(im: Img, degrees: number, fill: number): Img {
  const t = (degrees * Math.PI) / 180;
  const cy = (im.h - 1) / 2;
  const cx = (im.w - 1) / 2;
  const out = new Float64Array(im.data.length);
  for (let y = 0; y < im.h; y++) {
    for (let x = 0; x < im.w; x++) {
      const dx = x - cx;
      const dy = y - cy;
      const sx = cx + Math.cos(t) * dx - Math.sin(t) * dy;
      const sy = cy + Math.sin(t) * dx + Math.cos(t) * dy;
      for (let ch = 0; ch < 3; ch++) out[(y * im.w + x) * 3 + ch] = bilinear(im, sy, sx, ch, fill);
    }
  }
  return { ...im, data: out };
}

/** Index into [0, n) mirrored about the edge pixels (numpy 'reflect'). */
const reflect = (t: number, n: number) => (t < 0 ? -t : t > n - 1 ? 2 * (n - 1) - t : t);

/** Direct 2-D convolution with the (2r+1)^2 Gaussian kernel exp(-(i^2 + j^2) / (2 sigma^2)) / sum. */
export function gaussianBlur(im: Img, sigma: number, radius: number, padding: 'reflect' | 'zero'): Img {
  const k: number[][] = [];
  let sum = 0;
  for (let i = -radius; i <= radius; i++) {
    const row: number[] = [];
    for (let j = -radius; j <= radius; j++) {
      const v = Math.exp(-(i * i + j * j) / (2 * sigma * sigma));
      row.push(v);
      sum += v;
    }
    k.push(row);
  }
  const out = new Float64Array(im.data.length);
  for (let y = 0; y < im.h; y++) {
    for (let x = 0; x < im.w; x++) {
      for (let ch = 0; ch < 3; ch++) {
        let acc = 0;
        for (let i = -radius; i <= radius; i++) {
          for (let j = -radius; j <= radius; j++) {
            let yy = y + i;
            let xx = x + j;
            if (padding === 'reflect') {
              yy = reflect(yy, im.h);
              xx = reflect(xx, im.w);
            } else if (yy < 0 || yy >= im.h || xx < 0 || xx >= im.w) continue;
            acc += (k[i + radius]![j + radius]! / sum) * at(im, yy, xx, ch);
          }
        }
        out[(y * im.w + x) * 3 + ch] = acc;
      }
    }
  }
  return { ...im, data: out };
}

export function sobel(im: Img): Img {
  const lum = (y: number, x: number) => {
    const yy = reflect(y, im.h);
    const xx = reflect(x, im.w);
    return 0.2989 * at(im, yy, xx, 0) + 0.587 * at(im, yy, xx, 1) + 0.114 * at(im, yy, xx, 2);
  };
  const out = new Float64Array(im.data.length);
  for (let y = 0; y < im.h; y++) {
    for (let x = 0; x < im.w; x++) {
      const gx = lum(y - 1, x + 1) + 2 * lum(y, x + 1) + lum(y + 1, x + 1) - lum(y - 1, x - 1) - 2 * lum(y, x - 1) - lum(y + 1, x - 1);
      const gy = lum(y + 1, x - 1) + 2 * lum(y + 1, x) + lum(y + 1, x + 1) - lum(y - 1, x - 1) - 2 * lum(y - 1, x) - lum(y - 1, x + 1);
      const m = clamp(Math.hypot(gx, gy) / 4, 0, 1);
      for (let ch = 0; ch < 3; ch++) out[(y * im.w + x) * 3 + ch] = m;
    }
  }
  return { ...im, data: out };
}

export function cutout(im: Img, box: { x: number; y: number; w: number; h: number }, fill: number): Img {
  const out = Float64Array.from(im.data);
  for (let y = box.y; y < box.y + box.h; y++) for (let x = box.x; x < box.x + box.w; x++) for (let ch = 0; ch < 3; ch++) out[(y * im.w + x) * 3 + ch] = fill;
  return { ...im, data: out };
}

export const normalize = (im: Img, mean: number[], std: number[]) => map(im, (rgb) => rgb.map((v, ch) => (v - mean[ch]!) / std[ch]!) as [number, number, number]);
