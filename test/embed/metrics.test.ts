import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../../src/engine/backend/index.js';
import { knnAccuracy, pca, seededRandom, trustworthiness } from '../../src/engine/embed/index.js';
import { gaussianClusters, trustworthinessReference } from './reference.js';

beforeAll(async () => {
  await initBackend();
});

describe('embedding quality metrics', () => {
  it('trustworthiness equals a full-sort float64 reference, and is 1 for an isometric embedding', async () => {
    const n = 150;
    const rand = seededRandom(3);
    const x = Float32Array.from({ length: n * 6 }, () => rand());
    const y = Float32Array.from({ length: n * 2 }, () => rand());
    const before = tf.memory().numTensors;
    const got = await trustworthiness({ data: x, n, d: 6 }, { data: y, n, d: 2 }, 10, { chunkElements: 20 * n * 10 });
    expect(tf.memory().numTensors).toBe(before);
    expect(got).toBeCloseTo(trustworthinessReference(x, 6, y, 2, n, 10), 10);
    expect(got).toBeLessThan(0.9);
    // points in the plane, embedded as themselves rotated and shifted
    const flat = Float32Array.from({ length: n * 2 }, () => rand());
    const moved = new Float32Array(n * 2);
    for (let i = 0; i < n; i++) {
      moved[2 * i] = 0.6 * flat[2 * i]! - 0.8 * flat[2 * i + 1]! + 5;
      moved[2 * i + 1] = 0.8 * flat[2 * i]! + 0.6 * flat[2 * i + 1]! - 2;
    }
    expect(await trustworthiness({ data: flat, n, d: 2 }, { data: moved, n, d: 2 }, 5)).toBeCloseTo(1, 6);
  });

  it('10-NN label accuracy: 1 for separated clusters, chance for shuffled labels', async () => {
    const pts = gaussianClusters(4, 50, 2, 30, 8);
    expect(await knnAccuracy(pts, pts.labels, 10)).toBe(1);
    const rand = seededRandom(1);
    const shuffled = Int32Array.from(pts.labels, () => Math.floor(rand() * 4));
    expect(await knnAccuracy(pts, shuffled, 10)).toBeLessThan(0.45);
  });

  it('PCA recovers the principal axes of an anisotropic cloud (against a power-iteration reference)', async () => {
    const n = 500;
    const d = 40;
    const g = seededRandom(7);
    const normal = () => Math.sqrt(-2 * Math.log(Math.max(g(), 1e-12))) * Math.cos(2 * Math.PI * g());
    const x = new Float32Array(n * d);
    for (let i = 0; i < n; i++) for (let j = 0; j < d; j++) x[i * d + j] = normal() * (j < 3 ? [10, 5, 3][j]! : 1) + 2;
    const r = await pca({ data: x, n, d }, 3, { seed: 1 });
    // variances close to the generating ones
    expect(r.variance[0]! / 100).toBeGreaterThan(0.8);
    expect(r.variance[0]! / 100).toBeLessThan(1.2);
    // reference: power iteration on the covariance for the first axis, in float64
    const mean = new Float64Array(d);
    for (let i = 0; i < n; i++) for (let j = 0; j < d; j++) mean[j] += x[i * d + j]! / n;
    let v: number[] = Array.from({ length: d }, (_, j) => (j === 0 ? 1 : 0.1));
    for (let it = 0; it < 200; it++) {
      const w = new Array<number>(d).fill(0);
      for (let i = 0; i < n; i++) {
        let dot = 0;
        for (let j = 0; j < d; j++) dot += (x[i * d + j]! - mean[j]!) * v[j]!;
        for (let j = 0; j < d; j++) w[j] += dot * (x[i * d + j]! - mean[j]!);
      }
      const norm = Math.hypot(...w);
      v = w.map((a) => a / norm);
    }
    let cos = 0;
    for (let j = 0; j < d; j++) cos += v[j]! * r.components[j]!;
    expect(Math.abs(cos)).toBeGreaterThan(0.9999);
    // components are orthonormal
    for (let a = 0; a < 3; a++)
      for (let b = 0; b < 3; b++) {
        let dot = 0;
        for (let j = 0; j < d; j++) dot += r.components[a * d + j]! * r.components[b * d + j]!;
        expect(dot).toBeCloseTo(a === b ? 1 : 0, 6);
      }
  });
});
