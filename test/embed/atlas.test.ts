import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readCifar10, type ImageSet } from '../../src/engine/data/index.js';
import { readAtlasIndex, writeAtlas } from '../../src/engine/embed/index.js';
import { cellOf } from '../../src/shared/embed.js';
import { CIFAR10_DIR } from '../support/shared-data.js';

let tmp: string;
let test: ImageSet;
beforeAll(() => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'simclr-embed-atlas-'));
  test = readCifar10(CIFAR10_DIR).splits.test!;
});
afterAll(() => {
  fs.rmSync(tmp, { recursive: true, force: true });
});

async function rawPng(file: string) {
  const { data, info } = await sharp(file).raw().toBuffer({ resolveWithObject: true });
  return { data: new Uint8Array(data), width: info.width, height: info.height, channels: info.channels };
}

describe('thumbnail atlas', () => {
  it('packs the chosen images pixel-exactly into sheets, and the index says where each one is', async () => {
    const indices = [5, 0, 1999, 42, 7, 8, 9, 10, 11, 12, 13];
    // 32 px cells, 128 px sheets: 4 columns x 4 rows = 16 cells per sheet -> one sheet; then 64 px sheets -> 3 sheets
    for (const maxSide of [128, 64]) {
      const base = path.join(tmp, `s${maxSide}`, 'test-x');
      const index = await writeAtlas(test, indices, base, { maxSide });
      expect(readAtlasIndex(`${base}.atlas.json`)).toEqual(index);
      expect(index.images).toEqual(indices);
      expect(index.sheets).toHaveLength(Math.ceil(indices.length / index.cellsPerSheet));
      for (let c = 0; c < indices.length; c++) {
        const cell = cellOf(index, c);
        const png = await rawPng(path.join(path.dirname(base), index.sheets[cell.sheet]!.file));
        expect(png.channels).toBe(3);
        const img = indices[c]!;
        for (const [y, x] of [
          [0, 0],
          [31, 31],
          [16, 3],
        ] as const) {
          for (let k = 0; k < 3; k++) {
            expect(png.data[((cell.y + y) * png.width + cell.x + x) * 3 + k]).toBe(test.images[img * 3072 + (y * 32 + x) * 3 + k]);
          }
        }
      }
    }
  });

  it('shrinks thumbnails by area averaging when the cell is smaller than the image', async () => {
    const base = path.join(tmp, 'small', 'x');
    const index = await writeAtlas(test, [3, 4], base, { cellSize: 16 });
    const png = await rawPng(path.join(tmp, 'small', index.sheets[0]!.file));
    expect(png.width).toBe(32);
    expect(png.height).toBe(16);
    const cell = cellOf(index, 1);
    for (const [oy, ox] of [
      [0, 0],
      [7, 12],
      [15, 15],
    ] as const) {
      for (let k = 0; k < 3; k++) {
        let s = 0;
        for (const [dy, dx] of [
          [0, 0],
          [0, 1],
          [1, 0],
          [1, 1],
        ] as const)
          s += test.images[4 * 3072 + ((2 * oy + dy) * 32 + 2 * ox + dx) * 3 + k]!;
        expect(png.data[((cell.y + oy) * png.width + cell.x + ox) * 3 + k]).toBe(Math.round(s / 4));
      }
    }
  });

  it('refuses out-of-range images and impossible cell sizes', async () => {
    await expect(writeAtlas(test, [test.count], path.join(tmp, 'bad', 'x'))).rejects.toThrow(/image index 2000 out of range/);
    await expect(writeAtlas(test, [0], path.join(tmp, 'bad', 'y'), { cellSize: 64, maxSide: 32 })).rejects.toThrow(/larger than the sheet limit/);
  });
});
