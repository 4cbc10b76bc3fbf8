import fs from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { readCache, writeCache } from '../../src/engine/data/cache.js';
import { readCifar10 } from '../../src/engine/data/cifar.js';
import { datasetIdFor, importDataset, listDatasets, openDataset, verifyDataset } from '../../src/engine/data/open.js';
import { sharedDatasetPath } from '../../src/engine/data/sources.js';
import { computeStats, contentChecksum, splitTrainVal } from '../../src/engine/data/stats.js';
import { CIFAR10_DIR } from '../support/shared-data.js';
import { sha256, tmpDir, writeCifar10Folder, writeImage } from './fixtures.js';

const tmp = tmpDir('cache');
const root = path.join(tmp, 'root');
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

const same = (a: ArrayBufferView, b: ArrayBufferView) => Buffer.compare(Buffer.from(a.buffer, a.byteOffset, a.byteLength), Buffer.from(b.buffer, b.byteOffset, b.byteLength)) === 0;

describe('decoded cache of the shared CIFAR-10 subset', () => {
  it('finds the shared folder from the project', () => {
    expect(sharedDatasetPath('cifar10')).toBe(CIFAR10_DIR);
  });

  it('imports once, then reopens from the cache byte-for-byte', async () => {
    const direct = readCifar10(CIFAR10_DIR);
    const first = await openDataset(CIFAR10_DIR, { dataRoot: root });
    const id = datasetIdFor(CIFAR10_DIR);
    const file = path.join(root, 'datasets', id, 'dataset.bin');
    expect(fs.existsSync(file)).toBe(true);
    const mtime = fs.statSync(file).mtimeMs;

    const again = await openDataset({ kind: 'path', path: CIFAR10_DIR }, { dataRoot: root });
    expect(fs.statSync(file).mtimeMs).toBe(mtime); // not rewritten: read from the cache
    for (const split of ['train', 'test'] as const) {
      const a = direct.splits[split]!;
      const b = again.splits[split]!;
      expect([b.count, b.height, b.width, b.channels]).toEqual([a.count, a.height, a.width, a.channels]);
      expect(same(a.images, b.images)).toBe(true);
      expect(same(a.labels, b.labels)).toBe(true);
    }
    expect(again.classNames).toEqual(direct.classNames);
    expect(again.checksum).toBe(contentChecksum(direct));
    expect(again.checksum).toBe(first.checksum);
    expect(again.source).toBe(CIFAR10_DIR);
    expect(again.stats!.train!.perClass).toEqual([1005, 974, 1032, 1016, 999, 937, 1030, 1001, 1025, 981]);
    // stats stored at import equal stats computed now
    expect(again.stats!.test).toEqual(computeStats(direct.splits.test!, 10));
  });

  it('lists the cached dataset from its header and verifies it', async () => {
    const list = await listDatasets(root);
    const entry = list.find((d) => d.id === datasetIdFor(CIFAR10_DIR))!;
    expect(entry.format).toBe('cifar10');
    expect(entry.splits.map((s) => [s.name, s.count])).toEqual([
      ['train', 10000],
      ['test', 2000],
    ]);
    expect(entry.bytes).toBe(fs.statSync(entry.file).size);
    const v = await verifyDataset(entry.id, { dataRoot: root });
    expect(v.ok).toBe(true);
    expect(v.checks.map((c) => c.check)).toEqual(['cache file', 'content checksum', 'labels', 'source']);
  });

  it('opens by cached id and carves a deterministic, stratified val split', async () => {
    const id = datasetIdFor(CIFAR10_DIR);
    const a = await openDataset(id, { dataRoot: root, val: { fraction: 0.1, seed: 7 } });
    const b = await openDataset({ kind: 'cached', id }, { dataRoot: root, val: { fraction: 0.1, seed: 7 } });
    const c = await openDataset(id, { dataRoot: root, val: { fraction: 0.1, seed: 8 } });
    expect(a.splits.val!.count + a.splits.train.count).toBe(10000);
    expect(a.splits.val!.count).toBe(1000);
    expect(same(a.splits.val!.images, b.splits.val!.images)).toBe(true);
    expect(same(a.splits.val!.images, c.splits.val!.images)).toBe(false);
    // stratified: each class puts 10% of its images in val, rounded down or up
    const per = a.stats!.val!.perClass;
    [1005, 974, 1032, 1016, 999, 937, 1030, 1001, 1025, 981].forEach((n, k) => expect([Math.floor(n * 0.1), Math.ceil(n * 0.1)]).toContain(per[k]));
    expect(a.stats!.train!.perClass.map((n, k) => n + per[k]!)).toEqual([1005, 974, 1032, 1016, 999, 937, 1030, 1001, 1025, 981]);
    // the two parts are a partition of train: together they hold every original image exactly once
    const { valIndices } = splitTrainVal(readCifar10(CIFAR10_DIR).splits.train, { fraction: 0.1, seed: 7 });
    expect(valIndices.length).toBe(1000);
    expect(new Set(valIndices).size).toBe(1000);
  });
});

