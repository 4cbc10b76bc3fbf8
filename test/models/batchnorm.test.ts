import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../../src/engine/backend/index.js';
import { batchNorm, nativeAvailable, type BnVars } from '../../src/engine/models/index.js';

// Float64 reference: batch norm over every axis but the last, + residual, ReLU,
// then L = sum(out * upstream). Gradients by central finite differences of L.
// center false: a scale-only BN (no beta variable), as the projection head's output BN.
interface Case {
  shape: number[];
  relu: boolean;
  residual: boolean;
  center?: boolean;
}

function rng(seed: number) {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 32 - 0.5;
  };
}

function refForward(x: Float64Array, c: number, gamma: Float64Array, beta: Float64Array, res: Float64Array | null, relu: boolean, eps: number) {
  const m = x.length / c;
  const mean = new Float64Array(c);
  const vari = new Float64Array(c);
  for (let i = 0; i < x.length; i++) mean[i % c]! += x[i]! / m;
  for (let i = 0; i < x.length; i++) vari[i % c]! += (x[i]! - mean[i % c]!) ** 2 / m;
  const y = new Float64Array(x.length);
  for (let i = 0; i < x.length; i++) {
    const k = i % c;
    let v = ((x[i]! - mean[k]!) / Math.sqrt(vari[k]! + eps)) * gamma[k]! + beta[k]!;
    if (res) v += res[i]!;
    y[i] = relu ? Math.max(v, 0) : v;
  }
  return { y, mean, vari, m };
}

function refLoss(x: Float64Array, c: number, gamma: Float64Array, beta: Float64Array, res: Float64Array | null, relu: boolean, eps: number, up: Float64Array) {
  const { y } = refForward(x, c, gamma, beta, res, relu, eps);
  let l = 0;
  for (let i = 0; i < y.length; i++) l += y[i]! * up[i]!;
  return l;
}

function fdGrad(f: (v: Float64Array) => number, at: Float64Array): Float64Array {
  const h = 1e-6;
  const g = new Float64Array(at.length);
  for (let i = 0; i < at.length; i++) {
    const p = at.slice();
    const q = at.slice();
    p[i]! += h;
    q[i]! -= h;
    g[i] = (f(p) - f(q)) / (2 * h);
  }
  return g;
}

function expectClose(actual: ArrayLike<number>, expected: ArrayLike<number>, tol: number, what: string) {
  let scale = 0;
  for (let i = 0; i < expected.length; i++) scale = Math.max(scale, Math.abs(expected[i]!));
  for (let i = 0; i < expected.length; i++) {
    const err = Math.abs(actual[i]! - expected[i]!);
    if (err > tol * Math.max(scale, 1)) throw new Error(`${what}[${i}]: got ${actual[i]}, expected ${expected[i]} (scale ${scale.toExponential(2)})`);
  }
}

let vars = 0;
function makeBn(c: number, gamma: Float64Array, beta: Float64Array | null): BnVars {
  const id = ++vars;
  return {
    gamma: tf.variable(tf.tensor1d(Float32Array.from(gamma)), true, `bn-test-${id}-gamma`),
    beta: beta ? tf.variable(tf.tensor1d(Float32Array.from(beta)), true, `bn-test-${id}-beta`) : null,
    movingMean: tf.variable(tf.fill([c], 0.25), false, `bn-test-${id}-mean`),
    movingVariance: tf.variable(tf.fill([c], 2), false, `bn-test-${id}-var`),
  };
}

const CASES: Case[] = [
  { shape: [4, 3, 2, 5], relu: false, residual: false },
  { shape: [3, 2, 2, 4], relu: true, residual: false },
  { shape: [2, 3, 3, 3], relu: true, residual: true },
  { shape: [6, 7], relu: true, residual: false },
  { shape: [5, 3], relu: false, residual: true },
  // the projection head's output BN: [2N, outDim], no beta, no ReLU
  { shape: [8, 5], relu: false, residual: false, center: false },
  { shape: [3, 2, 2, 4], relu: true, residual: true, center: false },
];

