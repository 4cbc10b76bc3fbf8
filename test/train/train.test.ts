import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { evalBatch } from '../../src/engine/augment/index.js';
import { initBackend } from '../../src/engine/backend/index.js';
import { readCifar10, type Dataset } from '../../src/engine/data/index.js';
import { listCheckpoints, loadEncoder, readCheckpoint, runSplits, trainSimclr, type TrainEvent } from '../../src/engine/train/index.js';
import { parseRunRecord, type MetricRecord } from '../../src/shared/run.js';
import { parseTrainConfig, type TrainConfigInput } from '../../src/shared/train-config.js';
import { CIFAR10_DIR } from '../support/shared-data.js';

let tmp: string;
let cifar: Dataset;

const tinyConfig = (over: Partial<TrainConfigInput> = {}): TrainConfigInput => ({
  dataset: CIFAR10_DIR,
  trainLimit: 160,
  batchSize: 32,
  epochs: 3,
  seed: 7,
  optimizer: { warmupEpochs: 1 },
  knn: { every: 1, k: 20, testLimit: 120 },
  outDir: path.join(tmp, 'runs'),
  ...over,
});

function readMetrics(dir: string): MetricRecord[] {
  return fs
    .readFileSync(path.join(dir, 'metrics.jsonl'), 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as MetricRecord);
}

/** Independent kNN: float64 loops over plain arrays, full sort. */
function loopKnnAccuracy(bank: number[][], bankLabels: Int32Array, queries: number[][], queryLabels: Int32Array, k: number, t: number, classes: number): number {
  const unit = (v: number[]) => {
    const n = Math.sqrt(v.reduce((a, x) => a + x * x, 0)) || 1;
    return v.map((x) => x / n);
  };
  const b = bank.map(unit);
  let correct = 0;
  queries.forEach((q0, qi) => {
    const q = unit(q0);
    const sims = b.map((row, i) => ({ s: row.reduce((a, x, j) => a + x * q[j]!, 0), i })).sort((x, y) => y.s - x.s);
    const votes = new Array<number>(classes).fill(0);
    for (const { s, i } of sims.slice(0, k)) votes[bankLabels[i]!] += Math.exp(s / t);
    const pred = votes.indexOf(Math.max(...votes));
    if (pred === queryLabels[qi]) correct++;
  });
  return correct / queries.length;
}

