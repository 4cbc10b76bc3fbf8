import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DatasetProgress } from '../../src/shared/dataset.js';
import { readCifar10 } from '../../src/engine/data/cifar.js';
import { downloadFile } from '../../src/engine/data/download.js';
import { downloadDataset, importDataset, openDataset } from '../../src/engine/data/open.js';
import { SOURCES } from '../../src/engine/data/sources.js';
import { contentChecksum } from '../../src/engine/data/stats.js';
import { idxBytes, md5, patternBytes, sha256, startServer, tarGz, tmpDir, writeCifar10Folder, writeImage, type TestServer } from './fixtures.js';

const tmp = tmpDir('download');
let server: TestServer;
const files: Record<string, Buffer> = {};
let archive: string; // a small CIFAR-10 archive in the official layout
let noTest: string; // the same without test_batch.bin
let plainFolder: string;

beforeAll(async () => {
  plainFolder = writeCifar10Folder(path.join(tmp, 'src', 'cifar-10-batches-bin'), 40, 20);
  archive = await tarGz(path.join(tmp, 'cifar-10-binary.tar.gz'), path.join(tmp, 'src'), ['cifar-10-batches-bin']);
  const names = ['batches.meta.txt', 'data_batch_1.bin', 'data_batch_2.bin', 'data_batch_3.bin', 'data_batch_4.bin', 'data_batch_5.bin'];
  noTest = await tarGz(path.join(tmp, 'no-test.tar.gz'), path.join(tmp, 'src'), names.map((n) => `cifar-10-batches-bin/${n}`));
  files['cifar-10-binary.tar.gz'] = fs.readFileSync(archive);
  files['big.bin'] = Buffer.from(patternBytes(300_000, 5));
  server = await startServer(files);
});
afterAll(async () => {
  await server.close();
  fs.rmSync(tmp, { recursive: true, force: true });
});

