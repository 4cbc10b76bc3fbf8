import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../../src/engine/backend/index.js';
import { createOptimizer, type OptimizerConfigInput, type OptimizerParam } from '../../src/engine/optim/index.js';

// Float64 references written from the papers / reference code, one loop per element.
type Vec = Float64Array;
interface RefParam {
  name: string;
  w: Vec;
  bnOrBias: boolean;
  slots: Vec[];
}

function norm(a: Vec): number {
  let s = 0;
  for (const v of a) s += v * v;
  return Math.sqrt(s);
}

const references = {
  // google-research/simclr tf2/lars_optimizer.py, classic_momentum=True
  lars(p: RefParam, g: Vec, lr: number, c: { momentum: number; weightDecay: number; eeta: number; nesterov: boolean }) {
    const decayed = new Float64Array(g.length);
    for (let i = 0; i < g.length; i++) decayed[i] = p.bnOrBias ? g[i]! : g[i]! + c.weightDecay * p.w[i]!;
    let trust = 1;
    if (!p.bnOrBias) {
      const wn = norm(p.w);
      const gn = norm(decayed);
      if (wn > 0 && gn > 0) trust = (c.eeta * wn) / gn;
    }
    const v = p.slots[0]!;
    for (let i = 0; i < g.length; i++) {
      v[i] = c.momentum * v[i]! + lr * trust * decayed[i]!;
      const update = c.nesterov ? c.momentum * v[i]! + lr * trust * decayed[i]! : v[i]!;
      p.w[i] = p.w[i]! - update;
    }
  },
  // torch.optim.SGD
  sgd(p: RefParam, g: Vec, lr: number, c: { momentum: number; weightDecay: number; nesterov: boolean }) {
    const v = p.slots[0]!;
    for (let i = 0; i < g.length; i++) {
      const d = p.bnOrBias ? g[i]! : g[i]! + c.weightDecay * p.w[i]!;
      v[i] = c.momentum * v[i]! + d;
      p.w[i] = p.w[i]! - lr * (c.nesterov ? d + c.momentum * v[i]! : v[i]!);
    }
  },
  // torch.optim.AdamW
  adamw(p: RefParam, g: Vec, lr: number, t: number, c: { beta1: number; beta2: number; epsilon: number; weightDecay: number }) {
    const [m, v] = p.slots as [Vec, Vec];
    for (let i = 0; i < g.length; i++) {
      if (!p.bnOrBias) p.w[i] = p.w[i]! * (1 - lr * c.weightDecay);
      m[i] = c.beta1 * m[i]! + (1 - c.beta1) * g[i]!;
      v[i] = c.beta2 * v[i]! + (1 - c.beta2) * g[i]! * g[i]!;
      const mh = m[i]! / (1 - c.beta1 ** t);
      const vh = v[i]! / (1 - c.beta2 ** t);
      p.w[i] = p.w[i]! - (lr * mh) / (Math.sqrt(vh) + c.epsilon);
    }
  },
};

function rng(seed: number) {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 32 - 0.5;
  };
}

// A kernel, a zero kernel (|w| = 0: trust ratio 1), a bias and BN gamma/beta.
const SHAPES: { name: string; shape: number[]; bnOrBias: boolean; zero?: boolean }[] = [
  { name: 'enc/conv/kernel', shape: [3, 3, 2, 4], bnOrBias: false },
  { name: 'enc/zero/kernel', shape: [5, 3], bnOrBias: false, zero: true },
  { name: 'head/fc/bias', shape: [6], bnOrBias: true },
  { name: 'enc/bn/gamma', shape: [4], bnOrBias: true },
  { name: 'enc/bn/beta', shape: [4], bnOrBias: true },
];

let setups = 0;
function setup(seed: number, nSlots: number) {
  const r = rng(seed);
  const id = ++setups;
  const tfParams: OptimizerParam[] = [];
  const refParams: RefParam[] = [];
  for (const s of SHAPES) {
    const size = s.shape.reduce((a, b) => a * b, 1);
    const w = new Float64Array(size).map(() => (s.zero ? 0 : r() * 2));
    tfParams.push({ name: s.name, variable: tf.variable(tf.tensor(Float32Array.from(w), s.shape), true, `opt-test-${id}-${s.name}`), bnOrBias: s.bnOrBias });
    // the reference starts from the float32-rounded values the variable holds
    refParams.push({ name: s.name, w: Float64Array.from(Float32Array.from(w)), bnOrBias: s.bnOrBias, slots: Array.from({ length: nSlots }, () => new Float64Array(size)) });
  }
  return { tfParams, refParams, r };
}

