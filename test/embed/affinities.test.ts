import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../../src/engine/backend/index.js';
import { calibrateRows, denseAffinities, knn, symmetrize } from '../../src/engine/embed/index.js';
import { gaussianClusters } from './reference.js';

beforeAll(async () => {
  await initBackend();
});

/** Shannon entropy (nats) of one row of probabilities. */
function entropy(p: ArrayLike<number>, from: number, to: number): number {
  let h = 0;
  for (let j = from; j < to; j++) if (p[j]! > 0) h -= p[j]! * Math.log(p[j]!);
  return h;
}

describe('t-SNE affinities', () => {
  it('each conditional row has the requested perplexity (entropy recomputed from the probabilities)', async () => {
    const pts = gaussianClusters(4, 60, 10, 8, 11);
    for (const perplexity of [5, 30]) {
      const k = Math.floor(3 * perplexity);
      const nn = await knn(pts, k);
      const c = calibrateRows(nn.indices, nn.dist, pts.n, k, perplexity);
      for (let i = 0; i < pts.n; i++) {
        let sum = 0;
        for (let e = 0; e < k; e++) sum += c.p[i * k + e]!;
        expect(sum).toBeCloseTo(1, 12);
        expect(Math.abs(Math.exp(entropy(c.p, i * k, (i + 1) * k)) - perplexity) / perplexity).toBeLessThan(1e-4);
      }
    }
  });

  it('kNN returns the exact nearest neighbours, never the point itself', async () => {
    const pts = gaussianClusters(3, 40, 5, 4, 3);
    const k = 7;
    const nn = await knn(pts, k);
    for (let i = 0; i < pts.n; i += 13) {
      const d = Array.from({ length: pts.n }, (_, j) => {
        let s = 0;
        for (let c = 0; c < pts.d; c++) s += (pts.data[i * pts.d + c]! - pts.data[j * pts.d + c]!) ** 2;
        return { j, s };
      })
        .filter((o) => o.j !== i)
        .sort((a, b) => a.s - b.s);
      for (let e = 0; e < k; e++) {
        expect(nn.indices[i * k + e]).not.toBe(i);
        expect(nn.dist[i * k + e]).toBeCloseTo(d[e]!.s, 2);
      }
      expect(new Set(nn.indices.subarray(i * k, (i + 1) * k))).toEqual(new Set(d.slice(0, k).map((o) => o.j)));
    }
  });

  it('symmetrised P is (P_cond + P_cond^T) / 2n, and the dense calibration on the backend agrees with the all-neighbour sparse one', async () => {
    const pts = gaussianClusters(3, 30, 6, 5, 5);
    const n = pts.n;
    const perplexity = 10;
    // k = n - 1: every other point is a neighbour, so sparse == dense
    const nn = await knn(pts, n - 1);
    const c = calibrateRows(nn.indices, nn.dist, n, n - 1, perplexity);
    const sp = symmetrize(c);
    const want = new Float64Array(n * n);
    for (let i = 0; i < n; i++)
      for (let e = 0; e < n - 1; e++) {
        const j = nn.indices[i * (n - 1) + e]!;
        want[i * n + j] += c.p[i * (n - 1) + e]! / (2 * n);
        want[j * n + i] += c.p[i * (n - 1) + e]! / (2 * n);
      }
    const got = new Float64Array(n * n);
    for (let i = 0; i < n; i++) for (let e = sp.rowPtr[i]!; e < sp.rowPtr[i + 1]!; e++) got[i * n + sp.cols[e]!] += sp.vals[e]!;
    for (let i = 0; i < n * n; i++) expect(got[i]).toBeCloseTo(want[i]!, 12);

    const before = tf.memory().numTensors;
    const x = tf.tensor2d(pts.data, [n, pts.d]);
    const { p, entropy: h } = await denseAffinities(x, perplexity, { chunkElements: 25 * n });
    const dense = p.dataSync();
    tf.dispose([x, p]);
    expect(tf.memory().numTensors).toBe(before);
    for (let i = 0; i < n; i++) expect(Math.abs(h[i]! - Math.log(perplexity))).toBeLessThan(1e-3);
    let total = 0;
    for (let i = 0; i < n * n; i++) {
      total += dense[i]!;
      expect(dense[i]).toBeCloseTo(want[i]!, 5);
    }
    expect(total).toBeCloseTo(1, 5);
  });
});
