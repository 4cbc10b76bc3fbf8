import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../../src/engine/backend/index.js';
import { createModel } from '../../src/engine/models/index.js';
import { writeCheckpoint } from '../../src/engine/train/checkpoint.js';
import { loadEncoder } from '../../src/engine/train/encoder.js';
import { modelConfigOf } from '../../src/engine/train/model-config.js';
import { MODEL_FORMAT_VERSION, parseModelConfig } from '../../src/shared/model-config.js';
import { parseRunRecord } from '../../src/shared/run.js';
import { parseTrainConfig } from '../../src/shared/train-config.js';
import { images, readWeights, relErr } from './support.js';

// run.json as written before the projection head's output batch norm and the
// model.zeroInitResidual training option existed (fields trimmed to what the schema needs).
function olderRunRecord(): Record<string, unknown> {
  return {
    format: 'simclr-workbench-run',
    version: 1,
    kind: 'simclr',
    id: '20260101-000000-old',
    name: 'old',
    status: 'completed',
    config: {
      dataset: 'cifar10',
      trainLimit: 64,
      model: { preset: 'tiny', projectionDim: 16 },
      pipeline: 'SimCLR CIFAR',
      epochs: 1,
      batchSize: 32,
      optimizer: { name: 'lars', baseLr: 0.075, lrScaling: 'sqrt', weightDecay: 1e-6, warmupEpochs: 1, momentum: 0.9 },
      temperature: 0.5,
      seed: 7,
      backend: 'tensorflow',
      knn: { every: 1, k: 200, temperature: 0.1, testLimit: null, atStart: false },
      outDir: null,
      dataRoot: null,
      evalBatchSize: 256,
    },
    pipeline: { version: 1, name: 'SimCLR CIFAR', outputSize: 32, ops: [] },
    model: { arch: 'resnet18', width: 0.25, stem: 'cifar', inputChannels: 3, projection: { outDim: 16 }, bnMomentum: 0.9, bnEpsilon: 1e-5, zeroInitResidual: false, depth: 18, featureDim: 128, params: 1 },
    learningRate: 0.4,
    stepsPerEpoch: 2,
    dataset: { id: 'cifar10', name: 'CIFAR-10', format: 'cifar10', path: '/nowhere', classNames: ['a', 'b'], trainCount: 64, testCount: 0, height: 32, width: 32, channels: 3, checksum: '0' },
    seed: 7,
    backend: { name: 'tensorflow', tfjsVersion: '4.22.0', source: 'x', device: 'cpu', gpu: false, threads: 2, reason: 'test' },
    versions: {},
    startedAt: '2026-01-01T00:00:00.000Z',
    endedAt: '2026-01-01T00:01:00.000Z',
    pid: 1,
    host: 'test',
    epochsCompleted: 1,
    globalStep: 2,
    resumes: [],
    error: null,
  };
}