function gradsFor(step: number, r: () => number): Float32Array[] {
  return SHAPES.map((s) => {
    const size = s.shape.reduce((a, b) => a * b, 1);
    // at step 2 the bias gets a zero gradient (|g| = 0 must not divide by zero)
    return new Float32Array(size).map(() => (step === 2 && s.name.endsWith('bias') ? 0 : r() * (1 + step)));
  });
}

function expectClose(actual: Float32Array, expected: Vec, what: string) {
  let scale = 0;
  for (const v of expected) scale = Math.max(scale, Math.abs(v));
  for (let i = 0; i < expected.length; i++) {
    const err = Math.abs(actual[i]! - expected[i]!);
    if (err > 2e-6 * scale + 1e-9) throw new Error(`${what}[${i}]: got ${actual[i]}, float64 reference ${expected[i]} (|err| ${err.toExponential(2)})`);
  }
}

const LRS = [0.0, 0.8, 1.7, 0.3, 1.1, 0.05];

interface Case {
  label: string;
  config: OptimizerConfigInput;
  slotNames: string[];
  ref: (p: RefParam, g: Vec, lr: number, t: number) => void;
}

const CASES: Case[] = [
  {
    label: 'LARS (SimCLR defaults)',
    config: { kind: 'lars' },
    slotNames: ['momentum'],
    ref: (p, g, lr) => references.lars(p, g, lr, { momentum: 0.9, weightDecay: 1e-6, eeta: 0.001, nesterov: false }),
  },
  {
    label: 'LARS, large weight decay, Nesterov',
    config: { kind: 'lars', weightDecay: 0.05, eeta: 0.02, momentum: 0.8, nesterov: true },
    slotNames: ['momentum'],
    ref: (p, g, lr) => references.lars(p, g, lr, { momentum: 0.8, weightDecay: 0.05, eeta: 0.02, nesterov: true }),
  },
  {
    label: 'SGD with momentum and weight decay',
    config: { kind: 'sgd', momentum: 0.9, weightDecay: 5e-4 * 40 },
    slotNames: ['momentum'],
    ref: (p, g, lr) => references.sgd(p, g, lr * 0.1, { momentum: 0.9, weightDecay: 0.02, nesterov: false }),
  },
  {
    label: 'SGD Nesterov',
    config: { kind: 'sgd', momentum: 0.7, nesterov: true, weightDecay: 0.01 },
    slotNames: ['momentum'],
    ref: (p, g, lr) => references.sgd(p, g, lr * 0.1, { momentum: 0.7, weightDecay: 0.01, nesterov: true }),
  },
  {
    label: 'AdamW',
    config: { kind: 'adamw', weightDecay: 0.1 },
    slotNames: ['adam_m', 'adam_v'],
    ref: (p, g, lr, t) => references.adamw(p, g, lr * 0.01, t, { beta1: 0.9, beta2: 0.999, epsilon: 1e-8, weightDecay: 0.1 }),
  },
];

