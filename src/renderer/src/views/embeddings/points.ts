/**
 * What the scatter draws, independent of how: flat point arrays plus a view
 * transform. Two renderers take a `PointScene`: a hand-written WebGL2 one
 * (points-gl.ts, used when the browser has WebGL2) and a Canvas2D fallback
 * (points-2d.ts). Both draw the same picture from the same scene, so the
 * bench can compare them fairly and the UI can switch without a difference.
 */
import type { View } from './scatter';

export interface SpriteSource {
  /** one image per atlas sheet (decoded), in sheet order */
  sheets: (HTMLImageElement | ImageBitmap)[];
  /** per point: its sheet, and its cell's top-left corner and side in sheet pixels */
  sheet: Uint16Array;
  cellX: Float32Array;
  cellY: Float32Array;
  cellSize: number;
}

export interface PointScene {
  /** x0, y0, x1, y1, ... in data units */
  coords: Float32Array;
  /** RGBA per point, 0..255; alpha 0 hides the point */
  colors: Uint8Array;
  /** point diameter in CSS pixels */
  size: number;
  /** draw each point as its image when set */
  sprites: SpriteSource | null;
}

export interface PointRenderer {
  readonly kind: 'webgl2' | 'canvas2d';
  /** new points, colours or sprites (uploads buffers) */
  setScene(scene: PointScene): void;
  /** draw with this view into a canvas of width x height CSS pixels */
  draw(view: View, width: number, height: number, dpr: number): void;
  dispose(): void;
}

/** '#rrggbb' or 'hsl(h, s%, l%)' (what colorFor returns) as RGB bytes. */
export function parseColor(css: string): [number, number, number] {
  const hex = /^#([0-9a-f]{6})$/i.exec(css);
  if (hex) {
    const v = parseInt(hex[1]!, 16);
    return [(v >> 16) & 255, (v >> 8) & 255, v & 255];
  }
  const hsl = /^hsl\(\s*([\d.]+)\s*,\s*([\d.]+)%\s*,\s*([\d.]+)%\s*\)$/i.exec(css);
  if (hsl) {
    const h = Number(hsl[1]) / 360;
    const s = Number(hsl[2]) / 100;
    const l = Number(hsl[3]) / 100;
    const q = l < 0.5 ? l * (1 + s) : l + s - l * s;
    const p = 2 * l - q;
    const ch = (t: number) => {
      t = (t + 1) % 1;
      const v = t < 1 / 6 ? p + (q - p) * 6 * t : t < 1 / 2 ? q : t < 2 / 3 ? p + (q - p) * (2 / 3 - t) * 6 : p;
      return Math.round(v * 255);
    };
    return [ch(h + 1 / 3), ch(h), ch(h - 1 / 3)];
  }
  return [136, 136, 136];
}
