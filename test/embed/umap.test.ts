import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../../src/engine/backend/index.js';
import { knnAccuracy, umap, type UmapProgress } from '../../src/engine/embed/index.js';
import { gaussianClusters } from './reference.js';

beforeAll(async () => {
  await initBackend();
});

describe('UMAP (umap-js)', () => {
  it('separates well-separated clusters, reports progress and is reproducible with a seed', async () => {
    const pts = gaussianClusters(5, 40, 16, 12, 4);
    const events: UmapProgress[] = [];
    const before = tf.memory().numTensors;
    const a = await umap(pts, { epochs: 150, seed: 3, onProgress: (e) => events.push(e) });
    expect(tf.memory().numTensors).toBe(before);
    expect(a.coords.every(Number.isFinite)).toBe(true);
    expect(await knnAccuracy({ data: a.coords, n: pts.n, d: 2 }, pts.labels, 10)).toBe(1);
    expect(events[0]!.phase).toBe('neighbors');
    const opt = events.filter((e) => e.phase === 'optimize');
    expect(opt.at(-1)!.epoch).toBe(a.epochs);
    expect(events.at(-1)!.phase).toBe('done');
    const b = await umap(pts, { epochs: 150, seed: 3 });
    expect(Array.from(b.coords)).toEqual(Array.from(a.coords));
  });

  it('stops when cancelled', async () => {
    const pts = gaussianClusters(3, 40, 8, 6, 5);
    const ctl = new AbortController();
    let last = 0;
    const run = umap(pts, {
      epochs: 10_000,
      progressEvery: 1,
      signal: ctl.signal,
      onProgress: (e) => {
        last = e.epoch;
        if (e.epoch >= 5) ctl.abort();
      },
    });
    await expect(run).rejects.toMatchObject({ name: 'AbortError' });
    expect(last).toBe(5);
  });
});