describe('downloadFile', () => {
  it('downloads with progress (bytes, rate, ETA) and checks the MD5', async () => {
    const dest = path.join(tmp, 'dl1', 'big.bin');
    const events: DatasetProgress[] = [];
    const r = await downloadFile(`${server.url}/big.bin`, dest, { md5: md5FromBuffer(files['big.bin']!), onProgress: (e) => events.push(e), progressIntervalMs: 0 });
    expect(r).toMatchObject({ bytes: 300_000, resumedFrom: 0, cached: false });
    expect(fs.readFileSync(dest).equals(files['big.bin']!)).toBe(true);
    const dl = events.filter((e) => e.phase === 'download');
    expect(dl.length).toBeGreaterThan(1);
    expect(dl.at(-1)).toMatchObject({ done: 300_000, total: 300_000, etaSeconds: 0 });
    for (const e of dl) {
      expect(e.bytesPerSecond).toBeGreaterThan(0);
      expect(e.etaSeconds).toBeGreaterThanOrEqual(0);
    }
    expect(events.at(-1)).toMatchObject({ phase: 'verify', done: 300_000, total: 300_000 });
    // a second call finds the verified file and fetches nothing
    const before = server.ranges.length;
    expect((await downloadFile(`${server.url}/big.bin`, dest, { md5: r.md5 })).cached).toBe(true);
    expect(server.ranges.length).toBe(before);
  });

  it('keeps the partial file when the connection drops, and resumes it with a Range request', async () => {
    const dest = path.join(tmp, 'dl2', 'big.bin');
    server.cutAfter(120_000, 1);
    const start = server.ranges.length;
    const err = await downloadFile(`${server.url}/big.bin`, dest, { md5: md5FromBuffer(files['big.bin']!), retries: 0 }).catch((e: Error) => e);
    // how much of the 120,000 sent bytes the client took in before the close is up to the HTTP stack
    const m = /big\.bin: connection (?:lost|closed) after (\d+) .*; (\d+) bytes kept in .*big\.bin\.part, run the download again to resume/.exec(String((err as Error).message));
    expect(m, String(err)).not.toBeNull();
    const kept = Number(m![2]);
    expect(kept).toBeGreaterThan(0);
    expect(kept).toBeLessThanOrEqual(120_000);
    expect(fs.statSync(`${dest}.part`).size).toBe(kept);
    const r = await downloadFile(`${server.url}/big.bin`, dest, { md5: md5FromBuffer(files['big.bin']!) });
    expect(server.ranges.slice(start)).toEqual(['', `bytes=${kept}-`]);
    expect(r.resumedFrom).toBe(kept);
    expect(fs.readFileSync(dest).equals(files['big.bin']!)).toBe(true);
    expect(fs.existsSync(`${dest}.part`)).toBe(false);
  });

  it('retries on its own after a dropped connection, resuming each time', async () => {
    const dest = path.join(tmp, 'dl3', 'big.bin');
    server.cutAfter(50_000, 2);
    const start = server.ranges.length;
    await downloadFile(`${server.url}/big.bin`, dest, { md5: md5FromBuffer(files['big.bin']!), retries: 3 });
    const ranges = server.ranges.slice(start);
    expect(ranges).toHaveLength(3);
    expect(ranges[0]).toBe('');
    const [a, b] = ranges.slice(1).map((x) => Number(/^bytes=(\d+)-$/.exec(x)![1]));
    expect(a).toBeGreaterThan(0);
    expect(b! - a!).toBeGreaterThan(0);
    expect(b! - a!).toBeLessThanOrEqual(50_000);
    expect(fs.readFileSync(dest).equals(files['big.bin']!)).toBe(true);
  });

  it('starts over when the server ignores the Range header', async () => {
    const dest = path.join(tmp, 'dl4', 'big.bin');
    fs.mkdirSync(path.dirname(dest), { recursive: true });
    fs.writeFileSync(`${dest}.part`, Buffer.alloc(1000, 7)); // wrong bytes that must not survive
    server.ignoreRanges = true;
    try {
      await downloadFile(`${server.url}/big.bin`, dest, { md5: md5FromBuffer(files['big.bin']!) });
    } finally {
      server.ignoreRanges = false;
    }
    expect(fs.readFileSync(dest).equals(files['big.bin']!)).toBe(true);
  });

  it('deletes a download whose MD5 does not match, and says so', async () => {
    const dest = path.join(tmp, 'dl5', 'big.bin');
    await expect(downloadFile(`${server.url}/big.bin`, dest, { md5: '0123456789abcdef0123456789abcdef' })).rejects.toThrow(
      new RegExp(`${dest}: checksum mismatch: MD5 of the 300000 downloaded bytes is ${md5FromBuffer(files['big.bin']!)}, the published MD5 is 0123456789abcdef0123456789abcdef`),
    );
    expect(fs.existsSync(dest)).toBe(false);
    expect(fs.existsSync(`${dest}.part`)).toBe(false);
  });

  it('stops with an AbortError when cancelled mid-download, keeping the part for a resume', async () => {
    const dest = path.join(tmp, 'dl7', 'big.bin');
    const ac = new AbortController();
    server.stallAfter(100_000, 1); // the server sends 100 kB, then nothing
    const p = downloadFile(`${server.url}/big.bin`, dest, { signal: ac.signal, progressIntervalMs: 0, onProgress: (e) => e.done >= 100_000 && ac.abort() });
    await expect(p).rejects.toMatchObject({ name: 'AbortError' });
    expect(fs.statSync(`${dest}.part`).size).toBe(100_000);
    const r = await downloadFile(`${server.url}/big.bin`, dest, { md5: md5FromBuffer(files['big.bin']!) });
    expect(r.resumedFrom).toBe(100_000);
  });

  it('does not retry a 404', async () => {
    await expect(downloadFile(`${server.url}/missing.tar.gz`, path.join(tmp, 'dl6', 'x'))).rejects.toThrow(/missing\.tar\.gz: HTTP 404 Not Found/);
  });
});

function md5FromBuffer(b: Buffer): string {
  return crypto.createHash('md5').update(b).digest('hex');
}

