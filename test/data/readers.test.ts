import fs from 'node:fs';
import path from 'node:path';
import zlib from 'node:zlib';
import { afterAll, describe, expect, it } from 'vitest';
import { readCifar10, readCifar100, decodeCifarRecords } from '../../src/engine/data/cifar.js';
import { FASHION_MNIST_CLASSES, parseIdx, readIdxFile, readIdxFolder } from '../../src/engine/data/idx.js';
import { computeStats } from '../../src/engine/data/stats.js';
import { CIFAR100_DIR, CIFAR10_DIR } from '../support/shared-data.js';
import { cifarRecords, idxBytes, patternBytes, tmpDir } from './fixtures.js';

const FASHION_DIR = '/usr/share/datasets/fashion-mnist';
const hasFashion = fs.existsSync(path.join(FASHION_DIR, 'train-images-idx3-ubyte.gz'));
if (!hasFashion) console.warn(`Fashion-MNIST tests skipped: ${FASHION_DIR} is missing (apt-get install -y dataset-fashion-mnist)`);

const tmp = tmpDir('readers');
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

/** Pixel (row, col, channel) of record n, straight from the planar file bytes. */
function rawPixel(file: Buffer, labelBytes: number, n: number, row: number, col: number, ch: number): number {
  return file[n * (labelBytes + 3072) + labelBytes + ch * 1024 + row * 32 + col]!;
}

describe('CIFAR-10 (shared real subset)', () => {
  const ds = readCifar10(CIFAR10_DIR);
  const trainFile = fs.readFileSync(path.join(CIFAR10_DIR, 'data_batch_1.bin'));

  it('has the documented counts, class names and first labels', () => {
    expect(ds.splits.train.count).toBe(10000);
    expect(ds.splits.test!.count).toBe(2000);
    expect(ds.classNames).toEqual(['airplane', 'automobile', 'bird', 'cat', 'deer', 'dog', 'frog', 'horse', 'ship', 'truck']);
    expect(ds.classNames[ds.splits.train.labels[0]!]).toBe('frog');
    expect(ds.classNames[ds.splits.test!.labels[0]!]).toBe('cat');
    expect(computeStats(ds.splits.train, 10).perClass).toEqual([1005, 974, 1032, 1016, 999, 937, 1030, 1001, 1025, 981]);
  });

  it('turns the planar records into NHWC with the right pixel in the right place', () => {
    const s = ds.splits.train;
    for (const [n, row, col] of [
      [0, 0, 0],
      [0, 31, 31],
      [123, 5, 17],
      [9999, 16, 2],
    ] as const) {
      for (let ch = 0; ch < 3; ch++) {
        expect(s.images[((n * 32 + row) * 32 + col) * 3 + ch]).toBe(rawPixel(trainFile, 1, n, row, col, ch));
      }
    }
    expect(s.labels[9999]).toBe(trainFile[9999 * 3073]);
  });

  it('names the file when a batch is truncated', () => {
    const dir = path.join(tmp, 'c10-trunc');
    fs.mkdirSync(dir);
    fs.writeFileSync(path.join(dir, 'data_batch_1.bin'), trainFile.subarray(0, 3073 * 3 + 1000));
    fs.copyFileSync(path.join(CIFAR10_DIR, 'batches.meta.txt'), path.join(dir, 'batches.meta.txt'));
    expect(() => readCifar10(dir)).toThrow(/data_batch_1\.bin: truncated or not a CIFAR-10 file: 10219 bytes is 3 whole 3073-byte records plus 1000 bytes/);
  });

  it('names the file and record when a label is out of range', () => {
    const recs = cifarRecords([[3], [7], [10]], 1);
    expect(() => decodeCifarRecords(recs, 1, 0, 'x/data_batch_2.bin', 10)).toThrow(/x\/data_batch_2\.bin: record 2 \(byte 6146\) has label 10, outside 0\.\.9/);
  });

  it('says what is missing in a folder that is not CIFAR-10', () => {
    expect(() => readCifar10(path.join(tmp, 'nope'))).toThrow(/nope: folder not found/);
    const dir = path.join(tmp, 'c10-nonames');
    fs.mkdirSync(dir);
    fs.writeFileSync(path.join(dir, 'data_batch_1.bin'), cifarRecords([[1]], 2));
    expect(() => readCifar10(dir)).toThrow(/batches\.meta\.txt: missing; it should list the 10 class names/);
  });
});

describe('CIFAR-100 (shared real subset)', () => {
  it('reads fine labels: 100 names, exactly 20 test images per class, pixels in place', () => {
    const ds = readCifar100(CIFAR100_DIR, 'fine');
    expect(ds.splits.train.count).toBe(10000);
    expect(ds.splits.test!.count).toBe(2000);
    expect(ds.classNames).toHaveLength(100);
    expect(ds.classNames.slice(0, 3)).toEqual(['apple', 'aquarium_fish', 'baby']);
    expect(computeStats(ds.splits.test!, 100).perClass).toEqual(new Array(100).fill(20));
    const file = fs.readFileSync(path.join(CIFAR100_DIR, 'test.bin'));
    expect(ds.splits.test!.labels[5]).toBe(file[5 * 3074 + 1]);
    expect(ds.splits.test!.images[((5 * 32 + 9) * 32 + 30) * 3 + 2]).toBe(rawPixel(file, 2, 5, 9, 30, 2));
  });

  it('reads coarse labels: 20 names, counts that sum to the fine ones', () => {
    const coarse = readCifar100(CIFAR100_DIR, 'coarse');
    const fine = readCifar100(CIFAR100_DIR, 'fine');
    expect(coarse.id).toBe('cifar100-coarse');
    expect(coarse.classNames).toHaveLength(20);
    expect(coarse.classNames[0]).toBe('aquatic_mammals');
    expect(Buffer.compare(Buffer.from(coarse.splits.train.images), Buffer.from(fine.splits.train.images))).toBe(0);
    // each fine class belongs to exactly one coarse class: 5 fine classes x 20 test images = 100 per coarse class
    expect(computeStats(coarse.splits.test!, 20).perClass).toEqual(new Array(20).fill(100));
  });
});

