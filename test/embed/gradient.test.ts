import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../../src/engine/backend/index.js';
import { calibrateRows, ExactGradient, fft2d, FftRepulsion, fftGradient, gaussian, seededRandom, symmetrize, upperPairs, type SparseAffinities } from '../../src/engine/embed/index.js';
import { tsneGradientReference } from './reference.js';

beforeAll(async () => {
  await initBackend();
});

/** A random symmetric P (zero diagonal, sum 1) through the engine's own calibration on random distances. */
function randomAffinities(n: number, k: number, seed: number): { sparse: SparseAffinities; dense: Float64Array } {
  const rand = seededRandom(seed);
  const idx = new Int32Array(n * k);
  const dist = new Float32Array(n * k);
  for (let i = 0; i < n; i++) {
    const picked = new Set<number>();
    for (let e = 0; e < k; e++) {
      let j: number;
      do j = Math.floor(rand() * n);
      while (j === i || picked.has(j));
      picked.add(j);
      idx[i * k + e] = j;
      dist[i * k + e] = 1 + 5 * rand();
    }
  }
  const sparse = symmetrize(calibrateRows(idx, dist, n, k, Math.min(5, k - 1)));
  const dense = new Float64Array(n * n);
  for (let i = 0; i < n; i++) for (let e = sparse.rowPtr[i]!; e < sparse.rowPtr[i + 1]!; e++) dense[i * n + sparse.cols[e]!] = sparse.vals[e]!;
  return { sparse, dense };
}

function randomCoords(n: number, scale: number, seed: number): Float64Array {
  const g = gaussian(seededRandom(seed));
  return Float64Array.from({ length: 2 * n }, () => g() * scale);
}

function relErr(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let num = 0;
  let den = 0;
  for (let i = 0; i < a.length; i++) {
    num += (a[i]! - b[i]!) ** 2;
    den += b[i]! ** 2;
  }
  return Math.sqrt(num / den);
}

describe('t-SNE gradients', () => {
  it('exact tensor gradient and KL match a float64 reference (tiny problem, with and without exaggeration)', async () => {
    const n = 40;
    const { dense } = randomAffinities(n, 8, 1);
    const y = randomCoords(n, 3, 2);
    const before = tf.memory().numTensors;
    // small chunks, so the chunked path with several pieces is what is tested
    const g = new ExactGradient(tf.tensor2d(Float32Array.from(dense), [n, n]), { chunkElements: 7 * n });
    for (const exaggeration of [1, 12]) {
      const ref = tsneGradientReference(dense, y, n, exaggeration);
      const out = new Float64Array(2 * n);
      const kl = await g.gradient(y, exaggeration, out, true);
      expect(relErr(out, ref.grad)).toBeLessThan(1e-5);
      if (exaggeration === 1) expect(kl).toBeCloseTo(ref.kl, 5);
    }
    g.dispose();
    expect(tf.memory().numTensors).toBe(before);
  });

  it('FFT-interpolated gradient approaches the exact one as the grid gets finer (native and JS FFT)', () => {
    const n = 400;
    const { sparse, dense } = randomAffinities(n, 12, 3);
    const y = randomCoords(n, 6, 4);
    const ref = tsneGradientReference(dense, y, n, 1);
    const before = tf.memory().numTensors;
    const errs: Record<string, number> = {};
    for (const fft of ['native', 'js'] as const) {
      for (const maxSpacing of [0.5, 0.1]) {
        const rep = new FftRepulsion({ maxSpacing, fft });
        const grad = new Float64Array(2 * n);
        const kl = fftGradient(y, upperPairs(sparse), 1, rep, new Float64Array(2 * n), grad, true);
        rep.dispose();
        errs[`${fft}@${maxSpacing}`] = relErr(grad, ref.grad);
        expect(kl).toBeCloseTo(ref.kl, maxSpacing < 0.2 ? 4 : 2);
      }
    }
    console.log('relative gradient error', errs);
    expect(errs['native@0.5']).toBeLessThan(5e-2);
    expect(errs['js@0.5']).toBeLessThan(5e-2);
    expect(errs['native@0.1']).toBeLessThan(1e-3);
    expect(errs['js@0.1']).toBeLessThan(1e-4);
    expect(tf.memory().numTensors).toBe(before);
  });

  it.each([8, 12, 30, 20])('the JS 2-D FFT of size %i equals a direct DFT', (m) => {
    const rand = seededRandom(5);
    const re = Float64Array.from({ length: m * m }, () => rand() - 0.5);
    const im = Float64Array.from({ length: m * m }, () => rand() - 0.5);
    const wantRe = new Float64Array(m * m);
    const wantIm = new Float64Array(m * m);
    for (let u = 0; u < m; u++)
      for (let v = 0; v < m; v++)
        for (let a = 0; a < m; a++)
          for (let b = 0; b < m; b++) {
            const ang = (-2 * Math.PI * (u * a + v * b)) / m;
            const xr = re[a * m + b]!;
            const xi = im[a * m + b]!;
            wantRe[u * m + v] += xr * Math.cos(ang) - xi * Math.sin(ang);
            wantIm[u * m + v] += xr * Math.sin(ang) + xi * Math.cos(ang);
          }
    const gotRe = Float64Array.from(re);
    const gotIm = Float64Array.from(im);
    const f = fft2d(m);
    expect(f.transposed).toBe((m & (m - 1)) !== 0);
    f.forward(gotRe, gotIm);
    for (let u = 0; u < m; u++)
      for (let v = 0; v < m; v++) {
        const at = f.transposed ? v * m + u : u * m + v;
        expect(gotRe[at]).toBeCloseTo(wantRe[u * m + v]!, 10);
        expect(gotIm[at]).toBeCloseTo(wantIm[u * m + v]!, 10);
      }
    f.inverse(gotRe, gotIm);
    for (let i = 0; i < m * m; i++) {
      expect(gotRe[i]! / (m * m)).toBeCloseTo(re[i]!, 10);
      expect(gotIm[i]! / (m * m)).toBeCloseTo(im[i]!, 10);
    }
  });
});
