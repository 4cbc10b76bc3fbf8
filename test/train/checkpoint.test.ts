import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../../src/engine/backend/index.js';
import { latestCheckpoint, listCheckpoints, readCheckpoint, removeStaleTemps, writeCheckpoint } from '../../src/engine/train/checkpoint.js';

describe('checkpoint format', () => {
  let dir: string;
  beforeAll(async () => {
    await initBackend();
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'simclr-ckpt-'));
  });
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('round-trips tensors bit-exactly with state, and points latest at the newest', async () => {
    const w = tf.tensor4d(Float32Array.from({ length: 2 * 3 * 3 * 4 }, (_, i) => Math.sin(i) * 1e-3 + i), [2, 3, 3, 4]);
    const mean = tf.tensor1d([0.1, -0.2, Math.PI]);
    const count = tf.tensor1d([7], 'int32');
    const ck = path.join(dir, 'checkpoints');
    const state = { rng: { words: [1, 2, 3, 4] }, note: 'x' };
    await writeCheckpoint(ck, { epoch: 1, globalStep: 10, state }, { model: [{ name: 'conv/w', tensor: w }, { name: 'bn/mean', tensor: mean }], optimizer: [{ name: 'step', tensor: count }] });
    await writeCheckpoint(ck, { epoch: 2, globalStep: 20, state: { ...state, note: 'y' } }, { model: [{ name: 'conv/w', tensor: w }, { name: 'bn/mean', tensor: mean }], optimizer: [] });
    expect(listCheckpoints(ck)).toEqual(['epoch-0001', 'epoch-0002']);
    expect(fs.readFileSync(path.join(ck, 'latest'), 'utf8').trim()).toBe('epoch-0002');
    expect(latestCheckpoint(ck)).toBe(path.join(ck, 'epoch-0002'));
    const first = readCheckpoint(path.join(ck, 'epoch-0001'));
    expect(first.manifest.epoch).toBe(1);
    expect(first.manifest.globalStep).toBe(10);
    expect(first.manifest.state).toEqual(state);
    expect(Array.from(first.values.get('model/conv/w')!.data)).toEqual(Array.from(await w.data()));
    expect(first.values.get('model/conv/w')!.shape).toEqual([2, 3, 3, 4]);
    expect(Array.from(first.values.get('model/bn/mean')!.data)).toEqual(Array.from(await mean.data()));
    expect(first.values.get('optimizer/step')!.data).toBeInstanceOf(Int32Array);
    expect(Array.from(first.values.get('optimizer/step')!.data)).toEqual([7]);
    tf.dispose([w, mean, count]);
  });

  it('refuses a damaged tensors file and falls back from a broken latest pointer', async () => {
    const ck = path.join(dir, 'damaged');
    const t = tf.ones([4]);
    await writeCheckpoint(ck, { epoch: 1, globalStep: 1, state: {} }, { model: [{ name: 'a', tensor: t }], optimizer: [] });
    await writeCheckpoint(ck, { epoch: 2, globalStep: 2, state: {} }, { model: [{ name: 'a', tensor: t }], optimizer: [] });
    const bin = path.join(ck, 'epoch-0002', 'tensors.bin');
    const bytes = fs.readFileSync(bin);
    bytes[3] ^= 0xff;
    fs.writeFileSync(bin, bytes);
    expect(() => readCheckpoint(path.join(ck, 'epoch-0002'))).toThrow(/checksum mismatch/);
    // A writer killed between the temp dir and the rename leaves only a .tmp- dir: it is ignored and cleaned.
    fs.mkdirSync(path.join(ck, '.tmp-epoch-0003-1-1'));
    fs.writeFileSync(path.join(ck, 'latest'), 'epoch-0003\n');
    expect(latestCheckpoint(ck)).toBe(path.join(ck, 'epoch-0002'));
    removeStaleTemps(ck);
    expect(fs.readdirSync(ck).filter((n) => n.startsWith('.'))).toEqual([]);
    t.dispose();
  });

  it('refuses duplicate names and unsupported dtypes', async () => {
    const t = tf.ones([2]);
    const b = tf.tensor1d([true, false], 'bool');
    await expect(writeCheckpoint(path.join(dir, 'dup'), { epoch: 1, globalStep: 0, state: {} }, { model: [{ name: 'a', tensor: t }, { name: 'a', tensor: t }], optimizer: [] })).rejects.toThrow(/appears twice/);
    await expect(writeCheckpoint(path.join(dir, 'dup'), { epoch: 1, globalStep: 0, state: {} }, { model: [{ name: 'b', tensor: b }], optimizer: [] })).rejects.toThrow(/dtype bool/);
    tf.dispose([t, b]);
  });
});
