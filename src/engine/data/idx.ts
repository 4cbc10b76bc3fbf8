import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import zlib from 'node:zlib';
import type { Dataset, ImageSet } from './types.js';

/**
 * IDX files (MNIST, Fashion-MNIST): a 4-byte magic (0, 0, type code, number of
 * dimensions), the dimensions as big-endian uint32, then the data row-major.
 * Only unsigned bytes (type 0x08) are used by image datasets. Files may be
 * gzipped (detected by the gzip magic, not the name).
 */

export const FASHION_MNIST_CLASSES = ['T-shirt/top', 'Trouser', 'Pullover', 'Dress', 'Coat', 'Sandal', 'Shirt', 'Sneaker', 'Bag', 'Ankle boot'];
export const MNIST_CLASSES = ['0', '1', '2', '3', '4', '5', '6', '7', '8', '9'];

const TYPE_NAMES: Record<number, string> = { 0x08: 'unsigned byte', 0x09: 'signed byte', 0x0b: 'short', 0x0c: 'int', 0x0d: 'float', 0x0e: 'double' };

export interface IdxArray {
  dims: number[];
  /** row-major bytes, a view into the (decompressed) file */
  data: Uint8Array;
}

function hex(bytes: Uint8Array): string {
  return Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join(' ');
}

function isGzip(buf: Uint8Array): boolean {
  return buf.length >= 2 && buf[0] === 0x1f && buf[1] === 0x8b;
}

function gunzipError(file: string, err: unknown): Error {
  return new Error(`${file}: gzip data is corrupt or truncated (${(err as Error).message}); download or copy the file again`);
}

/** The largest IDX payload we accept: half this machine's memory (the set is copied once more on import). */
export function maxIdxBytes(): number {
  return Math.min(Math.floor(os.totalmem() / 2), 2 ** 32);
}

/**
 * The first `need` decompressed bytes of a gzip file, inflating ever longer
 * prefixes of it (deflate expands at most ~1032:1, so the output stays small).
 */
function gunzipPrefix(buf: Uint8Array, need: number, file: string): Uint8Array {
  for (let n = 32; ; n *= 2) {
    let out: Uint8Array;
    try {
      out = zlib.gunzipSync(buf.subarray(0, n), { finishFlush: zlib.constants.Z_SYNC_FLUSH, maxOutputLength: 64 << 20 });
    } catch (err) {
      throw gunzipError(file, err);
    }
    if (out.length >= need || n >= buf.length) return out;
  }
}

/**
 * Decompress a gzipped IDX file with a limit taken from its own header: the
 * dimensions say how many bytes the file holds, and inflating stops at the
 * first byte past them (a 2 MB file must not grow to 2 GiB in memory first).
 */
export function gunzipIdx(buf: Uint8Array, file: string): Uint8Array {
  const magic = gunzipPrefix(buf, 4, file);
  const nd = magic[3] ?? 0;
  if (magic.length < 4 || magic[0] !== 0 || magic[1] !== 0 || nd < 1 || nd > 4) return parseIdx(magic, file).data; // parseIdx names the problem
  const headerBytes = 4 + 4 * nd;
  const head = gunzipPrefix(buf, headerBytes, file);
  if (head.length < headerBytes) return parseIdx(head, file).data;
  const view = new DataView(head.buffer, head.byteOffset, head.byteLength);
  const dims = Array.from({ length: nd }, (_, i) => view.getUint32(4 + 4 * i, false));
  const declared = dims.reduce((a, b) => a * b, 1);
  if (declared > maxIdxBytes()) {
    throw new Error(`${file}: the IDX header declares ${dims.join('x')} = ${declared} bytes, more than this machine can hold (limit ${maxIdxBytes()} bytes); refused`);
  }
  try {
    return zlib.gunzipSync(buf, { maxOutputLength: headerBytes + declared });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ERR_BUFFER_TOO_LARGE') {
      throw new Error(`${file}: decompresses to more than the ${headerBytes + declared} bytes its IDX header declares (${dims.join('x')}); refused (a decompression bomb or a damaged file)`);
    }
    throw gunzipError(file, err);
  }
}

/** Decompress when the bytes start with the gzip magic (limited by the IDX header); errors name the file. */
export function maybeGunzip(buf: Uint8Array, file: string): Uint8Array {
  return isGzip(buf) ? gunzipIdx(buf, file) : buf;
}

/** Parse one IDX file's bytes (already decompressed). */
export function parseIdx(buf: Uint8Array, file: string): IdxArray {
  if (buf.length < 4 || buf[0] !== 0 || buf[1] !== 0 || !(buf[3]! >= 1 && buf[3]! <= 4) || !(buf[2]! in TYPE_NAMES)) {
    throw new Error(`${file}: not an IDX file: wrong magic number (first bytes ${hex(buf.subarray(0, 4)) || 'none'}, expected 00 00 08 0N for unsigned-byte data with N dimensions)`);
  }
  if (buf[2] !== 0x08) throw new Error(`${file}: IDX data type ${TYPE_NAMES[buf[2]!]} (0x${buf[2]!.toString(16)}) is not supported; image datasets use unsigned bytes (0x08)`);
  const nd = buf[3]!;
  const headerBytes = 4 + 4 * nd;
  if (buf.length < headerBytes) throw new Error(`${file}: truncated IDX header (${buf.length} bytes, the ${nd} dimensions need ${headerBytes})`);
  const view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  const dims: number[] = [];
  for (let i = 0; i < nd; i++) dims.push(view.getUint32(4 + 4 * i, false));
  const expected = dims.reduce((a, b) => a * b, 1);
  const have = buf.length - headerBytes;
  if (have !== expected) {
    throw new Error(
      `${file}: ${have < expected ? 'truncated' : 'has trailing bytes'}: dimensions ${dims.join('x')} need ${expected} data bytes, found ${have}; copy or download the file again`,
    );
  }
  return { dims, data: buf.subarray(headerBytes) };
}

