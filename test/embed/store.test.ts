import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { listEmbeddings, readEmbeddingHeader, readFeatures, readProjection, writeFeatures, writeProjection } from '../../src/engine/embed/index.js';
import { EMBED_FILE_MAGIC } from '../../src/shared/embed.js';

let tmp: string;
beforeAll(() => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'simclr-embed-store-'));
});
afterAll(() => {
  fs.rmSync(tmp, { recursive: true, force: true });
});

const meta = () => ({ source: 'run' as const, run: 'r1', dataset: 'cifar10', split: 'test', epoch: 3, sampleSeed: 7, createdAt: '2026-01-01T00:00:00.000Z', note: 'kept' });

describe('embedding files', () => {
  it('features round-trip bit-exactly, with a 16-byte aligned layout as documented', () => {
    const n = 37;
    const h = Float32Array.from({ length: n * 5 }, (_, i) => Math.sin(i) * 1e3);
    const z = Float32Array.from({ length: n * 3 }, (_, i) => -i / 7);
    const labels = Int32Array.from({ length: n }, (_, i) => (i % 4) - 1);
    const indices = Int32Array.from({ length: n }, (_, i) => i * 13);
    const dir = path.join(tmp, 'run', 'embeddings');
    const file = path.join(dir, 'test-n37-s7.bin');
    writeFeatures(file, { h, hDim: 5, z, zDim: 3, labels, indices, meta: meta() });
    const f = readFeatures(file);
    expect(f.count).toBe(n);
    expect(f.hDim).toBe(5);
    expect(f.zDim).toBe(3);
    expect(Array.from(f.h)).toEqual(Array.from(h));
    expect(Array.from(f.z!)).toEqual(Array.from(z));
    expect(Array.from(f.labels)).toEqual(Array.from(labels));
    expect(Array.from(f.indices)).toEqual(Array.from(indices));
    expect(f.meta).toMatchObject(meta());

    // the layout, read by hand: magic, header length, header, aligned arrays
    const buf = fs.readFileSync(file);
    expect(buf.toString('ascii', 0, 8)).toBe(EMBED_FILE_MAGIC);
    const len = buf.readUInt32LE(8);
    expect((12 + len) % 16).toBe(0);
    const header = JSON.parse(buf.toString('utf8', 12, 12 + len));
    expect(header.kind).toBe('features');
    for (const a of Object.values(header.arrays) as { offset: number; byteLength: number }[]) expect(a.offset % 16).toBe(0);
    const view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
    expect(view.getFloat32(header.arrays.h.offset + 4 * 6, true)).toBe(h[6]);
    expect(view.getInt32(header.arrays.indices.offset + 4 * 2, true)).toBe(26);
    expect(readEmbeddingHeader(file)).toEqual(header);
    // no temporary files left beside it
    expect(fs.readdirSync(dir)).toEqual(['test-n37-s7.bin']);
  });

  it('projections round-trip; listEmbeddings finds both files and reports broken ones', () => {
    const n = 10;
    const dir = path.join(tmp, 'run2', 'embeddings');
    const coords = Float32Array.from({ length: 2 * n }, (_, i) => i * 0.5 - 3);
    writeFeatures(path.join(dir, 'a.bin'), { h: new Float32Array(n * 2), hDim: 2, z: null, zDim: 0, labels: new Int32Array(n), indices: Int32Array.from({ length: n }, (_, i) => i), meta: meta() });
    const pmeta = { method: 'tsne' as const, features: 'h', from: 'a.bin', params: { perplexity: 3 }, kl: 0.5, seconds: 1.5, backend: 'tensorflow', createdAt: '2026-01-01T00:00:00.000Z' };
    writeProjection(path.join(dir, 'a.tsne-h.bin'), { coords, labels: new Int32Array(n), indices: Int32Array.from({ length: n }, (_, i) => i), meta: pmeta });
    const p = readProjection(path.join(dir, 'a.tsne-h.bin'));
    expect(Array.from(p.coords)).toEqual(Array.from(coords));
    expect(p.meta).toEqual(pmeta);
    fs.writeFileSync(path.join(dir, 'broken.bin'), 'not an embedding');
    const listed = listEmbeddings(path.join(tmp, 'run2'));
    expect(listed.files.map((f) => [f.name, f.header.kind])).toEqual([
      ['a.bin', 'features'],
      ['a.tsne-h.bin', 'projection'],
    ]);
    expect(listed.errors).toHaveLength(1);
    expect(listed.errors[0]).toMatch(/broken\.bin: not an embedding file/);
    expect(() => readFeatures(path.join(dir, 'a.tsne-h.bin'))).toThrow(/is a projection file, not features/);
  });

  it('truncated or mislabelled files fail with a message naming the file', () => {
    const n = 8;
    const file = path.join(tmp, 't.bin');
    writeFeatures(file, { h: new Float32Array(n * 4), hDim: 4, z: null, zDim: 0, labels: new Int32Array(n), indices: new Int32Array(n), meta: meta() });
    const buf = fs.readFileSync(file);
    fs.writeFileSync(file, buf.subarray(0, buf.length - 8));
    expect(() => readFeatures(file)).toThrow(new RegExp(`${file.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}: array "indices" runs past the end`));
    expect(() => writeFeatures(file, { h: new Float32Array(5), hDim: 4, z: null, zDim: 0, labels: new Int32Array(n), indices: new Int32Array(n), meta: meta() })).toThrow(/shape \[8,4\] holds 32 values, data has 5/);
  });
});