describe('optimisers against float64 references, step by step', () => {
  beforeAll(async () => {
    await initBackend('tensorflow');
  });

  CASES.forEach((c, ci) => {
    it(`${c.label}: parameters and slots after each of ${LRS.length} steps`, async () => {
      const { tfParams, refParams, r } = setup(100 + ci, c.slotNames.length);
      const opt = createOptimizer(c.config, tfParams);
      const lrScale = c.config.kind === 'sgd' ? 0.1 : c.config.kind === 'adamw' ? 0.01 : 1;
      const initialKernel = (await tfParams[0]!.variable.data())[0]!;
      const before = tf.memory().numTensors;
      for (let step = 0; step < LRS.length; step++) {
        const gs = gradsFor(step, r);
        // grads keyed by the tf.Variable name, as tf.variableGrads returns them
        const grads: tf.NamedTensorMap = {};
        tfParams.forEach((p, i) => (grads[p.variable.name] = tf.tensor(gs[i]!, p.variable.shape)));
        opt.apply(grads, LRS[step]! * lrScale);
        tf.dispose(Object.values(grads));
        refParams.forEach((p, i) => c.ref(p, Float64Array.from(gs[i]!), LRS[step]!, step + 1));
        const state = opt.getState();
        for (let i = 0; i < tfParams.length; i++) {
          expectClose(await tfParams[i]!.variable.data<'float32'>(), refParams[i]!.w, `step ${step} ${refParams[i]!.name}`);
          for (let s = 0; s < c.slotNames.length; s++) {
            expectClose(await state[`${c.slotNames[s]}/${refParams[i]!.name}`]!.data<'float32'>(), refParams[i]!.slots[s]!, `step ${step} ${c.slotNames[s]}/${refParams[i]!.name}`);
          }
        }
        expect((await state.steps!.data())[0]).toBe(step + 1);
        tf.dispose(Object.values(state));
        expect(tf.memory().numTensors).toBe(before);
      }
      // the steps must actually move the kernel (agreement is not because nothing changed)
      expect(Math.abs((await tfParams[0]!.variable.data())[0]! - initialKernel)).toBeGreaterThan(1e-5);
      opt.dispose();
      tfParams.forEach((p) => p.variable.dispose());
    });
  });

  it('LARS moves a kernel by about eeta * lr * |w| per step (trust ratio on the decayed gradient)', async () => {
    const w = tf.variable(tf.fill([10, 10], 0.5), true, 'lars-ratio-w');
    const opt = createOptimizer({ kind: 'lars', momentum: 0 }, [{ name: 'k', variable: w, bnOrBias: false }]);
    const g = tf.fill([10, 10], 123.0);
    opt.apply({ k: g }, 2);
    const after = (await w.data())[0]!;
    // |w| = 5, |g + wd w| = 1230 + tiny; step = lr * eeta * |w| / |g'| * g' = 2 * 0.001 * 5 / 10 per element
    expect(0.5 - after).toBeCloseTo(2 * 0.001 * 0.5, 6);
    tf.dispose([w, g]);
    opt.dispose();
  });

  it('state round-trips: a fresh optimiser given getState() continues identically', async () => {
    const a = setup(7, 1);
    const b = setup(7, 1);
    const optA = createOptimizer({ kind: 'lars', nesterov: true }, a.tfParams);
    const step = (opt: typeof optA, params: OptimizerParam[], s: number, r: () => number) => {
      const gs = gradsFor(s, r);
      const grads: tf.NamedTensorMap = {};
      params.forEach((p, i) => (grads[p.name] = tf.tensor(gs[i]!, p.variable.shape)));
      opt.apply(grads, 0.5 + s);
      tf.dispose(Object.values(grads));
    };
    for (let s = 0; s < 3; s++) step(optA, a.tfParams, s, a.r);
    // copy weights and optimiser state into b
    b.tfParams.forEach((p, i) => p.variable.assign(a.tfParams[i]!.variable));
    const state = optA.getState();
    const optB = createOptimizer({ kind: 'lars', nesterov: true }, b.tfParams);
    await optB.setState(state);
    tf.dispose(Object.values(state));
    expect(optB.steps).toBe(3);
    const rb = rng(999);
    const ra = rng(999);
    for (let s = 3; s < 5; s++) {
      step(optA, a.tfParams, s, ra);
      step(optB, b.tfParams, s, rb);
    }
    for (let i = 0; i < a.tfParams.length; i++) {
      expect(Array.from(await b.tfParams[i]!.variable.data())).toEqual(Array.from(await a.tfParams[i]!.variable.data()));
    }
    optA.dispose();
    optB.dispose();
    [...a.tfParams, ...b.tfParams].forEach((p) => p.variable.dispose());
  });

  it('setState names what is wrong with a state from another optimiser or model', async () => {
    const a = setup(8, 1);
    const lars = createOptimizer({ kind: 'lars' }, a.tfParams);
    const adam = createOptimizer({ kind: 'adamw' }, a.tfParams);
    const state = lars.getState();
    await expect(adam.setState(state)).rejects.toThrow(/missing adam_m\/enc\/conv\/kernel/);
    const extra = { ...state, 'momentum/enc/other/kernel': tf.zeros([1]) };
    await expect(lars.setState(extra)).rejects.toThrow(/unknown momentum\/enc\/other\/kernel/);
    extra['momentum/enc/other/kernel'].dispose();
    const bad = { ...state, 'momentum/enc/bn/gamma': tf.zeros([5]) };
    await expect(lars.setState(bad)).rejects.toThrow(/momentum\/enc\/bn\/gamma has shape \[5\], expected \[4\]/);
    tf.dispose([...Object.values(state), bad['momentum/enc/bn/gamma']]);
    lars.dispose();
    adam.dispose();
    a.tfParams.forEach((p) => p.variable.dispose());
  });

  it('rejects bad configs and learning rates with the field named', () => {
    expect(() => createOptimizer({ kind: 'lars', momentum: 2 } as OptimizerConfigInput, [])).toThrow(/optimizer\.momentum/);
    expect(() => createOptimizer({ kind: 'rmsprop' } as unknown as OptimizerConfigInput, [])).toThrow(/kind is one of lars, sgd, adamw/);
    const opt = createOptimizer({ kind: 'sgd' }, []);
    expect(() => opt.apply({}, Number.NaN)).toThrow(/learning rate/);
  });
});
