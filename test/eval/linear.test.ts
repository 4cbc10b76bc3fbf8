import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../../src/engine/backend/index.js';
import { readCifar10 } from '../../src/engine/data/cifar.js';
import { balancedSubset, stratifiedSplit } from '../../src/engine/eval/common.js';
import { featureStats, linearEval, standardise } from '../../src/engine/eval/linear.js';
import { metricsFromPredictions, metricsFromScores } from '../../src/engine/eval/metrics.js';
import { pixelFeatures } from '../../src/engine/eval/pixels.js';
import { CIFAR10_DIR } from '../support/shared-data.js';
import { makeProblem } from './reference-logreg.js';

describe('linear evaluation', () => {
  beforeAll(async () => {
    await initBackend();
  });

  it('metrics: top-1, top-5, per-class recall and confusion from scores, checked by hand', async () => {
    // 3 images, 6 classes. Row 0: best class 2 (true 2). Row 1: best 0, true 5 ranked 5th. Row 2: true 1 ranked 6th.
    const scores = tf.tensor2d([
      [0.1, 0.2, 0.9, 0.3, 0.0, 0.05],
      [0.9, 0.8, 0.7, 0.6, -1, 0.5],
      [0.9, -5, 0.7, 0.6, 0.5, 0.4],
    ]);
    const m = await metricsFromScores(scores, Int32Array.from([2, 5, 1]), 6);
    scores.dispose();
    expect(m.top1).toBeCloseTo(1 / 3, 12);
    expect(m.top5).toBeCloseTo(2 / 3, 12);
    expect(m.count).toBe(3);
    expect(m.perClass).toEqual([null, 0, 1, null, null, 0]);
    expect(m.confusion[2]![2]).toBe(1);
    expect(m.confusion[5]![0]).toBe(1);
    expect(m.confusion[1]![0]).toBe(1);
    expect(m.confusion.flat().reduce((a, b) => a + b, 0)).toBe(3);
    const p = metricsFromPredictions(Int32Array.from([0, 1, 1, 1]), Int32Array.from([0, 1, 1, 0]), 2);
    expect(p).toMatchObject({ top1: 0.75, top5: null, perClass: [0.5, 1], confusion: [[1, 1], [0, 2]] });
  });

  it('standardisation uses the training rows: zero mean, unit variance, constant features left at zero', () => {
    const x = tf.tensor2d([
      [1, 5, 3],
      [3, 5, 1],
      [5, 5, 2],
    ]);
    const stats = featureStats(x);
    const z = standardise(x, stats);
    const v = z.arraySync();
    for (let j = 0; j < 3; j++) {
      const col = v.map((r) => r[j]!);
      const mean = col.reduce((a, b) => a + b, 0) / 3;
      expect(mean).toBeCloseTo(0, 6);
      const variance = col.reduce((a, b) => a + (b - mean) ** 2, 0) / 3;
      expect(variance).toBeCloseTo(j === 1 ? 0 : 1, 5);
    }
    tf.dispose([x, stats.mean, stats.std, z]);
  });

  it('splits and label subsets are seeded, stratified and class-balanced', () => {
    const labels = Int32Array.from({ length: 1000 }, (_, i) => i % 10);
    const a = stratifiedSplit(labels, 0.2, 7);
    expect(a).toEqual(stratifiedSplit(labels, 0.2, 7));
    expect(a.val.length).toBe(200);
    expect(new Set([...a.fit, ...a.val]).size).toBe(1000);
    const perClassVal = new Array(10).fill(0);
    for (const i of a.val) perClassVal[labels[i]!]++;
    expect(perClassVal).toEqual(new Array(10).fill(20));
    const s1 = balancedSubset(labels, 0.01, 3);
    expect(s1.length).toBe(10); // one per class
    expect(new Set(s1.map((i) => labels[i])).size).toBe(10);
    const s10 = balancedSubset(labels, 0.1, 3);
    expect(s10.length).toBe(100);
    expect(s10).toEqual(balancedSubset(labels, 0.1, 3));
    expect(s10).not.toEqual(balancedSubset(labels, 0.1, 4));
  });

  it('selects L2 on validation, refits, and leaks no tensors', async () => {
    const p = makeProblem(400, 8, 4, 11, 0.8);
    const q = makeProblem(200, 8, 4, 12, 0.8);
    const train = { features: tf.tensor2d(Float32Array.from(p.x), [p.n, p.d]), labels: p.y };
    const test = { features: tf.tensor2d(Float32Array.from(q.x), [q.n, q.d]), labels: q.y };
    const before = tf.memory().numTensors;
    const r = await linearEval(train, test, { numClasses: 4, l2Grid: [1, 1e-1, 1e-2, 1e-3], seed: 1 });
    expect(tf.memory().numTensors).toBe(before);
    expect(r.validation.length).toBeGreaterThanOrEqual(3);
    const best = Math.max(...r.validation.map((v) => v.top1));
    expect(r.validation.find((v) => v.l2 === r.l2)!.top1).toBe(best);
    expect(r.fit.converged).toBe(true);
    expect(r.metrics.count).toBe(200);
    expect(r.metrics.confusion.flat().reduce((a, b) => a + b, 0)).toBe(200);
    // Same seed, same choice and numbers.
    const again = await linearEval(train, test, { numClasses: 4, l2Grid: [1, 1e-1, 1e-2, 1e-3], seed: 1 });
    expect(again.l2).toBe(r.l2);
    expect(again.metrics.top1).toBe(r.metrics.top1);
    tf.dispose([train.features, test.features]);
  });

  it('raw CIFAR-10 pixels (10k train / 2k test) land in the published raw-pixel range', async () => {
    // Linear classifiers on raw CIFAR-10 pixels reach about 37-41% top-1 with all 50k training
    // images (softmax/linear-SVM baselines, e.g. Coates, Lee & Ng 2011 report raw pixels far below
    // their learned features); with 10k images a little less. Chance is 10%; a broken pipeline
    // (shuffled labels, unscaled features, no regularisation) lands far outside [35%, 42%].
    const ds = readCifar10(CIFAR10_DIR);
    const train = ds.splits.train;
    const test = ds.splits.test!;
    expect(train.count).toBe(10000);
    expect(test.count).toBe(2000);
    const xTrain = pixelFeatures(train);
    const xTest = pixelFeatures(test);
    // One L2 strength keeps this test short on shared CPUs: 0.3 is what the full selection over
    // DEFAULT_L2_GRID picks on this subset (bench/eval.ts runs it); selection itself is tested above.
    const r = await linearEval({ features: xTrain, labels: train.labels }, { features: xTest, labels: test.labels }, { numClasses: 10, l2Grid: [0.3], gradTol: 1e-4, maxIter: 300 });
    tf.dispose([xTrain, xTest]);
    console.log(`raw-pixel linear eval: top-1 ${(100 * r.metrics.top1).toFixed(2)}%, top-5 ${(100 * r.metrics.top5!).toFixed(2)}%, l2 ${r.l2}`);
    expect(r.metrics.top1).toBeGreaterThanOrEqual(0.35);
    expect(r.metrics.top1).toBeLessThanOrEqual(0.42);
    expect(r.metrics.top5!).toBeGreaterThan(0.8);
  });
});
