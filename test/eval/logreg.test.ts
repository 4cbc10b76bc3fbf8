import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../../src/engine/backend/index.js';
import { disposeLogReg, fitLogReg } from '../../src/engine/eval/logreg.js';
import { makeProblem, newtonLogReg, objective64, type Problem } from './reference-logreg.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const PYTHON = path.join(ROOT, 'bench/.venv/bin/python');

/** scikit-learn installed in bench/.venv (checked on disk: importing it costs seconds). */
function hasSklearn(): boolean {
  const lib = path.join(ROOT, 'bench/.venv/lib');
  if (!fs.existsSync(PYTHON) || !fs.existsSync(lib)) return false;
  return fs.readdirSync(lib).some((py) => fs.existsSync(path.join(lib, py, 'site-packages/sklearn/__init__.py')));
}

/** Fit with tfjs and return theta ([d+1, k], bias last) as float64 plus the reported loss. */
async function fitOurs(p: Problem, l2: number) {
  const x = tf.tensor2d(Float32Array.from(p.x), [p.n, p.d]);
  const fit = await fitLogReg(x, p.y, { l2, numClasses: p.k, gradTol: 1e-6 });
  const w = fit.model.weights.dataSync();
  const b = fit.model.bias.dataSync();
  const theta = new Float64Array((p.d + 1) * p.k);
  theta.set(w);
  theta.set(b, p.d * p.k);
  disposeLogReg(fit.model);
  x.dispose();
  return { theta, fit };
}

/** scikit-learn's solutions as theta, all problems in one Python process; its C·Σ CE + ½||W||² is our objective scaled by C·n when C = 1/(l2·n). */
function sklearnThetas(problems: { p: Problem; l2: number }[]): Float64Array[] {
  const script = `
import json, sys
import numpy as np
from sklearn.linear_model import LogisticRegression
out = []
for d in json.load(sys.stdin):
    X = np.array(d['x'], dtype=np.float64).reshape(d['n'], d['d'])
    m = LogisticRegression(C=d['C'], tol=1e-12, max_iter=100000).fit(X, np.array(d['y']))
    out.append({'coef': m.coef_.tolist(), 'intercept': m.intercept_.tolist()})
print(json.dumps(out))
`;
  const input = problems.map(({ p, l2 }) => ({ x: Array.from(p.x), y: Array.from(p.y), n: p.n, d: p.d, C: 1 / (l2 * p.n) }));
  const out = JSON.parse(execFileSync(PYTHON, ['-c', script], { input: JSON.stringify(input), encoding: 'utf8', timeout: 120_000 })) as { coef: number[][]; intercept: number[] }[];
  return out.map(({ coef, intercept }, i) => {
    const { p } = problems[i]!;
    const theta = new Float64Array((p.d + 1) * p.k);
    for (let c = 0; c < p.k; c++) {
      for (let j = 0; j < p.d; j++) theta[j * p.k + c] = coef[c]![j]!;
      theta[p.d * p.k + c] = intercept[c]!;
    }
    return theta;
  });
}

const CASES = [
  { name: 'n=60 d=4 k=3 l2=0.1', n: 60, d: 4, k: 3, l2: 0.1, seed: 1 },
  { name: 'n=240 d=6 k=4 l2=1e-3', n: 240, d: 6, k: 4, l2: 1e-3, seed: 2 },
  { name: 'n=150 d=10 k=5 l2=1e-2 (overlapping classes)', n: 150, d: 10, k: 5, l2: 1e-2, seed: 3, spread: 0.6 },
];

/** Our solutions from the Newton comparisons, reused for the scikit-learn comparison (vitest runs tests in order). */
const oursByCase = new Map<string, Float64Array>();

describe('multinomial logistic regression (L-BFGS on tensors)', () => {
  beforeAll(async () => {
    await initBackend();
  });

  for (const c of CASES) {
    it(`matches a float64 Newton solution: ${c.name}`, async () => {
      const p = makeProblem(c.n, c.d, c.k, c.seed, c.spread);
      const ref = newtonLogReg(p, c.l2);
      expect(ref.gradNorm).toBeLessThan(1e-10);
      const before = tf.memory().numTensors;
      const { theta, fit } = await fitOurs(p, c.l2);
      oursByCase.set(c.name, theta);
      expect(tf.memory().numTensors).toBe(before);
      expect(fit.converged).toBe(true);
      // Our solution, scored in float64, is as good as the optimum to within 1e-4 ...
      const ours64 = objective64(p, theta, c.l2).f;
      expect(Math.abs(ours64 - ref.f)).toBeLessThan(1e-4);
      // ... and the loss fitLogReg reports (computed in float32) agrees too.
      expect(Math.abs(fit.loss - ref.f)).toBeLessThan(1e-4);
      // The weights agree as well (the bias only up to a shared constant, so compare W).
      for (let i = 0; i < c.d * c.k; i++) expect(Math.abs(theta[i]! - ref.theta[i]!)).toBeLessThan(2e-2 * Math.max(1, Math.abs(ref.theta[i]!)));
    });
  }

  it.skipIf(!hasSklearn())('matches scikit-learn LogisticRegression (C = 1/(l2·n)) on the same problems', () => {
    const problems = CASES.map((c) => ({ p: makeProblem(c.n, c.d, c.k, c.seed, c.spread), l2: c.l2 }));
    const thetas = sklearnThetas(problems);
    for (const [i, c] of CASES.entries()) {
      const { p } = problems[i]!;
      const sk = objective64(p, thetas[i]!, c.l2).f;
      const ours = objective64(p, oursByCase.get(c.name)!, c.l2).f;
      expect(Math.abs(ours - sk), c.name).toBeLessThan(1e-4);
      // And the two independent references agree with each other far more tightly.
      expect(Math.abs(newtonLogReg(p, c.l2).f - sk), c.name).toBeLessThan(1e-7);
    }
  });

  it('warm start from the optimum stops at once; bad input is refused with a clear message', async () => {
    const p = makeProblem(60, 4, 3, 1);
    const x = tf.tensor2d(Float32Array.from(p.x), [p.n, p.d]);
    const first = await fitLogReg(x, p.y, { l2: 0.1, numClasses: 3, gradTol: 1e-5 });
    const again = await fitLogReg(x, p.y, { l2: 0.1, numClasses: 3, gradTol: 1e-4, init: first.model });
    expect(again.iterations).toBeLessThanOrEqual(1);
    disposeLogReg(first.model);
    disposeLogReg(again.model);
    await expect(fitLogReg(x, p.y.subarray(0, 10), { l2: 0.1, numClasses: 3 })).rejects.toThrow(/60 feature rows but 10 labels/);
    await expect(fitLogReg(x, p.y, { l2: -1, numClasses: 3 })).rejects.toThrow(/l2 must be/);
    await expect(fitLogReg(x, p.y, { l2: 0.1, numClasses: 2 })).rejects.toThrow(/label 2 at row 2 is outside 0\.\.1/);
    const ac = new AbortController();
    ac.abort();
    await expect(fitLogReg(x, p.y, { l2: 0.1, numClasses: 3, signal: ac.signal })).rejects.toMatchObject({ name: 'AbortError' });
    x.dispose();
  });
});
