import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../../src/engine/backend/index.js';
import { extractFeatures, knnAccuracy, knnPredict } from '../../src/engine/eval/knn.js';

/** mulberry32: a tiny seeded generator for test data. */
function rng(seed: number) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Independent reference: float64 loops, full sort, no tensors. */
function referenceKnn(bank: Float64Array[], bankLabels: Int32Array, queries: Float64Array[], k: number, t: number, numClasses: number): Int32Array {
  const unit = (v: Float64Array) => {
    let s = 0;
    for (const x of v) s += x * x;
    const n = Math.max(Math.sqrt(s), 1e-12);
    return v.map((x) => x / n);
  };
  const b = bank.map(unit);
  const out = new Int32Array(queries.length);
  queries.forEach((q0, qi) => {
    const q = unit(q0);
    const sims = b.map((row, i) => {
      let s = 0;
      for (let j = 0; j < q.length; j++) s += q[j]! * row[j]!;
      return { s, i };
    });
    sims.sort((x, y) => y.s - x.s);
    const votes = new Float64Array(numClasses);
    for (const { s, i } of sims.slice(0, Math.min(k, sims.length))) votes[bankLabels[i]!]! += Math.exp(s / t);
    let best = 0;
    for (let c = 1; c < numClasses; c++) if (votes[c]! > votes[best]!) best = c;
    out[qi] = best;
  });
  return out;
}

function clusters(seed: number, n: number, d: number, classes: number, noise: number) {
  const r = rng(seed);
  const gauss = () => Math.sqrt(-2 * Math.log(r() + 1e-12)) * Math.cos(2 * Math.PI * r());
  const centres = Array.from({ length: classes }, () => Float64Array.from({ length: d }, gauss));
  const rows: Float64Array[] = [];
  const labels = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    const c = Math.floor(r() * classes);
    labels[i] = c;
    rows.push(centres[c]!.map((x) => x + noise * gauss()));
  }
  return { rows, labels };
}

const toTensor = (rows: Float64Array[]) => tf.tensor2d(rows.map((r) => Array.from(r)));

describe('kNN monitor', () => {
  beforeAll(async () => {
    await initBackend();
  });

  it('matches an independent loop implementation (k=200, T=0.1, several query blocks)', async () => {
    const all = clusters(1, 750, 16, 10, 2.5);
    const bank = { rows: all.rows.slice(0, 600), labels: all.labels.slice(0, 600) };
    const queries = { rows: all.rows.slice(600), labels: all.labels.slice(600) };
    const before = tf.memory().numTensors;
    const bankT = toTensor(bank.rows);
    const qT = toTensor(queries.rows);
    const pred = await knnPredict(bankT, bank.labels, qT, { k: 200, temperature: 0.1, numClasses: 10, queryBatch: 64 });
    const ref = referenceKnn(bank.rows, bank.labels, queries.rows, 200, 0.1, 10);
    expect(Array.from(pred)).toEqual(Array.from(ref));
    // noisy clusters: neither trivial nor random
    const acc = await knnAccuracy(bankT, bank.labels, qT, queries.labels, { numClasses: 10 });
    let refCorrect = 0;
    ref.forEach((p, i) => (refCorrect += p === queries.labels[i] ? 1 : 0));
    expect(acc).toBeCloseTo(refCorrect / ref.length, 10);
    expect(acc).toBeGreaterThan(0.2);
    bankT.dispose();
    qT.dispose();
    expect(tf.memory().numTensors).toBe(before);
  });

  it('small k and a hand-checked case: weights, not counts, decide', async () => {
    // Query along +x. Two class-1 neighbours at cos 0.6, one class-0 neighbour at cos 1.
    // k=3, T=0.1: class 0 gets e^10 = 22026, class 1 gets 2 e^6 = 807 -> class 0,
    // although class 1 has more neighbours. With T=10 the counts win: 2 e^0.06 > e^0.1.
    const bank = tf.tensor2d([
      [1, 0],
      [0.6, 0.8],
      [0.6, -0.8],
      [-1, 0],
    ]);
    const labels = Int32Array.from([0, 1, 1, 2]);
    const q = tf.tensor2d([[2, 0]]);
    expect(Array.from(await knnPredict(bank, labels, q, { k: 3, temperature: 0.1 }))).toEqual([0]);
    expect(Array.from(await knnPredict(bank, labels, q, { k: 3, temperature: 10 }))).toEqual([1]);
    // k larger than the bank is clipped
    expect(Array.from(await knnPredict(bank, labels, q, { k: 200, temperature: 0.1 }))).toEqual([0]);
    tf.dispose([bank, q]);
  });

  it('small temperatures do not overflow the votes', async () => {
    // Query [1, 0]; class 1 is nearest (two points), class 0 a little further.
    // exp(sim/T) alone overflows float32 at T = 0.005 and every vote ties at Infinity.
    const bank = tf.tensor2d([
      [1, 0.01],
      [1, 0.02],
      [1, 0.1],
    ]);
    const q = tf.tensor2d([[1, 0]]);
    for (const temperature of [0.1, 0.01, 0.005, 0.001]) {
      expect(Array.from(await knnPredict(bank, Int32Array.from([1, 1, 0]), q, { k: 3, temperature }))).toEqual([1]);
    }
    tf.dispose([bank, q]);
  });

  it('refuses mismatched shapes and unlabelled banks', async () => {
    const bank = tf.zeros([3, 4]) as tf.Tensor2D;
    const q = tf.zeros([2, 5]) as tf.Tensor2D;
    await expect(knnPredict(bank, Int32Array.from([0, 1]), q)).rejects.toThrow(/2 bank labels for 3 bank rows/);
    await expect(knnPredict(bank, Int32Array.from([0, 1, 2]), q)).rejects.toThrow(/5 dimensions, the bank 4/);
    const q4 = tf.zeros([2, 4]) as tf.Tensor2D;
    await expect(knnPredict(bank, Int32Array.from([0, -1, 2]), q4)).rejects.toThrow(/unlabelled/);
    tf.dispose([bank, q, q4]);
  });

  it('extractFeatures runs the forward function over every image in order', async () => {
    const set = { images: Uint8Array.from({ length: 5 * 2 * 2 * 3 }, (_, i) => i % 256), labels: new Int32Array(5), count: 5, height: 2, width: 2, channels: 3 as const };
    // forward: mean of each image -> [B, 1]
    const feats = await extractFeatures((x) => tf.mean(tf.reshape(x, [x.shape[0], -1]), 1, true) as tf.Tensor2D, set, { batchSize: 2 });
    const got = Array.from(await feats.data());
    const want = [0, 1, 2, 3, 4].map((n) => {
      let s = 0;
      for (let i = 0; i < 12; i++) s += (n * 12 + i) / 255;
      return s / 12;
    });
    got.forEach((g, i) => expect(g).toBeCloseTo(want[i]!, 5));
    feats.dispose();
  });
});
