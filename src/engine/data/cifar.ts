import fs from 'node:fs';
import path from 'node:path';
import type { Dataset, ImageSet } from './types.js';

const SIDE = 32;
const PIXELS = SIDE * SIDE;

/**
 * Decode CIFAR binary records (planar: 1024 R, 1024 G, 1024 B) into NHWC.
 * labelBytes is 1 for CIFAR-10 and 2 for CIFAR-100 (coarse, fine);
 * labelIndex picks which label byte to keep.
 */
export function decodeCifarRecords(buf: Uint8Array, labelBytes: 1 | 2, labelIndex: 0 | 1, file: string, numClasses: number): ImageSet {
  const record = labelBytes + 3 * PIXELS;
  if (buf.length === 0 || buf.length % record !== 0) {
    throw new Error(`${file}: ${buf.length} bytes is not a whole number of ${record}-byte CIFAR records (truncated or not a CIFAR ${labelBytes === 1 ? '10' : '100'} file)`);
  }
  const count = buf.length / record;
  const images = new Uint8Array(count * 3 * PIXELS);
  const labels = new Int32Array(count);
  for (let n = 0; n < count; n++) {
    const base = n * record;
    const label = buf[base + labelIndex]!;
    if (label >= numClasses) throw new Error(`${file}: record ${n} has label ${label}, outside 0..${numClasses - 1}`);
    labels[n] = label;
    const src = base + labelBytes;
    const dst = n * 3 * PIXELS;
    for (let p = 0; p < PIXELS; p++) {
      images[dst + 3 * p] = buf[src + p]!;
      images[dst + 3 * p + 1] = buf[src + PIXELS + p]!;
      images[dst + 3 * p + 2] = buf[src + 2 * PIXELS + p]!;
    }
  }
  return { images, labels, count, height: SIDE, width: SIDE, channels: 3 };
}

function readNames(file: string, expected: number): string[] {
  const names = fs
    .readFileSync(file, 'utf8')
    .split(/\r?\n/)
    .map((s) => s.trim())
    .filter(Boolean);
  if (names.length !== expected) throw new Error(`${file}: expected ${expected} class names, found ${names.length}`);
  return names;
}

function concat(sets: ImageSet[]): ImageSet {
  if (sets.length === 1) return sets[0]!;
  const count = sets.reduce((a, s) => a + s.count, 0);
  const images = new Uint8Array(count * 3 * PIXELS);
  const labels = new Int32Array(count);
  let at = 0;
  for (const s of sets) {
    images.set(s.images, at * 3 * PIXELS);
    labels.set(s.labels, at);
    at += s.count;
  }
  return { ...sets[0]!, images, labels, count };
}

/** CIFAR-10 binary folder: data_batch_1..5.bin (whichever exist), test_batch.bin, batches.meta.txt. */
export function readCifar10(dir: string): Dataset {
  const batches = [1, 2, 3, 4, 5].map((i) => path.join(dir, `data_batch_${i}.bin`)).filter((f) => fs.existsSync(f));
  if (batches.length === 0) throw new Error(`${dir}: no data_batch_N.bin files (is this the cifar-10-batches-bin folder?)`);
  const train = concat(batches.map((f) => decodeCifarRecords(fs.readFileSync(f), 1, 0, f, 10)));
  const testFile = path.join(dir, 'test_batch.bin');
  const test = fs.existsSync(testFile) ? decodeCifarRecords(fs.readFileSync(testFile), 1, 0, testFile, 10) : undefined;
  return {
    id: 'cifar10',
    name: 'CIFAR-10',
    format: 'cifar10',
    classNames: readNames(path.join(dir, 'batches.meta.txt'), 10),
    splits: test ? { train, test } : { train },
  };
}

/** CIFAR-100 binary folder: train.bin, test.bin, fine/coarse_label_names.txt. */
export function readCifar100(dir: string, labels: 'fine' | 'coarse' = 'fine'): Dataset {
  const n = labels === 'fine' ? 100 : 20;
  const idx = labels === 'fine' ? 1 : 0;
  const read = (name: string) => {
    const f = path.join(dir, name);
    return decodeCifarRecords(fs.readFileSync(f), 2, idx, f, n);
  };
  const testFile = path.join(dir, 'test.bin');
  return {
    id: labels === 'fine' ? 'cifar100' : 'cifar100-coarse',
    name: labels === 'fine' ? 'CIFAR-100' : 'CIFAR-100 (coarse)',
    format: 'cifar100',
    classNames: readNames(path.join(dir, `${labels}_label_names.txt`), n),
    splits: fs.existsSync(testFile) ? { train: read('train.bin'), test: read('test.bin') } : { train: read('train.bin') },
  };
}