describe('downloadDataset (local mirror)', () => {
  it('rejects the archive when it does not match the published CIFAR-10 MD5, caching nothing', async () => {
    const root = path.join(tmp, 'root-official');
    await expect(downloadDataset('cifar10', { dataRoot: root, baseUrl: server.url })).rejects.toThrow(
      new RegExp(`cifar-10-binary\\.tar\\.gz: checksum mismatch: .*the published MD5 is ${SOURCES.cifar10.files[0]!.md5}`),
    );
    expect(fs.existsSync(path.join(root, 'datasets'))).toBe(false);
  });

  it('downloads, verifies against the mirror checksum, extracts and caches', async () => {
    const root = path.join(tmp, 'root-mirror');
    const sum = md5(archive);
    const sources = { cifar10: { files: [{ ...SOURCES.cifar10.files[0]!, md5: sum }] } };
    const events: string[] = [];
    const r = await downloadDataset('cifar10', { dataRoot: root, baseUrl: server.url, sources, onProgress: (e) => events.push(e.phase) });
    expect(r.downloads[0]).toMatchObject({ bytes: fs.statSync(archive).size, cached: false });
    expect(r.dataset.id).toBe('cifar10');
    expect(r.dataset.splits.train.count).toBe(200);
    expect(r.dataset.splits.test!.count).toBe(20);
    expect(r.dataset.checksum).toBe(contentChecksum(readCifar10(plainFolder)));
    expect(new Set(events)).toEqual(new Set(['download', 'verify', 'extract', 'read', 'cache']));
    // the builtin id now opens from the cache; the temp extraction folder is gone
    const again = await openDataset('cifar10', { dataRoot: root });
    expect(again.checksum).toBe(r.dataset.checksum);
    expect(fs.readdirSync(path.join(root, 'tmp'))).toEqual([]);

    // a later bad download does not touch that cache
    const cache = path.join(root, 'datasets', 'cifar10', 'dataset.bin');
    const before = sha256(cache);
    fs.rmSync(path.join(root, 'downloads'), { recursive: true });
    await expect(downloadDataset('cifar10', { dataRoot: root, baseUrl: server.url })).rejects.toThrow(/checksum mismatch/);
    expect(sha256(cache)).toBe(before);
  });

  it('names the missing member of an incomplete official archive', async () => {
    const root = path.join(tmp, 'root-missing');
    files['cifar-10-binary.tar.gz'] = fs.readFileSync(noTest);
    try {
      const sources = { cifar10: { files: [{ ...SOURCES.cifar10.files[0]!, md5: md5(noTest) }] } };
      await expect(downloadDataset('cifar10', { dataRoot: root, baseUrl: server.url, sources })).rejects.toThrow(
        /cifar-10-binary\.tar\.gz: archive is missing member "cifar-10-batches-bin\/test_batch\.bin"/,
      );
      expect(fs.existsSync(path.join(root, 'datasets'))).toBe(false);
    } finally {
      files['cifar-10-binary.tar.gz'] = fs.readFileSync(archive);
    }
  });
});

describe('downloadDataset: Fashion-MNIST (four gzipped IDX files)', () => {
  it('fetches each file, checks each MD5 and imports with the Fashion-MNIST class names', async () => {
    const labels = Uint8Array.from([9, 0, 0, 3, 0, 2, 7, 2]);
    const payload: Record<string, Buffer> = {
      'train-images-idx3-ubyte.gz': idxBytes([8, 28, 28], patternBytes(8 * 784, 11), true),
      'train-labels-idx1-ubyte.gz': idxBytes([8], labels, true),
      't10k-images-idx3-ubyte.gz': idxBytes([2, 28, 28], patternBytes(2 * 784, 12), true),
      't10k-labels-idx1-ubyte.gz': idxBytes([2], Uint8Array.from([9, 2]), true),
    };
    Object.assign(files, payload);
    const sources = { 'fashion-mnist': { files: SOURCES['fashion-mnist'].files.map((f) => ({ ...f, md5: md5FromBuffer(payload[f.name]!) })) } };
    const root = path.join(tmp, 'root-fashion');
    const r = await downloadDataset('fashion-mnist', { dataRoot: root, baseUrl: server.url, sources });
    expect(r.downloads.map((d) => path.basename(d.file))).toEqual(SOURCES['fashion-mnist'].files.map((f) => f.name));
    expect(r.dataset.id).toBe('fashion-mnist');
    expect(r.dataset.classNames[0]).toBe('T-shirt/top');
    expect(Array.from(r.dataset.splits.train.labels)).toEqual(Array.from(labels));
    expect(r.dataset.splits.test!.count).toBe(2);
    expect(fs.existsSync(path.join(root, 'datasets', 'fashion-mnist', 'dataset.bin'))).toBe(true);
  });
});

