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
  const kind = labelBytes === 1 ? 'CIFAR-10' : 'CIFAR-100';
  if (buf.length === 0) throw new Error(`${file}: the file is empty; expected ${record}-byte ${kind} records`);
  if (buf.length % record !== 0) {
    const whole = Math.floor(buf.length / record);
    throw new Error(
      `${file}: truncated or not a ${kind} file: ${buf.length} bytes is ${whole} whole ${record}-byte records plus ${buf.length % record} bytes of a cut-off one; copy or download the file again`,
    );
  }
  const count = buf.length / record;
  const images = new Uint8Array(count * 3 * PIXELS);
  const labels = new Int32Array(count);
  for (let n = 0; n < count; n++) {
    const base = n * record;
    const label = buf[base + labelIndex]!;
    if (label >= numClasses) {
      throw new Error(`${file}: record ${n} (byte ${base + labelIndex}) has label ${label}, outside 0..${numClasses - 1}; the file is corrupt or not a ${kind} file`);
    }
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
  if (!fs.existsSync(file)) throw new Error(`${file}: missing; it should list the ${expected} class names, one a line`);
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

function checkDir(dir: string): void {
  let st: fs.Stats;
  try {
    st = fs.statSync(dir);
  } catch {
    throw new Error(`${dir}: folder not found`);
  }
  if (!st.isDirectory()) throw new Error(`${dir}: not a folder`);
}

/** The files readCifar10 reads, in reading order (batches, test, names). */
export function cifar10Files(dir: string): string[] {
  checkDir(dir);
  const batches = [1, 2, 3, 4, 5].map((i) => path.join(dir, `data_batch_${i}.bin`)).filter((f) => fs.existsSync(f));
  if (batches.length === 0) throw new Error(`${dir}: no data_batch_N.bin files (is this the cifar-10-batches-bin folder?)`);
  const test = path.join(dir, 'test_batch.bin');
  return [...batches, ...(fs.existsSync(test) ? [test] : []), path.join(dir, 'batches.meta.txt')];
}

/** The files readCifar100 reads, in reading order (train, test, names). */
export function cifar100Files(dir: string, labels: 'fine' | 'coarse' = 'fine'): string[] {
  checkDir(dir);
  const train = path.join(dir, 'train.bin');
  if (!fs.existsSync(train)) throw new Error(`${dir}: train.bin is missing (is this the cifar-100-binary folder?)`);
  const test = path.join(dir, 'test.bin');
  return [train, ...(fs.existsSync(test) ? [test] : []), path.join(dir, `${labels}_label_names.txt`)];
}

/** CIFAR-10 binary folder: data_batch_1..5.bin (whichever exist), test_batch.bin (optional), batches.meta.txt. */
export function readCifar10(dir: string): Dataset {
  const files = cifar10Files(dir);
  const classNames = readNames(files[files.length - 1]!, 10);
  const testFile = path.join(dir, 'test_batch.bin');
  const batches = files.slice(0, -1).filter((f) => f !== testFile);
  const train = concat(batches.map((f) => decodeCifarRecords(fs.readFileSync(f), 1, 0, f, 10)));
  const test = files.includes(testFile) ? decodeCifarRecords(fs.readFileSync(testFile), 1, 0, testFile, 10) : undefined;
  return { id: 'cifar10', name: 'CIFAR-10', format: 'cifar10', classNames, splits: test ? { train, test } : { train } };
}

/** CIFAR-100 binary folder: train.bin, test.bin (optional), fine_label_names.txt or coarse_label_names.txt. */
export function readCifar100(dir: string, labels: 'fine' | 'coarse' = 'fine'): Dataset {
  const files = cifar100Files(dir, labels);
  const n = labels === 'fine' ? 100 : 20;
  const classNames = readNames(files[files.length - 1]!, n);
  const idx = labels === 'fine' ? 1 : 0;
  const read = (f: string) => decodeCifarRecords(fs.readFileSync(f), 2, idx, f, n);
  const testFile = path.join(dir, 'test.bin');
  return {
    id: labels === 'fine' ? 'cifar100' : 'cifar100-coarse',
    name: labels === 'fine' ? 'CIFAR-100' : 'CIFAR-100 (coarse)',
    format: 'cifar100',
    classNames,
    splits: files.includes(testFile) ? { train: read(files[0]!), test: read(testFile) } : { train: read(files[0]!) },
  };
}
