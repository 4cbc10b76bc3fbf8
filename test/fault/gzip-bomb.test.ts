/**
 * Issue 23 item 7: a small gzipped IDX file that inflates far past what its
 * header declares is refused at the first byte past the declared size, with
 * memory bounded (before the fix, the whole output was inflated first).
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import zlib from 'node:zlib';
import { afterAll, describe, expect, it } from 'vitest';
import { readIdxFile } from '../../src/engine/data/idx.js';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'simclr-bomb-'));
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

function idxHeader(dims: number[]): Buffer {
  const b = Buffer.alloc(4 + 4 * dims.length);
  b[2] = 0x08;
  b[3] = dims.length;
  dims.forEach((d, i) => b.writeUInt32BE(d, 4 + 4 * i));
  return b;
}

/** gzip members concatenated inflate to their concatenation: 1 KB per MiB of zeros. */
function bomb(dims: number[], extraMiB: number): Buffer {
  const declared = dims.reduce((a, b) => a * b, 1);
  const first = zlib.gzipSync(Buffer.concat([idxHeader(dims), Buffer.alloc(declared, 7)]));
  const mib = zlib.gzipSync(Buffer.alloc(1 << 20));
  return Buffer.concat([first, ...Array.from({ length: extraMiB }, () => mib)]);
}

describe('gzipped IDX limits', () => {
  it('refuses a ~1 MB file that inflates to 1 GiB past its header, with RSS growing far less', () => {
    const file = path.join(dir, 'train-images-idx3-ubyte.gz');
    fs.writeFileSync(file, bomb([100, 28, 28], 1024));
    expect(fs.statSync(file).size).toBeLessThan(2 << 20);
    const before = process.resourceUsage().maxRSS * 1024;
    const rssBefore = process.memoryUsage().rss;
    expect(() => readIdxFile(file)).toThrow(/decompresses to more than the 78416 bytes its IDX header declares \(100x28x28\); refused/);
    const peak = process.resourceUsage().maxRSS * 1024;
    // maxRSS is the process's peak: it may not rise at all; it must not rise by anything near 1 GiB.
    expect(peak - Math.max(before, rssBefore)).toBeLessThan(128 << 20);
  });

  it('refuses a header that declares more than the machine can hold, before inflating', () => {
    const file = path.join(dir, 'huge.gz');
    fs.writeFileSync(file, zlib.gzipSync(idxHeader([4_000_000_000, 28, 28])));
    expect(() => readIdxFile(file)).toThrow(/declares 4000000000x28x28 = \d+ bytes, more than this machine can hold/);
  });

  it('still reads an honest gzipped file exactly, and names a truncated one', () => {
    const data = Buffer.from(Array.from({ length: 2 * 3 * 3 }, (_, i) => i));
    const file = path.join(dir, 'ok.gz');
    const gz = zlib.gzipSync(Buffer.concat([idxHeader([2, 3, 3]), data]));
    fs.writeFileSync(file, gz);
    const arr = readIdxFile(file);
    expect(arr.dims).toEqual([2, 3, 3]);
    expect(Buffer.from(arr.data)).toEqual(data);
    fs.writeFileSync(file, gz.subarray(0, gz.length - 12));
    expect(() => readIdxFile(file)).toThrow(/ok\.gz: gzip data is corrupt or truncated/);
    fs.writeFileSync(file, zlib.gzipSync(Buffer.from('not idx at all')));
    expect(() => readIdxFile(file)).toThrow(/ok\.gz: not an IDX file: wrong magic number/);
  });
});