describe('import from an archive the user already has', () => {
  it('imports a home-made .tar.gz of a CIFAR-10 folder', async () => {
    const mine = await tarGz(path.join(tmp, 'my-cifar.tar.gz'), path.join(tmp, 'src'), ['cifar-10-batches-bin']);
    const { dataset } = await importDataset(mine, { dataRoot: path.join(tmp, 'root-import') });
    expect(dataset.format).toBe('cifar10');
    expect(dataset.id).toMatch(/^archive-my-cifar-[0-9a-f]{8}$/);
    expect(dataset.checksum).toBe(contentChecksum(readCifar10(plainFolder)));
  });

  it('checks an archive named like the official one against the published MD5', async () => {
    const named = path.join(tmp, 'named', 'cifar-10-binary.tar.gz');
    fs.mkdirSync(path.dirname(named));
    fs.copyFileSync(archive, named);
    await expect(importDataset(named, { dataRoot: path.join(tmp, 'root-named') })).rejects.toThrow(
      /cifar-10-binary\.tar\.gz: checksum mismatch: MD5 is [0-9a-f]{32}, the published MD5 of cifar-10-binary\.tar\.gz is c32a1d4ab5d03f1284b67883e8d87530; .*rename it and import it as your own archive/,
    );
  });

  it('reports a truncated archive', async () => {
    const cut = path.join(tmp, 'cut.tar.gz');
    const b = fs.readFileSync(archive);
    fs.writeFileSync(cut, b.subarray(0, Math.floor(b.length / 2)));
    await expect(importDataset(cut, { dataRoot: path.join(tmp, 'root-cut') })).rejects.toThrow(/cut\.tar\.gz: archive is truncated/);
  });

  it('imports gzipped IDX files and an image folder from archives', async () => {
    const idxDir = path.join(tmp, 'idxsrc', 'fashion');
    fs.mkdirSync(idxDir, { recursive: true });
    fs.writeFileSync(path.join(idxDir, 'train-images-idx3-ubyte.gz'), idxBytes([6, 28, 28], patternBytes(6 * 784, 1), true));
    fs.writeFileSync(path.join(idxDir, 'train-labels-idx1-ubyte.gz'), idxBytes([6], Uint8Array.from([0, 1, 2, 9, 9, 3]), true));
    const a = await tarGz(path.join(tmp, 'fashion-mini.tar.gz'), path.join(tmp, 'idxsrc'), ['fashion']);
    const { dataset } = await importDataset(a, { dataRoot: path.join(tmp, 'root-idx') });
    expect(dataset.format).toBe('idx');
    expect(dataset.classNames[9]).toBe('Ankle boot');
    expect(Array.from(dataset.splits.train.labels)).toEqual([0, 1, 2, 9, 9, 3]);

    const imgDir = path.join(tmp, 'imgsrc', 'photos');
    await writeImage(path.join(imgDir, 'x', '1.png'), 24, 24, 1);
    await writeImage(path.join(imgDir, 'y', '1.png'), 24, 24, 2);
    fs.writeFileSync(path.join(imgDir, 'y', '2.png'), 'broken');
    const b = await tarGz(path.join(tmp, 'photos.tgz'), path.join(tmp, 'imgsrc'), ['photos']);
    const r = await importDataset(b, { dataRoot: path.join(tmp, 'root-img') });
    expect(r.dataset.classNames).toEqual(['x', 'y']);
    expect(r.dataset.splits.train.count).toBe(2);
    // the skipped file is named by its place in the archive, not the temp folder
    expect(r.report.skipped[0]!.file).toBe(`${b}:photos/y/2.png`);
  });
});
