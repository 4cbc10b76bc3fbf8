import fs from 'node:fs';
import path from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { datasetSummary, encodePng, handleImage, handleSummary, handleThumbnailPage, imageAt, labelNames, thumbnailPage } from '../../src/engine/data/browse.js';
import { readCifar10 } from '../../src/engine/data/cifar.js';
import { readImageFolder } from '../../src/engine/data/folder.js';
import { readIdxFolder } from '../../src/engine/data/idx.js';
import type { Dataset } from '../../src/engine/data/types.js';
import { imageResponseSchema, thumbnailPageResponseSchema } from '../../src/shared/dataset.js';
import { CIFAR10_DIR } from '../support/shared-data.js';
import { idxBytes, patternBytes, tmpDir, writeImage } from './fixtures.js';

const tmp = tmpDir('browse');
let cifar: Dataset;
beforeAll(() => {
  cifar = readCifar10(CIFAR10_DIR);
});
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

async function decodePng(b64: string) {
  const { data, info } = await sharp(Buffer.from(b64, 'base64')).raw().toBuffer({ resolveWithObject: true });
  return { data, info };
}

describe('browsing the shared CIFAR-10 subset', () => {
  it('summarises splits, per-class counts and channel statistics', () => {
    const s = datasetSummary(cifar);
    expect(s.classNames).toEqual(labelNames(cifar));
    expect(s.splits.map((x) => [x.name, x.count, x.width, x.height, x.channels])).toEqual([
      ['train', 10000, 32, 32, 3],
      ['test', 2000, 32, 32, 3],
    ]);
    expect(s.splits[0]!.perClass).toEqual([1005, 974, 1032, 1016, 999, 937, 1030, 1001, 1025, 981]);
    // mean/std by a plain loop over the red channel of the test split
    const t = cifar.splits.test!;
    let sum = 0;
    let sq = 0;
    for (let i = 0; i < t.images.length; i += 3) {
      sum += t.images[i]! / 255;
      sq += (t.images[i]! / 255) ** 2;
    }
    const n = t.images.length / 3;
    expect(s.splits[1]!.mean[0]).toBeCloseTo(sum / n, 10);
    expect(s.splits[1]!.std[0]).toBeCloseTo(Math.sqrt(sq / n - (sum / n) ** 2), 10);
  });

  it('pages thumbnails of one class in file order, as PNGs holding the exact pixels', async () => {
    const frog = cifar.classNames.indexOf('frog');
    const page = await thumbnailPage(cifar, { split: 'train', classIndex: frog, offset: 0, limit: 5 });
    thumbnailPageResponseSchema.parse(page);
    expect(page.total).toBe(1030);
    expect(page.size).toBe(32);
    const want = Array.from(cifar.splits.train.labels.entries())
      .filter(([, l]) => l === frog)
      .slice(0, 5)
      .map(([i]) => i);
    expect(page.items.map((x) => x.index)).toEqual(want);
    expect(page.items[0]!.index).toBe(0); // train[0] is a frog
    expect(page.items.every((x) => x.labelName === 'frog' && x.label === frog)).toBe(true);
    const { data, info } = await decodePng(page.items[2]!.png);
    expect([info.width, info.height, info.channels]).toEqual([32, 32, 3]);
    const k = want[2]!;
    expect(data.equals(Buffer.from(cifar.splits.train.images.subarray(k * 3072, (k + 1) * 3072)))).toBe(true);

    const next = await thumbnailPage(cifar, { split: 'train', classIndex: frog, offset: 1025, limit: 10 });
    expect(next.items).toHaveLength(5);
    const test = await thumbnailPage(cifar, { split: 'test', limit: 3 });
    expect(test.total).toBe(2000);
    expect(test.items[0]!.labelName).toBe('cat');
  });

  it('enlarges thumbnails to 96 and 224 with nearest-neighbour (each source pixel becomes a block)', async () => {
    for (const size of [96, 224]) {
      const page = await thumbnailPage(cifar, { split: 'test', limit: 1, size });
      const { data, info } = await decodePng(page.items[0]!.png);
      expect([info.width, info.height]).toEqual([size, size]);
      const f = size / 32;
      const src = cifar.splits.test!.images;
      // pixel (row 10, col 20) of the original fills the block starting at (10f, 20f)
      for (const [dy, dx] of [
        [0, 0],
        [Math.floor(f) - 1, Math.floor(f) - 1],
      ]) {
        const y = Math.floor(10 * f) + dy;
        const x = Math.floor(20 * f) + dx;
        expect(data[(y * size + x) * 3]).toBe(src[(10 * 32 + 20) * 3]);
      }
    }
  });

  it('returns one image at full size or a chosen size, and rejects bad requests clearly', async () => {
    const img = await imageAt(cifar, { split: 'test', index: 0 });
    imageResponseSchema.parse(img);
    expect(img).toMatchObject({ index: 0, labelName: 'cat', width: 32, height: 32, channels: 3 });
    const big = await imageAt(cifar, { split: 'test', index: 0, size: 224 });
    expect((await decodePng(big.png)).info.width).toBe(224);
    await expect(imageAt(cifar, { split: 'test', index: 2000 })).rejects.toThrow(/image 2000: the test split of cifar10 has 2000 images \(0\.\.1999\)/);
    await expect(imageAt(cifar, { split: 'val', index: 0 })).rejects.toThrow(/dataset cifar10 has no val split \(it has train, test\)/);
    await expect(thumbnailPage(cifar, { classIndex: 10 })).rejects.toThrow(/classIndex 10: dataset cifar10 has 10 classes/);
  });
});