describe('nothing cached is damaged by a failed import', () => {
  it('keeps the old cache when the source turns bad, and says what is wrong', async () => {
    const src = writeCifar10Folder(path.join(tmp, 'mine'), 20, 10);
    const ref = { kind: 'path' as const, path: src, id: 'mine' };
    const ok = await openDataset(ref, { dataRoot: root });
    expect(ok.splits.train.count).toBe(100);
    const file = path.join(root, 'datasets', 'mine', 'dataset.bin');
    const before = sha256(file);

    // truncated record file: the source changed, so opening by path imports again, and fails
    const batch = path.join(src, 'data_batch_3.bin');
    fs.writeFileSync(batch, fs.readFileSync(batch).subarray(0, 3073 * 5 + 17));
    await expect(openDataset(ref, { dataRoot: root })).rejects.toThrow(/data_batch_3\.bin: truncated or not a CIFAR-10 file/);
    expect(sha256(file)).toBe(before);

    // label out of range
    const recs = fs.readFileSync(path.join(src, 'data_batch_1.bin'));
    fs.copyFileSync(path.join(src, 'data_batch_1.bin'), batch);
    recs[3073 * 4] = 12;
    fs.writeFileSync(path.join(src, 'data_batch_2.bin'), recs);
    await expect(importDataset(ref, { dataRoot: root })).rejects.toThrow(/data_batch_2\.bin: record 4 \(byte 12292\) has label 12, outside 0\.\.9/);
    expect(sha256(file)).toBe(before);

    // the cached copy still opens by id, and is whole
    const cached = await openDataset('mine', { dataRoot: root });
    expect(cached.checksum).toBe(ok.checksum);
    expect((await verifyDataset('mine', { dataRoot: root })).ok).toBe(true);
    // no temp files left behind
    expect(fs.readdirSync(path.dirname(file))).toEqual(['dataset.bin']);
  });

  it('detects a damaged cache file: truncated, or bytes changed', async () => {
    const src = writeCifar10Folder(path.join(tmp, 'dmg'), 10, 5, 1);
    await importDataset({ kind: 'path', path: src, id: 'dmg' }, { dataRoot: root });
    const file = path.join(root, 'datasets', 'dmg', 'dataset.bin');
    const bytes = fs.readFileSync(file);
    bytes[bytes.length - 100] ^= 0xff;
    fs.writeFileSync(file, bytes);
    const v = await verifyDataset('dmg', { dataRoot: root });
    expect(v.ok).toBe(false);
    expect(v.checks.find((c) => c.check === 'content checksum')!.detail).toMatch(/the cache is damaged; import the dataset again/);
    fs.writeFileSync(file, bytes.subarray(0, bytes.length - 10));
    await expect(openDataset('dmg', { dataRoot: root })).rejects.toThrow(/dataset\.bin: cache file is \d+ bytes, its header says \d+ \(truncated or damaged\)/);
    const problems: string[] = [];
    const list = await listDatasets(root, (f, m) => problems.push(`${f}: ${m}`));
    expect(list.some((d) => d.id === 'dmg')).toBe(false);
    expect(problems.join()).toMatch(/dmg\/dataset\.bin: cache file is/);
  });

  it('writes through a temp file: a failed write leaves the previous cache', async () => {
    const ds = readCifar10(writeCifar10Folder(path.join(tmp, 'w'), 4, 2, 1));
    ds.id = 'w';
    const info = { checksum: contentChecksum(ds), sourceChecksum: 'x', sourceFingerprint: 'y', source: 'z', stats: {} };
    const { file } = await writeCache(root, ds, info);
    const before = sha256(file);
    // pixels that fail while being written (as a full disk would), after the temp file exists
    const images = ds.splits.train.images;
    const failing = new Proxy(images, {
      get(t, p) {
        if (p === 'length') throw new Error('disk full (simulated)');
        const v = Reflect.get(t, p, t);
        return typeof v === 'function' ? v.bind(t) : v;
      },
    });
    const bad = { ...ds, splits: { train: { ...ds.splits.train, images: failing } } };
    await expect(writeCache(root, bad, info)).rejects.toThrow(/dataset cache: could not write .*w\/dataset\.bin \(disk full \(simulated\)\); the previous cache, if any, is unchanged/);
    expect(sha256(file)).toBe(before);
    expect(fs.readdirSync(path.dirname(file))).toEqual(['dataset.bin']);
    const back = await readCache(file);
    expect(same(back.dataset.splits.train.images, ds.splits.train.images)).toBe(true);
  });
});

describe('other sources through openDataset', () => {
  it('imports an image folder at a chosen size and keeps the import report warnings in the cache', async () => {
    const src = path.join(tmp, 'imgs');
    for (let i = 0; i < 3; i++) await writeImage(path.join(src, 'a', `${i}.png`), 40, 40, i);
    await writeImage(path.join(src, 'b', '0.png'), 40, 40, 9);
    fs.writeFileSync(path.join(src, 'b', 'bad.png'), 'nope');
    const r = await importDataset({ kind: 'path', path: src, size: 96 }, { dataRoot: root });
    expect(r.report.counts).toEqual({ train: 4 });
    expect(r.report.skipped).toHaveLength(1);
    const again = await openDataset({ kind: 'path', path: src, size: 96 }, { dataRoot: root });
    expect(again.splits.train.height).toBe(96);
    expect(again.checksum).toBe(r.dataset.checksum);
    // another size is another dataset
    expect(datasetIdFor({ kind: 'path', path: src, size: 32 })).not.toBe(datasetIdFor({ kind: 'path', path: src, size: 96 }));
  });

  it('cache: false reads the source and writes nothing', async () => {
    const r2 = path.join(tmp, 'untouched');
    const ds = await openDataset(CIFAR10_DIR, { dataRoot: r2, cache: false });
    expect(ds.splits.train.count).toBe(10000);
    expect(fs.existsSync(r2)).toBe(false);
  });

  it('says how to get a builtin dataset that is not there', async () => {
    await expect(openDataset('cifar100', { dataRoot: path.join(tmp, 'empty') })).rejects.toThrow(/dataset cifar100 is not downloaded .*simclr-workbench datasets download cifar100/);
    await expect(openDataset('nosuch', { dataRoot: path.join(tmp, 'empty') })).rejects.toThrow(/no cached dataset "nosuch"/);
  });
});
