import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../../src/engine/backend/index.js';
import { readCifar10 } from '../../src/engine/data/index.js';
import { autoLearningRate, knnAccuracy, pca, pixelsOf, trustworthiness, tsne, type Points, type TsneProgress } from '../../src/engine/embed/index.js';
import { CIFAR10_DIR } from '../support/shared-data.js';
import { gaussianClusters } from './reference.js';

beforeAll(async () => {
  await initBackend();
});

describe('t-SNE', () => {
  it('keeps well-separated Gaussian clusters apart in 2-D, with both gradients, and reports progress', async () => {
    const pts = gaussianClusters(6, 50, 20, 12, 21);
    for (const method of ['exact', 'fft'] as const) {
      const events: TsneProgress[] = [];
      const before = tf.memory().numTensors;
      const r = await tsne(pts, { method, iterations: 400, perplexity: 20, onProgress: (e) => events.push(e) });
      expect(tf.memory().numTensors).toBe(before);
      expect(r.method).toBe(method);
      expect(r.coords).toHaveLength(2 * pts.n);
      expect(r.coords.every(Number.isFinite)).toBe(true);
      expect(await knnAccuracy({ data: r.coords, n: pts.n, d: 2 }, pts.labels, 10)).toBe(1);
      // progress: affinities first, then optimisation events with rising iterations, finite KL, an ETA that ends at 0
      expect(events[0]!.phase).toBe('affinities');
      const opt = events.filter((e) => e.phase === 'optimize');
      expect(opt.length).toBe(400 / 25);
      for (let i = 1; i < opt.length; i++) expect(opt[i]!.iteration).toBeGreaterThan(opt[i - 1]!.iteration);
      for (const e of opt) {
        expect(Number.isFinite(e.kl) && e.kl > 0).toBe(true);
        expect(e.etaMs).toBeGreaterThanOrEqual(0);
      }
      expect(opt.at(-1)!.etaMs).toBe(0);
      expect(events.at(-1)!.phase).toBe('done');
      // KL falls once the exaggeration is off
      const after = opt.filter((e) => e.iteration > 250);
      expect(after.at(-1)!.kl).toBeLessThan(after[0]!.kl);
      expect(r.kl).toBe(opt.at(-1)!.kl);
    }
  });

  it('uses scikit-learn defaults: learning rate max(n / 48, 50), and is deterministic', async () => {
    expect(autoLearningRate(10000, 12)).toBeCloseTo(10000 / 48, 10);
    expect(autoLearningRate(1000, 12)).toBe(50);
    const pts = gaussianClusters(3, 30, 5, 6, 2);
    const a = await tsne(pts, { iterations: 60, method: 'fft' });
    const b = await tsne(pts, { iterations: 60, method: 'fft' });
    expect(a.learningRate).toBe(50);
    expect(Array.from(a.coords)).toEqual(Array.from(b.coords));
  });

  it('stops promptly when cancelled, with an AbortError and no tensors left behind', async () => {
    const pts = gaussianClusters(4, 100, 10, 8, 9);
    for (const method of ['exact', 'fft'] as const) {
      const before = tf.memory().numTensors;
      const ctl = new AbortController();
      let last = 0;
      const run = tsne(pts, {
        method,
        iterations: 100_000,
        progressEvery: 5,
        signal: ctl.signal,
        onProgress: (e) => {
          last = e.iteration;
          if (e.iteration >= 10) ctl.abort();
        },
      });
      await expect(run).rejects.toMatchObject({ name: 'AbortError' });
      // the loop notices the signal at the next iteration
      expect(last).toBe(10);
      expect(tf.memory().numTensors).toBe(before);
    }
    const ctl = new AbortController();
    ctl.abort();
    await expect(tsne(pts, { signal: ctl.signal })).rejects.toMatchObject({ name: 'AbortError' });
  });

  it('the FFT method matches the exact one on real data: trustworthiness and 10-NN accuracy close', async () => {
    const ds = readCifar10(CIFAR10_DIR);
    const set = ds.splits.test!;
    const n = 600;
    const idx = Array.from({ length: n }, (_, i) => i);
    const raw = pixelsOf(set, idx);
    const x: Points = { data: (await pca(raw, 30, { seed: 0 })).projected, n, d: 30 };
    const labels = Int32Array.from(idx, (i) => set.labels[i]!);
    const exact = await tsne(x, { method: 'exact', iterations: 500 });
    const fft = await tsne(x, { method: 'fft', iterations: 500 });
    const te = await trustworthiness(x, { data: exact.coords, n, d: 2 }, 10);
    const ta = await trustworthiness(x, { data: fft.coords, n, d: 2 }, 10);
    console.log(JSON.stringify({ trustExact: te, trustFft: ta, klExact: exact.kl, klFft: fft.kl }));
    expect(te).toBeGreaterThan(0.85);
    expect(Math.abs(ta - te)).toBeLessThan(0.01);
    const ae = await knnAccuracy({ data: exact.coords, n, d: 2 }, labels, 10);
    const aa = await knnAccuracy({ data: fft.coords, n, d: 2 }, labels, 10);
    expect(Math.abs(aa - ae)).toBeLessThan(0.05);
    // same objective up to the sparse P (3 x perplexity neighbours) and the interpolated repulsion
    expect(Math.abs(fft.kl - exact.kl) / exact.kl).toBeLessThan(0.1);
  });

  it('rejects bad input with messages naming the problem', async () => {
    const pts = gaussianClusters(1, 3, 2, 1, 1);
    await expect(tsne(pts)).rejects.toThrow(/at least 4 points/);
    const more = gaussianClusters(2, 10, 3, 4, 1);
    await expect(tsne(more, { perplexity: 30 })).rejects.toThrow(/perplexity must be in/);
    await expect(tsne({ data: new Float32Array(5), n: 3, d: 2 })).rejects.toThrow(/expected n x d/);
    await expect(tsne({ data: new Float32Array(20_001 * 2), n: 20_001, d: 2 }, { method: 'exact' })).rejects.toThrow(/too many .* use method 'fft'/);
  });
});
