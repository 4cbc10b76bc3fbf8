/**
 * Generated inputs for the dataset tests: small CIFAR/IDX files in the official
 * layouts, image folders, tar archives, and a local HTTP server with Range
 * support (and an optional cut-off) for the download tests.
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import zlib from 'node:zlib';
import sharp from 'sharp';
import * as tar from 'tar';

export function tmpDir(tag: string): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), `simclr-data-${tag}-`));
}

export const CIFAR10_NAMES = ['airplane', 'automobile', 'bird', 'cat', 'deer', 'dog', 'frog', 'horse', 'ship', 'truck'];

/** Deterministic bytes from a seed (not random-looking enough to matter; varied enough to catch mix-ups). */
export function patternBytes(n: number, seed: number): Uint8Array {
  const out = new Uint8Array(n);
  let x = seed * 2654435761 + 1;
  for (let i = 0; i < n; i++) {
    x = (Math.imul(x, 1103515245) + 12345) >>> 0;
    out[i] = x >>> 24;
  }
  return out;
}

/** CIFAR records: labelBytes label bytes then 3072 planar pixel bytes each. */
export function cifarRecords(labels: number[][], seed: number): Buffer {
  const lb = labels[0]!.length;
  const rec = lb + 3072;
  const buf = Buffer.alloc(labels.length * rec);
  labels.forEach((l, i) => {
    l.forEach((v, k) => (buf[i * rec + k] = v));
    buf.set(patternBytes(3072, seed * 100003 + i), i * rec + lb);
  });
  return buf;
}

/** A CIFAR-10 binary folder: `batches` training batches of `perBatch` records, a test batch, the names file. */
export function writeCifar10Folder(dir: string, perBatch: number, testCount: number, batches = 5): string {
  fs.mkdirSync(dir, { recursive: true });
  for (let b = 1; b <= batches; b++) {
    fs.writeFileSync(path.join(dir, `data_batch_${b}.bin`), cifarRecords(Array.from({ length: perBatch }, (_, i) => [(i + b) % 10]), b));
  }
  fs.writeFileSync(path.join(dir, 'test_batch.bin'), cifarRecords(Array.from({ length: testCount }, (_, i) => [i % 10]), 99));
  fs.writeFileSync(path.join(dir, 'batches.meta.txt'), CIFAR10_NAMES.join('\n') + '\n\n');
  return dir;
}

/** An IDX file: magic 00 00 08 nd, big-endian dims, bytes; gzipped when gz. */
export function idxBytes(dims: number[], data: Uint8Array, gz = false, magic?: number[]): Buffer {
  const head = Buffer.alloc(4 + 4 * dims.length);
  head.set(magic ?? [0, 0, 8, dims.length], 0);
  dims.forEach((d, i) => head.writeUInt32BE(d, 4 + 4 * i));
  const raw = Buffer.concat([head, data]);
  return gz ? zlib.gzipSync(raw) : raw;
}

export async function tarGz(file: string, cwd: string, entries: string[]): Promise<string> {
  await tar.c({ gzip: true, file, cwd, portable: true }, entries);
  return file;
}

export function md5(file: string): string {
  return crypto.createHash('md5').update(fs.readFileSync(file)).digest('hex');
}

export function sha256(file: string): string {
  return crypto.createHash('sha256').update(fs.readFileSync(file)).digest('hex');
}

/** A w x h RGB image whose pixel (x, y) is (x*7 + seed, y*5 + 2*seed, (x+y)*3 + 3*seed) mod 256. */
export function rgbPattern(w: number, h: number, seed: number): Buffer {
  const b = Buffer.alloc(w * h * 3);
  for (let y = 0; y < h; y++)
    for (let x = 0; x < w; x++) {
      const i = 3 * (y * w + x);
      b[i] = (x * 7 + seed) & 255;
      b[i + 1] = (y * 5 + 2 * seed) & 255;
      b[i + 2] = ((x + y) * 3 + 3 * seed) & 255;
    }
  return b;
}

export async function writeImage(file: string, w: number, h: number, seed: number, format: 'png' | 'jpeg' | 'webp' = 'png'): Promise<Buffer> {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  const raw = rgbPattern(w, h, seed);
  const img = sharp(raw, { raw: { width: w, height: h, channels: 3 } });
  const out = format === 'png' ? img.png() : format === 'jpeg' ? img.jpeg({ quality: 95 }) : img.webp({ lossless: true });
  await out.toFile(file);
  return raw;
}

export interface TestServer {
  url: string;
  /** Range header of every request, in order ('' when none) */
  ranges: string[];
  /** close the connection after this many body bytes, for the next `times` requests */
  cutAfter(bytes: number, times: number): void;
  /** send this many body bytes, then nothing more (connection left open), for the next `times` requests */
  stallAfter(bytes: number, times: number): void;
  /** answer 200 with the whole file even to Range requests */
  ignoreRanges: boolean;
  close(): Promise<void>;
}

/** Serve files (name -> bytes) on 127.0.0.1 with Range support. */
export async function startServer(files: Record<string, Buffer>): Promise<TestServer> {
  let cut: { bytes: number; times: number; stall: boolean } | null = null;
  const ranges: string[] = [];
  const state = { ignoreRanges: false };
  const server = http.createServer((req, res) => {
    const name = decodeURIComponent((req.url ?? '/').slice(1));
    const body = files[name];
    ranges.push(req.headers.range ?? '');
    if (!body) {
      res.writeHead(404, { 'content-type': 'text/plain' }).end('not found');
      return;
    }
    let start = 0;
    const m = /^bytes=(\d+)-$/.exec(req.headers.range ?? '');
    if (m && !state.ignoreRanges) {
      start = Number(m[1]);
      if (start >= body.length) {
        res.writeHead(416, { 'content-range': `bytes */${body.length}` }).end();
        return;
      }
      res.writeHead(206, { 'content-length': body.length - start, 'content-range': `bytes ${start}-${body.length - 1}/${body.length}`, 'accept-ranges': 'bytes' });
    } else {
      res.writeHead(200, { 'content-length': body.length, 'accept-ranges': 'bytes' });
    }
    const part = body.subarray(start);
    if (cut && cut.times > 0) {
      cut.times--;
      // end (FIN), not destroy (RST): every byte written still reaches the client
      const stall = cut.stall;
      res.write(part.subarray(0, cut.bytes), () => !stall && res.socket?.end());
      return;
    }
    res.end(part);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  const port = (server.address() as { port: number }).port;
  return {
    url: `http://127.0.0.1:${port}`,
    ranges,
    cutAfter(bytes, times) {
      cut = { bytes, times, stall: false };
    },
    stallAfter(bytes, times) {
      cut = { bytes, times, stall: true };
    },
    get ignoreRanges() {
      return state.ignoreRanges;
    },
    set ignoreRanges(v: boolean) {
      state.ignoreRanges = v;
    },
    close: () =>
      new Promise<void>((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
}