describe('model options and run.json written before them', () => {
  let dir = '';
  beforeAll(async () => {
    await initBackend('tensorflow');
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'simclr-legacy-run-'));
  });
  afterAll(() => {
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  it('a new training config defaults to the reference: output BN on, zero-init residual branches on', () => {
    const cfg = parseTrainConfig({ dataset: 'cifar10' });
    expect(cfg.model).toMatchObject({ projectionOutputBatchNorm: true, zeroInitResidual: true, padding: 'symmetric' });
    const m = modelConfigOf(cfg, 32);
    expect(m.padding).toBe('symmetric');
    expect(m.formatVersion).toBe(MODEL_FORMAT_VERSION);
    expect(m.projection.outputBatchNorm).toBe(true);
    expect(m.zeroInitResidual).toBe(true);
    const off = modelConfigOf(parseTrainConfig({ dataset: 'cifar10', model: { projectionOutputBatchNorm: false, zeroInitResidual: false } }), 32);
    expect(off.projection.outputBatchNorm).toBe(false);
    expect(off.zeroInitResidual).toBe(false);
    expect(() => parseTrainConfig({ dataset: 'cifar10', model: { zeroInitResidual: 'yes' } })).toThrow(/model\.zeroInitResidual/);
  });

  it('parseRunRecord reads an older run.json as the model it was trained with (both options off)', () => {
    const r = parseRunRecord(olderRunRecord());
    expect(r.config.model).toMatchObject({ projectionOutputBatchNorm: false, zeroInitResidual: false });
    expect((r.model.projection as { outputBatchNorm: boolean }).outputBatchNorm).toBe(false);
    const m = modelConfigOf(parseTrainConfig(r.config), 32);
    expect(m.projection).toEqual({ outDim: 16, outputBatchNorm: false });
    expect(m.zeroInitResidual).toBe(false);
    expect(m.padding).toBe('tf-same');
    expect(r.config.model.padding).toBe('tf-same');
    expect(r.model).toMatchObject({ padding: 'tf-same', formatVersion: 1 });
    // a record that states the fields keeps them
    const raw = olderRunRecord();
    (raw.config as { model: Record<string, unknown> }).model = { preset: 'tiny', projectionDim: 16, projectionOutputBatchNorm: true, zeroInitResidual: true };
    (raw.model as { projection: Record<string, unknown> }).projection = { outDim: 16, outputBatchNorm: true };
    const n = parseRunRecord(raw);
    expect(n.config.model).toMatchObject({ projectionOutputBatchNorm: true, zeroInitResidual: true });
    expect((n.model.projection as { outputBatchNorm: boolean }).outputBatchNorm).toBe(true);
    expect(n.config.model.padding).toBe('tf-same');
  });

  it('a model config from a newer format version is refused with a message that says so', () => {
    expect(() => parseModelConfig({ formatVersion: MODEL_FORMAT_VERSION + 1 })).toThrow(/model\.formatVersion: this build reads model format versions up to 2/);
    expect(() => parseModelConfig({ padding: 'reflect' })).toThrow(/model\.padding/);
  });

  it('loadEncoder loads an older run\'s checkpoint (fc2 bias, no projection/bn2) and its init', async () => {
    const runDir = path.join(dir, 'old');
    fs.mkdirSync(runDir);
    fs.writeFileSync(path.join(runDir, 'run.json'), JSON.stringify(olderRunRecord()));
    // trained before format version 2: TensorFlow 'SAME' padding
    const trained = createModel({ arch: 'resnet18', width: 0.25, projection: { outDim: 16, outputBatchNorm: false }, padding: 'tf-same' }, 99);
    const w = trained.getWeights();
    await writeCheckpoint(path.join(runDir, 'checkpoints'), { epoch: 1, globalStep: 2, state: {} }, { model: Object.entries(w).map(([name, tensor]) => ({ name, tensor })), optimizer: [] });
    tf.dispose(Object.values(w));

    const enc = loadEncoder(runDir);
    expect(enc.model.config.projection.outputBatchNorm).toBe(false);
    expect(enc.model.config.zeroInitResidual).toBe(false);
    const got = await readWeights(enc.model);
    const want = await readWeights(trained);
    expect(Object.keys(got).sort()).toEqual(Object.keys(want).sort());
    for (const k of Object.keys(want)) expect(got[k], k).toEqual(want[k]);

    // and it computes what it computed when trained: same padding, same features
    expect(enc.model.config.padding).toBe('tf-same');
    expect(enc.record.model).toMatchObject({ padding: 'tf-same', formatVersion: 1 });
    const x = images(4, 32, 3);
    const hOld = trained.encode(x, false);
    const hLoaded = enc.model.encode(x, false);
    expect(Array.from(await hLoaded.data())).toEqual(Array.from(await hOld.data()));
    // the same weights under today's symmetric padding give other features: the mode matters
    const sym = createModel({ ...enc.model.config, padding: 'symmetric', formatVersion: 2 }, 99);
    const hSym = sym.encode(x, false);
    expect(relErr(await hSym.data(), await hOld.data())).toBeGreaterThan(1e-3);
    tf.dispose([x, hOld, hLoaded, hSym]);
    sym.dispose();

    // the random-init baseline is the older init too: residual branches not zeroed
    const init = loadEncoder(runDir, { checkpoint: 'init' });
    const g = await readWeights(init.model);
    expect(Array.from(g['encoder/layer1.0/bn2/gamma']!).every((v) => v === 1)).toBe(true);
    [trained, enc.model, init.model].forEach((m) => m.dispose());
  });
});
