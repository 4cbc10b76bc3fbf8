/**
 * Issue 23 item 8: sizes in a training config have upper bounds, and before
 * any tensor is allocated the parameter + activation memory is estimated and
 * a config that cannot fit is refused naming the field and the estimate.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../../src/engine/backend/index.js';
import { createModel } from '../../src/engine/models/index.js';
import { trainSimclr, trainStep } from '../../src/engine/train/simclr.js';
import { checkTrainingMemory, estimateTrainingMemory } from '../../src/engine/train/memory-estimate.js';
import { modelConfigOf } from '../../src/engine/train/model-config.js';
import { createTrainOptimizer } from '../../src/engine/train/optimizer.js';
import { parseTrainConfig } from '../../src/shared/train-config.js';
import { CIFAR10_DIR } from '../support/shared-data.js';

let tmp: string;
beforeAll(async () => {
  await initBackend();
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'simclr-bounds-'));
});
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

describe('config upper bounds', () => {
  for (const [what, over, field] of [
    ['model.projectionDim 3e6', { model: { projectionDim: 3_000_000 } }, 'model.projectionDim'],
    ['model.projectionHiddenDim 1e8', { model: { projectionHiddenDim: 100_000_000 } }, 'model.projectionHiddenDim'],
    ['batchSize 10000', { batchSize: 10_000 }, 'batchSize'],
    ['epochs 1e9', { epochs: 1e9 }, 'epochs'],
  ] as const) {
    it(`refuses ${what}, naming the field`, () => {
      expect(() => parseTrainConfig({ dataset: 'cifar10', ...over })).toThrow(new RegExp(`${field.replace('.', '\\.')}.*(<=|at most|too big)`, 'i'));
    });
  }
});

describe('memory estimate before training', () => {
  it.each([16, 48])('batch %i: counts exactly the parameters the model has, and is not below the peak tfjs reports for a real step', async (batchSize) => {
    const cfg = parseTrainConfig({ dataset: 'cifar10', batchSize, model: { preset: 'tiny' } });
    const mc = modelConfigOf(cfg, 32);
    const est = estimateTrainingMemory(mc, cfg.batchSize, 32, cfg.optimizer.name);
    const model = createModel(mc, 0);
    const optimizer = createTrainOptimizer(cfg, model, { peakLr: 0.1, stepsPerEpoch: 1, totalSteps: 1 });
    try {
      expect(est.params).toBe(model.numParams());
      const views = tf.randomUniform([2 * cfg.batchSize, 32, 32, 3]) as tf.Tensor4D;
      trainStep(model, optimizer, views, 0.5, 0.1); // first step creates the optimiser's slots
      const info = await tf.profile(() => {
        const { loss, accuracy } = trainStep(model, optimizer, views, 0.5, 0.1);
        tf.dispose([loss, accuracy]);
      });
      views.dispose();
      const live = tf.memory().numBytes;
      expect(est.totalBytes).toBeGreaterThanOrEqual(info.peakBytes);
      // generous, not absurd: within 20x of what one step really held at its peak
      expect(est.totalBytes).toBeLessThan(20 * Math.max(info.peakBytes, live));
    } finally {
      optimizer.dispose();
      model.dispose();
    }
  });

  it('refuses over the limit with the field and the estimate, passes under it', () => {
    const cfg = parseTrainConfig({ dataset: 'cifar10', batchSize: 4096, model: { preset: 'paper' } });
    const est = estimateTrainingMemory(modelConfigOf(cfg, 32), cfg.batchSize, 32, cfg.optimizer.name);
    expect(() => checkTrainingMemory(est, cfg, { bytes: est.totalBytes - 1, what: 'the test limit' })).toThrow(
      /^batchSize 4096: training would need about [\d.]+ GB \([\d,]+ parameters: [\d.]+ GB with gradients and optimiser state; activations: [\d.]+ GB\), more than the test limit; lower it$/,
    );
    expect(() => checkTrainingMemory(est, cfg, { bytes: est.totalBytes, what: 'the test limit' })).not.toThrow();
    const wide = parseTrainConfig({ dataset: 'cifar10', batchSize: 2, model: { projectionDim: 16384, projectionHiddenDim: 16384 } });
    const west = estimateTrainingMemory(modelConfigOf(wide, 32), 2, 32, 'adamw');
    expect(() => checkTrainingMemory(west, wide, { bytes: 1, what: 'x' })).toThrow(/^model\.projection(Hidden)?Dim 16384/);
  });

  it('the trainer refuses a config this machine cannot hold before allocating it (no raw typed-array error)', async () => {
    const before = tf.memory().numTensors;
    await expect(
      trainSimclr({ config: { dataset: CIFAR10_DIR, batchSize: 8192, model: { preset: 'paper', projectionDim: 16384 }, epochs: 1, knn: { every: 0 }, outDir: path.join(tmp, 'runs') } }),
    ).rejects.toThrow(/^batchSize 8192: training would need about [\d.]+ GB .*more than 75% of this machine's/);
    expect(tf.memory().numTensors).toBe(before);
    expect(fs.existsSync(path.join(tmp, 'runs'))).toBe(false);
  });
});