export function readIdxFile(file: string): IdxArray {
  return parseIdx(maybeGunzip(fs.readFileSync(file), file), file);
}

/** An IDX image file (n x h x w, or n x h x w x c) and its label file (n). */
export function readIdxPair(imagesFile: string, labelsFile: string | undefined, numClasses: number): ImageSet {
  const img = readIdxFile(imagesFile);
  if (img.dims.length !== 3 && img.dims.length !== 4) throw new Error(`${imagesFile}: expected image dimensions count x height x width, found ${img.dims.join('x')}`);
  const [count, height, width, c = 1] = img.dims as [number, number, number, number?];
  if (c !== 1 && c !== 3) throw new Error(`${imagesFile}: ${c} channels per pixel; only 1 or 3 are supported`);
  const labels = new Int32Array(count).fill(-1);
  if (labelsFile) {
    const lab = readIdxFile(labelsFile);
    if (lab.dims.length !== 1) throw new Error(`${labelsFile}: expected a 1-dimensional label file, found dimensions ${lab.dims.join('x')}`);
    if (lab.dims[0] !== count) throw new Error(`${labelsFile}: ${lab.dims[0]} labels for ${count} images in ${path.basename(imagesFile)}; the files do not belong together`);
    for (let i = 0; i < count; i++) {
      const v = lab.data[i]!;
      if (v >= numClasses) throw new Error(`${labelsFile}: label ${i} is ${v}, outside 0..${numClasses - 1}; the file is corrupt or the class names are wrong`);
      labels[i] = v;
    }
  }
  // copy so the decompressed file buffer can be freed and the set owns its pixels
  return { images: img.data.slice(), labels, count, height, width, channels: c as 1 | 3 };
}

const PATTERNS = {
  trainImages: /^train-images[-.]idx[34]-ubyte(\.gz)?$/,
  trainLabels: /^train-labels[-.]idx1-ubyte(\.gz)?$/,
  testImages: /^t10k-images[-.]idx[34]-ubyte(\.gz)?$/,
  testLabels: /^t10k-labels[-.]idx1-ubyte(\.gz)?$/,
};

/** Files of an MNIST-style folder; undefined for the ones absent. */
export function idxFiles(dir: string): { trainImages?: string; trainLabels?: string; testImages?: string; testLabels?: string } {
  let names: string[];
  try {
    names = fs.readdirSync(dir).sort();
  } catch {
    throw new Error(`${dir}: folder not found`);
  }
  const out: Record<string, string> = {};
  for (const [key, re] of Object.entries(PATTERNS)) {
    // prefer the uncompressed file when both are there
    const hits = names.filter((n) => re.test(n)).sort((a, b) => Number(a.endsWith('.gz')) - Number(b.endsWith('.gz')));
    if (hits[0]) out[key] = path.join(dir, hits[0]);
  }
  return out;
}

export function looksLikeIdxFolder(dir: string): boolean {
  try {
    return idxFiles(dir).trainImages !== undefined;
  } catch {
    return false;
  }
}

export interface IdxReadOptions {
  /** default: Fashion-MNIST names when the folder path mentions "fashion", else the digits 0-9 */
  classNames?: string[];
  id?: string;
  name?: string;
}

/** An MNIST-style folder: train-images-idx3-ubyte[.gz], train-labels-idx1-ubyte[.gz], t10k-* for test. */
export function readIdxFolder(dir: string, opts: IdxReadOptions = {}): Dataset {
  const f = idxFiles(dir);
  if (!f.trainImages) throw new Error(`${dir}: no train-images-idx3-ubyte[.gz] file (is this an MNIST-style folder?)`);
  const fashion = /fashion/i.test(path.resolve(dir));
  const classNames = opts.classNames ?? (fashion ? FASHION_MNIST_CLASSES : MNIST_CLASSES);
  if (!f.trainLabels) throw new Error(`${dir}: train-labels-idx1-ubyte[.gz] is missing; it holds the labels of ${path.basename(f.trainImages)}`);
  const train = readIdxPair(f.trainImages, f.trainLabels, classNames.length);
  let test: ImageSet | undefined;
  if (f.testImages) {
    if (!f.testLabels) throw new Error(`${dir}: t10k-labels-idx1-ubyte[.gz] is missing; it holds the labels of ${path.basename(f.testImages)}`);
    test = readIdxPair(f.testImages, f.testLabels, classNames.length);
    if (test.height !== train.height || test.width !== train.width || test.channels !== train.channels) {
      throw new Error(`${f.testImages}: images are ${test.width}x${test.height}x${test.channels}, the training images ${train.width}x${train.height}x${train.channels}`);
    }
  }
  return {
    id: opts.id ?? (fashion ? 'fashion-mnist' : 'mnist'),
    name: opts.name ?? (fashion ? 'Fashion-MNIST' : 'MNIST'),
    format: 'idx',
    classNames,
    splits: test ? { train, test } : { train },
  };
}
