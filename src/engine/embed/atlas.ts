/**
 * Thumbnail atlas: the embedded images packed into PNG sprite sheets (one
 * texture upload, one drawImage per point in the UI) plus a JSON index
 * (atlasIndexSchema in src/shared/embed.ts). Cells follow the order of the
 * projection's points; sheets are at most maxSide pixels on a side, which
 * every WebGL implementation accepts as a texture (4096 by default).
 *
 * Pixels are copied (and, when the cell size differs from the image size,
 * box-filtered) in JS; sharp only encodes the PNG.
 */
import fs from 'node:fs';
import path from 'node:path';
import sharp from 'sharp';
import { writeFileAtomic, writeJsonAtomic } from '../fs/atomic.js';
import { atlasIndexSchema, type AtlasIndex } from '../../shared/embed.js';
import type { ImageSet } from '../data/types.js';
import { abortError } from '../abort.js';

export interface AtlasOptions {
  /** cell side in pixels; default the image height */
  cellSize?: number;
  /** largest sheet side in pixels; default 4096 */
  maxSide?: number;
  signal?: AbortSignal;
  onProgress?: (done: number, total: number) => void;
}

/**
 * Resample one image (h x w x c, uint8) to size x size with a box filter:
 * each output pixel averages the source area it covers (exact for integer
 * down-scaling, nearest-like blocks when enlarging).
 */
export function resizeBox(src: Uint8Array, srcOff: number, h: number, w: number, c: number, size: number, dst: Uint8Array, dstOff: number, dstStride: number): void {
  const sy = h / size;
  const sx = w / size;
  const acc = new Float64Array(c);
  for (let oy = 0; oy < size; oy++) {
    const y0 = oy * sy;
    const y1 = y0 + sy;
    for (let ox = 0; ox < size; ox++) {
      const x0 = ox * sx;
      const x1 = x0 + sx;
      acc.fill(0);
      let area = 0;
      for (let y = Math.floor(y0); y < Math.min(h, Math.ceil(y1)); y++) {
        const wy = Math.min(y + 1, y1) - Math.max(y, y0);
        if (wy <= 0) continue;
        for (let x = Math.floor(x0); x < Math.min(w, Math.ceil(x1)); x++) {
          const wx = Math.min(x + 1, x1) - Math.max(x, x0);
          if (wx <= 0) continue;
          const wgt = wy * wx;
          area += wgt;
          const s = srcOff + (y * w + x) * c;
          for (let k = 0; k < c; k++) acc[k] += wgt * src[s + k]!;
        }
      }
      const d = dstOff + oy * dstStride + ox * c;
      for (let k = 0; k < c; k++) dst[d + k] = Math.round(acc[k]! / area);
    }
  }
}

/**
 * Write `<base>.atlas.json` and `<base>.atlas-<k>.png` (k = 0, 1, ...) for the
 * images `indices` of `set`, in that order. Returns the index.
 */
export async function writeAtlas(set: ImageSet, indices: ArrayLike<number>, base: string, opts: AtlasOptions = {}): Promise<AtlasIndex> {
  const cell = opts.cellSize ?? set.height;
  const maxSide = opts.maxSide ?? 4096;
  if (!Number.isInteger(cell) || cell < 1) throw new RangeError(`atlas cell size must be a positive integer, got ${cell}`);
  if (cell > maxSide) throw new RangeError(`atlas cell size ${cell} is larger than the sheet limit ${maxSide}`);
  const count = indices.length;
  const columns = Math.max(1, Math.min(count, Math.floor(maxSide / cell)));
  const rowsPerSheet = Math.floor(maxSide / cell);
  const cellsPerSheet = columns * rowsPerSheet;
  const c = set.channels;
  const imgBytes = set.height * set.width * c;
  const direct = cell === set.height && cell === set.width;
  const sheets: AtlasIndex['sheets'] = [];
  const images: number[] = [];
  const dir = path.dirname(base);
  fs.mkdirSync(dir, { recursive: true });
  for (let first = 0, k = 0; first < count || (count === 0 && k === 0); first += cellsPerSheet, k++) {
    const cells = Math.min(cellsPerSheet, count - first);
    const rows = Math.max(1, Math.ceil(cells / columns));
    const width = columns * cell;
    const height = rows * cell;
    const stride = width * c;
    const pixels = new Uint8Array(height * stride);
    for (let i = 0; i < cells; i++) {
      if (opts.signal?.aborted) throw abortError();
      const idx = indices[first + i]!;
      if (!(idx >= 0 && idx < set.count)) throw new RangeError(`atlas: image index ${idx} out of range 0..${set.count - 1}`);
      images.push(idx);
      const col = i % columns;
      const row = Math.floor(i / columns);
      const dstOff = row * cell * stride + col * cell * c;
      if (direct) {
        for (let y = 0; y < cell; y++) pixels.set(set.images.subarray(idx * imgBytes + y * cell * c, idx * imgBytes + (y + 1) * cell * c), dstOff + y * stride);
      } else {
        resizeBox(set.images, idx * imgBytes, set.height, set.width, c, cell, pixels, dstOff, stride);
      }
    }
    const file = `${path.basename(base)}.atlas-${k}.png`;
    const png = await sharp(pixels, { raw: { width, height, channels: c } })
      .png({ compressionLevel: 6 })
      .toBuffer();
    writeFileAtomic(path.join(dir, file), png);
    sheets.push({ file, width, height, cells });
    opts.onProgress?.(first + cells, count);
    if (count === 0) break;
  }
  const index: AtlasIndex = atlasIndexSchema.parse({ format: 'simclr-workbench-atlas', version: 1, cellSize: cell, columns, cellsPerSheet, count, sheets, images });
  writeJsonAtomic(`${base}.atlas.json`, index);
  return index;
}

export function readAtlasIndex(file: string): AtlasIndex {
  const raw = JSON.parse(fs.readFileSync(file, 'utf8')) as unknown;
  const r = atlasIndexSchema.safeParse(raw);
  if (!r.success) throw new Error(`${file}: invalid atlas index: ${r.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`);
  return r.data;
}