describe.skipIf(!hasFashion)('Fashion-MNIST (Debian dataset-fashion-mnist, gzipped IDX)', () => {
  it('reads 60,000 + 10,000 28x28 grayscale images, 6,000 / 1,000 per class', () => {
    const ds = readIdxFolder(FASHION_DIR);
    expect(ds.id).toBe('fashion-mnist');
    expect(ds.classNames).toEqual(FASHION_MNIST_CLASSES);
    const { train, test } = ds.splits;
    expect([train.count, train.height, train.width, train.channels]).toEqual([60000, 28, 28, 1]);
    expect(test!.count).toBe(10000);
    expect(computeStats(train, 10).perClass).toEqual(new Array(10).fill(6000));
    expect(computeStats(test!, 10).perClass).toEqual(new Array(10).fill(1000));
    // the first training image is an ankle boot
    expect(ds.classNames[train.labels[0]!]).toBe('Ankle boot');
    // pixels are the file's bytes after the 16-byte header
    const raw = zlib.gunzipSync(fs.readFileSync(path.join(FASHION_DIR, 't10k-images-idx3-ubyte.gz')));
    expect(Buffer.compare(Buffer.from(test!.images), raw.subarray(16))).toBe(0);
  });

  it('reads a raw (gunzipped) file the same as the .gz', () => {
    const raw = path.join(tmp, 't10k-labels-idx1-ubyte');
    fs.writeFileSync(raw, zlib.gunzipSync(fs.readFileSync(path.join(FASHION_DIR, 't10k-labels-idx1-ubyte.gz'))));
    const a = readIdxFile(raw);
    const b = readIdxFile(path.join(FASHION_DIR, 't10k-labels-idx1-ubyte.gz'));
    expect(a.dims).toEqual([10000]);
    expect(Buffer.compare(Buffer.from(a.data), Buffer.from(b.data))).toBe(0);
  });
});

describe('IDX bad input', () => {
  const img = patternBytes(5 * 4 * 4, 3);
  it('rejects a wrong magic number, naming the file and the bytes found', () => {
    const f = path.join(tmp, 'train-images-idx3-ubyte');
    fs.writeFileSync(f, idxBytes([5, 4, 4], img, false, [0x50, 0x4b, 0x03, 0x04]));
    expect(() => readIdxFile(f)).toThrow(new RegExp(`${f}: not an IDX file: wrong magic number \\(first bytes 50 4b 03 04, expected 00 00 08 0N`));
  });
  it('rejects a data type images do not use', () => {
    expect(() => parseIdx(idxBytes([2], new Uint8Array(8), false, [0, 0, 0x0d, 1]), 'f.idx')).toThrow(/f\.idx: IDX data type float \(0xd\) is not supported/);
  });
  it('reports truncation with the sizes', () => {
    const b = idxBytes([5, 4, 4], img).subarray(0, 16 + 70);
    expect(() => parseIdx(b, 'imgs')).toThrow(/imgs: truncated: dimensions 5x4x4 need 80 data bytes, found 70/);
  });
  it('reports a corrupt gzip stream', () => {
    const f = path.join(tmp, 'bad.gz');
    fs.writeFileSync(f, idxBytes([5, 4, 4], img, true).subarray(0, 30));
    expect(() => readIdxFile(f)).toThrow(/bad\.gz: gzip data is corrupt or truncated/);
  });
  it('rejects labels out of range and label files that do not match', () => {
    const dir = path.join(tmp, 'idx-bad-labels');
    fs.mkdirSync(dir);
    fs.writeFileSync(path.join(dir, 'train-images-idx3-ubyte.gz'), idxBytes([5, 4, 4], img, true));
    fs.writeFileSync(path.join(dir, 'train-labels-idx1-ubyte.gz'), idxBytes([5], Uint8Array.from([1, 2, 12, 0, 3]), true));
    expect(() => readIdxFolder(dir)).toThrow(/train-labels-idx1-ubyte\.gz: label 2 is 12, outside 0\.\.9/);
    fs.writeFileSync(path.join(dir, 'train-labels-idx1-ubyte.gz'), idxBytes([4], Uint8Array.from([1, 2, 3, 0]), true));
    expect(() => readIdxFolder(dir)).toThrow(/4 labels for 5 images in train-images-idx3-ubyte\.gz/);
    fs.writeFileSync(path.join(dir, 'train-labels-idx1-ubyte.gz'), idxBytes([5], Uint8Array.from([1, 2, 3, 0, 9]), true));
    const ds = readIdxFolder(dir, { classNames: ['a', 'b', 'c', 'd', 'e', 'f', 'g', 'h', 'i', 'j'] });
    expect(Array.from(ds.splits.train.labels)).toEqual([1, 2, 3, 0, 9]);
    expect(Buffer.compare(Buffer.from(ds.splits.train.images), Buffer.from(img))).toBe(0);
  });
});
