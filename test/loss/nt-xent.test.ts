import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../../src/engine/backend/index.js';
import { contrastiveAccuracy, ntXent } from '../../src/engine/loss/index.js';

// Independent float64 reference: explicit loops over the 2N x 2N similarities,
// self-similarity excluded from the softmax, gradient derived by hand and
// cross-checked by central finite differences below.
function reference(z: number[][], t: number): { loss: number; accuracy: number; grad: number[][] } {
  const m = z.length;
  const n = m / 2;
  const d = z[0]!.length;
  const norms = z.map((r) => Math.max(Math.sqrt(r.reduce((s, v) => s + v * v, 0)), 1e-12));
  const u = z.map((r, i) => r.map((v) => v / norms[i]!));
  const dot = (a: number[], b: number[]) => a.reduce((s, v, k) => s + v * b[k]!, 0);
  let loss = 0;
  let correct = 0;
  // A[i][j] = dL/dlogit_ij
  const A = Array.from({ length: m }, () => new Array<number>(m).fill(0));
  for (let i = 0; i < m; i++) {
    const p = (i + n) % m;
    const logits: number[] = [];
    let max = -Infinity;
    for (let j = 0; j < m; j++) {
      logits[j] = j === i ? -Infinity : dot(u[i]!, u[j]!) / t;
      if (logits[j]! > max) max = logits[j]!;
    }
    let sum = 0;
    for (let j = 0; j < m; j++) if (j !== i) sum += Math.exp(logits[j]! - max);
    loss += max + Math.log(sum) - logits[p]!;
    let best = true;
    for (let j = 0; j < m; j++) if (j !== i && j !== p && logits[j]! >= logits[p]!) best = false;
    if (best) correct++;
    for (let j = 0; j < m; j++) if (j !== i) A[i]![j] = (Math.exp(logits[j]! - max) / sum - (j === p ? 1 : 0)) / m;
  }
  const grad: number[][] = [];
  for (let k = 0; k < m; k++) {
    // dL/du_k = (1/t) sum_j (A_kj + A_jk) u_j, then through u = z / |z|
    const gu = new Array<number>(d).fill(0);
    for (let j = 0; j < m; j++) {
      const c = (A[k]![j]! + A[j]![k]!) / t;
      for (let q = 0; q < d; q++) gu[q]! += c * u[j]![q]!;
    }
    const proj = dot(gu, u[k]!);
    grad.push(gu.map((g, q) => (g - proj * u[k]![q]!) / norms[k]!));
  }
  return { loss: loss / m, accuracy: correct / m, grad };
}

function seededRows(rows: number, dim: number, seed: number): number[][] {
  let s = seed >>> 0;
  const rnd = () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 32 - 0.5;
  };
  return Array.from({ length: rows }, () => Array.from({ length: dim }, () => rnd() * 4));
}

function maxAbsDiff(a: number[][], b: number[][]): number {
  let m = 0;
  a.forEach((r, i) => r.forEach((v, j) => (m = Math.max(m, Math.abs(v - b[i]![j]!)))));
  return m;
}

describe('float64 reference (self-check)', () => {
  it('its hand-derived gradient matches central finite differences', () => {
    const z = seededRows(6, 5, 3);
    const t = 0.3;
    const { grad } = reference(z, t);
    const h = 1e-6;
    for (let i = 0; i < z.length; i++) {
      for (let q = 0; q < z[0]!.length; q++) {
        const plus = z.map((r) => r.slice());
        const minus = z.map((r) => r.slice());
        plus[i]![q]! += h;
        minus[i]![q]! -= h;
        const fd = (reference(plus, t).loss - reference(minus, t).loss) / (2 * h);
        expect(Math.abs(fd - grad[i]![q]!)).toBeLessThan(1e-7);
      }
    }
  });
});

for (const backend of ['tensorflow', 'wasm'] as const) {
  describe(`ntXent on ${backend}`, () => {
    beforeAll(async () => {
      await initBackend(backend);
    });

    const cases: [n: number, dim: number, t: number][] = [
      [1, 4, 0.5],
      [2, 2, 0.1],
      [5, 8, 0.5],
      [16, 128, 0.1],
      [32, 16, 1.0],
      [7, 3, 0.07],
    ];
    for (const [n, dim, t] of cases) {
      it(`loss, accuracy and gradient match the float64 loop (N=${n}, d=${dim}, t=${t})`, async () => {
        const rows = seededRows(2 * n, dim, n * 1000 + dim);
        // make some positives clearly the nearest so accuracy is neither 0 nor 1 trivially
        for (let i = 0; i < n; i += 2) rows[i + n] = rows[i]!.map((v, q) => v + 0.1 * rows[i + n]![q]!);
        const ref = reference(rows, t);
        const zVar = tf.variable(tf.tensor2d(rows), true, `ntxent-${backend}-${n}-${dim}-${t}`);
        const before = tf.memory().numTensors;
        let acc!: tf.Scalar;
        const { value, grads } = tf.variableGrads(
          () => {
            const r = ntXent(zVar as unknown as tf.Tensor2D, t);
            acc = tf.keep(r.accuracy);
            return r.loss;
          },
          [zVar],
        );
        const loss = (await value.data())[0]!;
        const grad = (await grads[zVar.name]!.array()) as number[][];
        expect(Math.abs(loss - ref.loss)).toBeLessThan(2e-5 * Math.max(1, Math.abs(ref.loss)));
        expect((await acc.data())[0]).toBeCloseTo(ref.accuracy, 6);
        const scale = Math.max(...ref.grad.flat().map(Math.abs));
        expect(maxAbsDiff(grad, ref.grad)).toBeLessThan(1e-4 * scale + 1e-7);
        tf.dispose([value, acc, ...Object.values(grads)]);
        expect(tf.memory().numTensors).toBe(before);
        zVar.dispose();
      });
    }

    it('N=1: the only candidate is the positive, so the loss is 0 and accuracy 1', async () => {
      const r = ntXent(tf.tensor2d([[1, 2, 3], [-3, 0.5, 2]]), 0.5);
      expect((await r.loss.data())[0]).toBeCloseTo(0, 6);
      expect((await r.accuracy.data())[0]).toBe(1);
      tf.dispose([r.loss, r.accuracy]);
    });

    it('contrastiveAccuracy: identical views are always ranked first', async () => {
      const a = seededRows(8, 16, 9);
      const acc = contrastiveAccuracy(tf.tensor2d([...a, ...a]), 0.2);
      expect((await acc.data())[0]).toBe(1);
      acc.dispose();
    });

    it('refuses an odd number of rows and a non-positive temperature, saying why', () => {
      const z = tf.zeros([3, 4]) as tf.Tensor2D;
      expect(() => ntXent(z, 0.5)).toThrow(/even number of rows/);
      expect(() => ntXent(tf.zeros([4, 4]) as tf.Tensor2D, 0)).toThrow(/temperature must be a positive/);
      z.dispose();
    });
  });
}