describe('other datasets', () => {
  it('serves grayscale IDX images as grayscale PNGs', async () => {
    const dir = path.join(tmp, 'mnist');
    fs.mkdirSync(dir);
    const px = patternBytes(3 * 28 * 28, 4);
    fs.writeFileSync(path.join(dir, 'train-images-idx3-ubyte'), idxBytes([3, 28, 28], px));
    fs.writeFileSync(path.join(dir, 'train-labels-idx1-ubyte'), idxBytes([3], Uint8Array.from([7, 1, 0])));
    const ds = readIdxFolder(dir);
    const img = await imageAt(ds, { index: 1 });
    expect(img).toMatchObject({ labelName: '1', channels: 1, width: 28 });
    const png = Buffer.from(img.png, 'base64');
    expect((await sharp(png).metadata()).channels).toBe(1);
    // (sharp would widen to sRGB on raw output unless asked to stay grey)
    const data = await sharp(png).toColourspace('b-w').raw().toBuffer();
    expect(data.equals(Buffer.from(px.subarray(784, 1568)))).toBe(true);
  });

  it('browses a 96x96 folder dataset, shrinking thumbnails to 32', async () => {
    const dir = path.join(tmp, 'big');
    await writeImage(path.join(dir, 'a', '1.png'), 96, 96, 3);
    await writeImage(path.join(dir, 'b', '1.png'), 96, 96, 4);
    const { dataset } = await readImageFolder(dir);
    const full = await imageAt(dataset, { index: 1 });
    expect([full.width, full.labelName]).toEqual([96, 'b']);
    const page = await thumbnailPage(dataset, { size: 32 });
    expect(page.items).toHaveLength(2);
    expect((await decodePng(page.items[0]!.png)).info.width).toBe(32);
    const png = await encodePng(dataset.splits.train, 0);
    expect(png.subarray(1, 4).toString()).toBe('PNG');
  });

  it('answers validated requests by dataset reference (the server/IPC entry points)', async () => {
    const root = path.join(tmp, 'root');
    const page = await handleThumbnailPage({ dataset: CIFAR10_DIR, split: 'test', limit: 2 }, { dataRoot: root });
    expect(page.items.map((x) => x.labelName)[0]).toBe('cat');
    const img = await handleImage({ dataset: { kind: 'path', path: CIFAR10_DIR }, split: 'train', index: 0 }, { dataRoot: root });
    expect(img.labelName).toBe('frog');
    expect((await handleSummary(CIFAR10_DIR, { dataRoot: root })).splits[0]!.count).toBe(10000);
    await expect(handleThumbnailPage({ dataset: CIFAR10_DIR, limit: 0 }, { dataRoot: root })).rejects.toThrow(/limit/);
  });
});