describe('SimCLR training loop', () => {
  beforeAll(async () => {
    await initBackend();
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'simclr-train-'));
    cifar = readCifar10(CIFAR10_DIR);
  });
  afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

  it('a short run writes run.json, metrics.jsonl and one checkpoint per epoch, with constant memory', async () => {
    const events: TrainEvent[] = [];
    const tensorsAtEpochEnd: number[] = [];
    const before = tf.memory().numTensors;
    const result = await trainSimclr({
      config: tinyConfig({ knn: { every: 1, k: 20, testLimit: 120, atStart: true } }),
      dataset: cifar,
      onProgress: (e) => {
        events.push(e);
        if (e.type === 'checkpoint') tensorsAtEpochEnd.push(tf.memory().numTensors);
      },
    });
    // Memory: the tensor count after each epoch (model, optimiser slots) does not grow, and nothing is left after the run.
    expect(tensorsAtEpochEnd).toHaveLength(3);
    expect(new Set(tensorsAtEpochEnd).size).toBe(1);
    expect(tf.memory().numTensors).toBe(before);

    const dir = result.runDir;
    expect(result.status).toBe('completed');
    const record = parseRunRecord(JSON.parse(fs.readFileSync(path.join(dir, 'run.json'), 'utf8')));
    expect(record.status).toBe('completed');
    expect(record.id).toBe(path.basename(dir));
    expect(record.endedAt).not.toBeNull();
    expect(record.pid).toBe(process.pid);
    expect(record.epochsCompleted).toBe(3);
    expect(record.stepsPerEpoch).toBe(5); // 160 / 32
    expect(record.globalStep).toBe(15);
    expect(record.config).toEqual(parseTrainConfig(tinyConfig({ knn: { every: 1, k: 20, testLimit: 120, atStart: true } })));
    expect((record.pipeline as { ops: unknown[] }).ops.length).toBeGreaterThan(0);
    expect(record.model).toMatchObject({ arch: 'resnet18', width: 0.25, depth: 18, stem: 'cifar' });
    expect(record.dataset).toMatchObject({ id: 'cifar10', trainCount: 160, testCount: 120, height: 32, width: 32, channels: 3 });
    expect(record.dataset.checksum).toMatch(/^[0-9a-f]{64}$/);
    expect(record.backend.name).toBe(tf.getBackend());
    expect(record.versions['tfjs-core']).toBe(tf.version_core);
    expect(record.learningRate).toBeCloseTo(0.075 * Math.sqrt(32), 12);

    const metrics = readMetrics(dir);
    const steps = metrics.filter((m) => m.type === 'step');
    expect(steps.map((m) => (m as { globalStep: number }).globalStep)).toEqual(Array.from({ length: 15 }, (_, i) => i + 1));
    expect(metrics.filter((m) => m.type === 'epoch')).toHaveLength(3);
    expect(metrics.filter((m) => m.type === 'knn').map((m) => (m as { epoch: number }).epoch)).toEqual([0, 1, 2, 3]);
    for (const s of steps as Extract<MetricRecord, { type: 'step' }>[]) {
      expect(Number.isFinite(s.loss)).toBe(true);
      expect(s.contrastiveAcc).toBeGreaterThanOrEqual(0);
      expect(s.contrastiveAcc).toBeLessThanOrEqual(1);
    }
    // The schedule: linear warmup over epoch 1 (lr 0 at step 0), cosine to 0 over the rest.
    const lrs = (steps as Extract<MetricRecord, { type: 'step' }>[]).map((s) => s.lr);
    const peak = record.learningRate;
    expect(lrs[0]).toBe(0);
    expect(lrs[3]).toBeCloseTo((peak * 3) / 5, 10);
    expect(lrs[5]).toBeCloseTo(peak, 10);
    expect(lrs[14]).toBeCloseTo(peak * 0.5 * (1 + Math.cos((Math.PI * 9) / 10)), 10);

    // Events: step events carry the documented fields; epoch means agree with the step records.
    const stepEvents = events.filter((e): e is Extract<TrainEvent, { type: 'step' }> => e.type === 'step');
    expect(stepEvents).toHaveLength(15);
    expect(Object.keys(stepEvents[0]!).sort()).toEqual(['contrastiveAcc', 'epoch', 'epochs', 'etaSec', 'globalStep', 'imagesPerSec', 'loss', 'lr', 'step', 'stepsPerEpoch', 'type'].sort());
    expect(stepEvents.at(-1)!.etaSec).toBe(0);
    const epoch2 = events.find((e) => e.type === 'epoch' && e.epoch === 2) as Extract<TrainEvent, { type: 'epoch' }>;
    const mean2 = stepEvents.filter((e) => e.epoch === 2).reduce((a, e) => a + e.loss, 0) / 5;
    expect(epoch2.meanLoss).toBeCloseTo(mean2, 10);
    expect(events[0]!.type).toBe('start');
    expect(events.at(-1)).toMatchObject({ type: 'end', status: 'completed', epochsCompleted: 3, globalStep: 15 });

    // Checkpoints: one per epoch, latest -> epoch-0003, holding every model variable incl. BN running stats.
    const ckRoot = path.join(dir, 'checkpoints');
    expect(listCheckpoints(ckRoot)).toEqual(['epoch-0001', 'epoch-0002', 'epoch-0003']);
    expect(fs.readFileSync(path.join(ckRoot, 'latest'), 'utf8').trim()).toBe('epoch-0003');
    expect(fs.readdirSync(ckRoot).filter((n) => n.startsWith('.'))).toEqual([]);
    const ck = readCheckpoint(path.join(ckRoot, 'epoch-0003'));
    expect(ck.manifest.globalStep).toBe(15);
    expect(ck.values.has('model/encoder/stem/bn/moving_mean')).toBe(true);
    expect([...ck.values.keys()].some((k) => k.startsWith('optimizer/momentum/'))).toBe(true);
    const rng = (ck.manifest.state as { rng: { shuffle: { words: number[] }; augment: { words: number[] } } }).rng;
    expect(rng.shuffle.words).toHaveLength(4);
    expect(rng.augment.words).not.toEqual(rng.shuffle.words);

    // loadEncoder returns exactly the checkpoint's weights; 'init' the untrained same-seed model, which differs.
    const enc = loadEncoder(dir);
    const w = enc.model.getWeights();
    const init = loadEncoder(dir, { checkpoint: 'init' });
    const w0 = init.model.getWeights();
    try {
      expect(enc.checkpoint).toMatchObject({ epoch: 3, globalStep: 15 });
      for (const name of ['encoder/stem/conv/kernel', 'encoder/layer4.1/bn2/moving_variance', 'projection/fc2/kernel', 'projection/bn1/moving_mean']) {
        expect(Array.from(await w[name]!.data())).toEqual(Array.from(ck.values.get(`model/${name}`)!.data));
      }
      expect(Array.from(await w0['encoder/stem/conv/kernel']!.data())).not.toEqual(Array.from(await w['encoder/stem/conv/kernel']!.data()));

      // The kNN monitor's recorded accuracy equals an independent loop kNN on the loaded encoder's features.
      const cfg = parseTrainConfig(record.config);
      const { train, test } = runSplits(cifar, cfg);
      const feats = async (set: typeof train, model = enc.model) => {
        const idx = Array.from({ length: set.count }, (_, i) => i);
        const h = tf.tidy(() => model.encode(evalBatch(set, idx, enc.pipeline), false));
        const rows = (await h.array()) as number[][];
        h.dispose();
        return rows;
      };
      const expected = loopKnnAccuracy(await feats(train), train.labels, await feats(test!), test!.labels, 20, 0.1, 10);
      const knn = metrics.filter((m) => m.type === 'knn') as Extract<MetricRecord, { type: 'knn' }>[];
      expect(knn.at(-1)!.accuracy).toBeCloseTo(expected, 10);
      // ...and the epoch-0 record is the untrained encoder that loadEncoder(dir, {checkpoint: 'init'}) rebuilds.
      const expectedInit = loopKnnAccuracy(await feats(train, init.model), train.labels, await feats(test!, init.model), test!.labels, 20, 0.1, 10);
      expect(knn[0]!.accuracy).toBeCloseTo(expectedInit, 10);
    } finally {
      tf.dispose([...Object.values(w), ...Object.values(w0)]);
      enc.model.dispose();
      init.model.dispose();
    }
    expect(tf.memory().numTensors).toBe(before);
  });

  it('cancelling mid-epoch stops at once, leaves status cancelled and frees every tensor', async () => {
    const before = tf.memory().numTensors;
    const controller = new AbortController();
    let runDir = '';
    let stepsSeen = 0;
    const run = trainSimclr({
      config: tinyConfig({ epochs: 2, knn: { every: 0 } }),
      dataset: cifar,
      signal: controller.signal,
      onProgress: (e) => {
        if (e.type === 'start') runDir = e.runDir;
        if (e.type === 'step') {
          stepsSeen++;
          if (e.epoch === 1 && e.step === 2) controller.abort();
        }
      },
    });
    await expect(run).rejects.toMatchObject({ name: 'AbortError' });
    expect(stepsSeen).toBe(2);
    const record = parseRunRecord(JSON.parse(fs.readFileSync(path.join(runDir, 'run.json'), 'utf8')));
    expect(record.status).toBe('cancelled');
    expect(record.endedAt).not.toBeNull();
    expect(record.epochsCompleted).toBe(0);
    expect(listCheckpoints(path.join(runDir, 'checkpoints'))).toEqual([]);
    expect(tf.memory().numTensors).toBe(before);
    // a signal that has already fired refuses to start
    await expect(trainSimclr({ config: tinyConfig(), dataset: cifar, signal: controller.signal })).rejects.toMatchObject({ name: 'AbortError' });
  });

  it('a diverging run stops with status failed and a message naming the fix, leaking nothing', async () => {
    const before = tf.memory().numTensors;
    let runDir = '';
    const run = trainSimclr({
      config: tinyConfig({ epochs: 2, knn: { every: 0 }, optimizer: { name: 'sgd', baseLr: 1e30, warmupEpochs: 0 } }),
      dataset: cifar,
      onProgress: (e) => {
        if (e.type === 'start') runDir = e.runDir;
      },
    });
    await expect(run).rejects.toThrow(/the loss became (NaN|Infinity|-Infinity) at epoch 1, step \d; lower the learning rate/);
    const record = parseRunRecord(JSON.parse(fs.readFileSync(path.join(runDir, 'run.json'), 'utf8')));
    expect(record.status).toBe('failed');
    expect(record.error).toMatch(/the loss became/);
    expect(tf.memory().numTensors).toBe(before);
  });

  it('refuses to resume a completed run and a run whose dataset changed', async () => {
    const done = await trainSimclr({ config: tinyConfig({ epochs: 1, knn: { every: 0 } }), dataset: cifar });
    await expect(trainSimclr({ resume: done.runDir, dataset: cifar })).rejects.toThrow(/already completed/);
    // Pretend it was interrupted, then offer different images.
    const file = path.join(done.runDir, 'run.json');
    const rec = JSON.parse(fs.readFileSync(file, 'utf8'));
    fs.writeFileSync(file, JSON.stringify({ ...rec, status: 'interrupted' }));
    const other: Dataset = { ...cifar, splits: { ...cifar.splits, train: { ...cifar.splits.train, images: cifar.splits.train.images.map((v) => 255 - v) } } };
    await expect(trainSimclr({ resume: done.runDir, dataset: other })).rejects.toThrow(/no longer matches/);
  });
});