describe('batch norm: fused native kernels vs composed ops vs float64', () => {
  beforeAll(async () => {
    await initBackend('tensorflow');
  });

  it('the tensorflow backend offers the fused kernels', () => {
    expect(nativeAvailable()).toBe(true);
  });

  CASES.forEach((cs, ci) => {
    for (const kind of ['fused', 'composed'] as const) {
      it(`${kind} ${JSON.stringify(cs)}: output, running stats, dx, dgamma, dbeta, dresidual`, async () => {
        const center = cs.center ?? true;
        const r = rng(50 + ci);
        const c = cs.shape[cs.shape.length - 1]!;
        const size = cs.shape.reduce((a, b) => a * b, 1);
        // float32-representable inputs so the reference sees exactly what tfjs sees
        const f32 = (n: number, scale: number, shift = 0) => Float64Array.from(Float32Array.from({ length: n }, () => r() * scale + shift));
        const x = f32(size, 6, 1.5);
        const gamma = f32(c, 1, 1);
        // no beta: the reference uses an offset of exactly 0
        const beta = center ? f32(c, 1) : new Float64Array(c);
        const res = cs.residual ? f32(size, 2) : null;
        const up = f32(size, 2);
        const eps = 1e-3;
        const momentum = 0.8;
        const bn = makeBn(c, gamma, center ? beta : null);
        const xv = tf.variable(tf.tensor(Float32Array.from(x), cs.shape), true, `bn-test-x-${ci}-${kind}`);
        const rv = res ? tf.variable(tf.tensor(Float32Array.from(res), cs.shape), true, `bn-test-r-${ci}-${kind}`) : null;
        const upT = tf.tensor(Float32Array.from(up), cs.shape);
        const varList = [xv, bn.gamma, ...(bn.beta ? [bn.beta] : []), ...(rv ? [rv] : [])];
        const before = tf.memory().numTensors;
        let y!: tf.Tensor;
        const { value, grads } = tf.variableGrads(() => {
          const out = batchNorm(xv as tf.Tensor, bn, { training: true, momentum, epsilon: eps, fused: kind === 'fused', relu: cs.relu, residual: rv ?? undefined });
          y = tf.keep(out);
          return tf.sum(tf.mul(out, upT)) as tf.Scalar;
        }, varList);

        const ref = refForward(x, c, gamma, beta, res, cs.relu, eps);
        expectClose(await y.data(), ref.y, 1e-5, 'y');
        // running stats: momentum * old + (1 - momentum) * batch (variance Bessel-corrected)
        const wantMean = Array.from(ref.mean, (m) => momentum * 0.25 + (1 - momentum) * m);
        const wantVar = Array.from(ref.vari, (v) => momentum * 2 + (1 - momentum) * v * (ref.m / (ref.m - 1)));
        expectClose(await bn.movingMean.data(), wantMean, 1e-5, 'moving_mean');
        expectClose(await bn.movingVariance.data(), wantVar, 1e-5, 'moving_variance');

        const loss = (xx: Float64Array, gg: Float64Array = gamma, bb: Float64Array = beta, rr: Float64Array | null = res) => refLoss(xx, c, gg, bb, rr, cs.relu, eps, up);
        expectClose(await grads[xv.name]!.data(), fdGrad((v) => loss(v), x), 1e-4, 'dx');
        expectClose(await grads[bn.gamma.name]!.data(), fdGrad((v) => loss(x, v), gamma), 1e-4, 'dgamma');
        if (bn.beta) expectClose(await grads[bn.beta.name]!.data(), fdGrad((v) => loss(x, gamma, v), beta), 1e-4, 'dbeta');
        // exactly the variables passed in get gradients: a scale-only BN has no offset to train
        expect(Object.keys(grads).sort()).toEqual(varList.map((vv) => vv.name).sort());
        if (rv) expectClose(await grads[rv.name]!.data(), fdGrad((v) => loss(x, gamma, beta, v), res!), 1e-4, 'dresidual');
        tf.dispose([value, y, ...Object.values(grads)]);
        expect(tf.memory().numTensors).toBe(before);

        // eval mode: the running statistics, and nothing updated
        const runMean = Float64Array.from(await bn.movingMean.data());
        const runVar = Float64Array.from(await bn.movingVariance.data());
        const ye = batchNorm(xv as tf.Tensor, bn, { training: false, momentum, epsilon: eps, fused: kind === 'fused', relu: cs.relu, residual: rv ?? undefined });
        const expectedEval = Array.from(x, (v, i) => {
          const k = i % c;
          let o = ((v - runMean[k]!) / Math.sqrt(runVar[k]! + eps)) * gamma[k]! + beta[k]!;
          if (res) o += res[i]!;
          return cs.relu ? Math.max(o, 0) : o;
        });
        expectClose(await ye.data(), expectedEval, 1e-5, 'eval y');
        expectClose(await bn.movingMean.data(), runMean, 0, 'moving_mean after eval');
        tf.dispose([ye, xv, upT, bn.gamma, ...(bn.beta ? [bn.beta] : []), bn.movingMean, bn.movingVariance, ...(rv ? [rv] : [])]);
      });
    }
  });

  it('refuses training mode on a batch of one, saying why', () => {
    const bn = makeBn(2, new Float64Array([1, 1]), new Float64Array([0, 0]));
    expect(() => batchNorm(tf.zeros([1, 2, 2, 2]), bn, { training: true, momentum: 0.9, epsilon: 1e-5, fused: true })).toThrow(/at least 2 samples/);
    tf.dispose([bn.gamma, bn.beta!, bn.movingMean, bn.movingVariance]);
  });
});
