import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../../src/engine/backend/index.js';
import { createModel } from '../../src/engine/models/index.js';
import { createOptimizer } from '../../src/engine/optim/index.js';
import { images, readAll, readWeights, relErr, shrinkResidualBranches, simclrGrads } from './support.js';

const TINY = { arch: 'resnet18', width: 0.125, projection: { outDim: 16 } } as const;

describe('model behaviour (tensorflow backend)', () => {
  beforeAll(async () => {
    await initBackend('tensorflow');
  });

  it('same seed -> identical weights and outputs; another seed -> different weights', async () => {
    const a = createModel(TINY, 42);
    const b = createModel(TINY, 42);
    const c = createModel(TINY, 43);
    const wa = await readWeights(a);
    const wb = await readWeights(b);
    const wc = await readWeights(c);
    for (const k of Object.keys(wa)) expect(wb[k]).toEqual(wa[k]);
    expect(wc['encoder/layer1.0/conv1/kernel']).not.toEqual(wa['encoder/layer1.0/conv1/kernel']);
    const x = images(6, 16, 1);
    const za = a.forward(x, true);
    const zb = b.forward(x, true);
    expect(await za.z.data()).toEqual(await zb.z.data());
    tf.dispose([x, za.h, za.z, zb.h, zb.z]);
    [a, b, c].forEach((m) => m.dispose());
  });

  it('adding a classifier head does not change the encoder initialisation', async () => {
    const a = createModel(TINY, 5);
    const b = createModel({ ...TINY, numClasses: 10 }, 5);
    const wa = a.getWeights();
    const wb = b.getWeights();
    expect(await wb['encoder/layer3.1/conv2/kernel']!.data()).toEqual(await wa['encoder/layer3.1/conv2/kernel']!.data());
    tf.dispose([...Object.values(wa), ...Object.values(wb)]);
    a.dispose();
    b.dispose();
  });

  it('training mode uses batch statistics and moves the running stats; eval mode uses and keeps them', async () => {
    const m = createModel(TINY, 1);
    const x = images(8, 16, 2);
    const mean = () => m.params.find((p) => p.name === 'encoder/stem/bn/moving_mean')!.variable.data();
    const m0 = await mean();
    expect(Array.from(m0).every((v) => v === 0)).toBe(true);
    const e1 = m.encode(x, false);
    expect(await mean()).toEqual(m0);
    const t1 = m.encode(x, true);
    const m1 = await mean();
    expect(Array.from(m1).some((v) => v !== 0)).toBe(true);
    const e2 = m.encode(x, false);
    // eval output changed because the running stats did; train output differs from eval output
    expect(relErr(await e2.data(), await e1.data())).toBeGreaterThan(1e-3);
    expect(relErr(await t1.data(), await e2.data())).toBeGreaterThan(1e-3);
    tf.dispose([x, e1, t1, e2]);
    m.dispose();
  });

  it('getWeights/setWeights round-trip every variable, including BN running stats', async () => {
    const a = createModel(TINY, 1);
    const x = images(8, 16, 3);
    tf.dispose(a.encode(x, true)); // move running stats away from their init
    const b = createModel(TINY, 2);
    const w = a.getWeights();
    expect(Object.keys(w)).toContain('encoder/layer2.0/shortcut/bn/moving_variance');
    b.setWeights(w);
    tf.dispose(Object.values(w));
    for (const training of [false, true]) {
      const ya = a.forward(x, training);
      const yb = b.forward(x, training);
      expect(await yb.z.data()).toEqual(await ya.z.data());
      tf.dispose([ya.h, ya.z, yb.h, yb.z]);
    }
    tf.dispose(x);
    a.dispose();
    b.dispose();
  });

  it('setWeights refuses a wrong shape, missing or unknown names before changing anything', async () => {
    const m = createModel(TINY, 1);
    const w = m.getWeights();
    const before = await w['encoder/stem/conv/kernel']!.data();
    const wrong = { ...w, 'encoder/stem/conv/kernel': tf.zeros([3, 3, 3, 9]) };
    expect(() => m.setWeights({ ...wrong, 'projection/fc1/kernel': tf.zeros([64, 64]) })).toThrow(/encoder\/stem\/conv\/kernel has shape \[3, 3, 3, 9\], the model expects \[3, 3, 3, 8\]/);
    const { ['projection/bn2/gamma']: _drop, ...missing } = w;
    expect(() => m.setWeights(missing)).toThrow(/missing 1 variable\(s\): projection\/bn2\/gamma/);
    expect(() => m.setWeights({ ...w, 'head/extra': tf.zeros([1]) })).toThrow(/unknown variable head\/extra/);
    // the lenient options: load an encoder only, ignore other names
    m.setWeights({ 'encoder/stem/conv/kernel': tf.zeros([3, 3, 3, 8]), 'other/thing': tf.zeros([2]) }, { allowMissing: true, ignoreUnknown: true });
    const after = await m.params.find((p) => p.name === 'encoder/stem/conv/kernel')!.variable.data();
    expect(Array.from(after).every((v) => v === 0)).toBe(true);
    expect(before.length).toBe(after.length);
    tf.dispose([...Object.values(w), wrong['encoder/stem/conv/kernel']]);
    m.dispose();
  });

  it('weights of the older head (fc2 bias, no output BN) load only into a model without the output BN, and the error says so', async () => {
    const olderCfg = { ...TINY, projection: { outDim: 16, outputBatchNorm: false } } as const;
    const older = createModel(olderCfg, 3);
    const w = older.getWeights();
    const current = createModel(TINY, 3);
    expect(() => current.setWeights(w)).toThrow(/unknown variable projection\/fc2\/bias.*missing 3 variable\(s\): projection\/bn2\/gamma.*build the model with projection\.outputBatchNorm = false/);
    const back = createModel(olderCfg, 4);
    back.setWeights(w);
    const x = images(6, 16, 8);
    const a = older.forward(x, false);
    const b = back.forward(x, false);
    expect(await b.z.data()).toEqual(await a.z.data());
    const nw = current.getWeights();
    expect(() => back.setWeights(nw)).toThrow(/projection\.outputBatchNorm = true/);
    tf.dispose([x, a.h, a.z, b.h, b.z, ...Object.values(w), ...Object.values(nw)]);
    [older, current, back].forEach((m) => m.dispose());
  });

  it('the output batch norm standardises each dimension of z over the batch in training mode (z = gamma * zhat)', async () => {
    const m = createModel(TINY, 6);
    const x = images(12, 16, 9);
    const gamma = Float32Array.from({ length: 16 }, (_, i) => 0.5 + i / 8);
    const g = tf.tensor1d(gamma);
    m.setWeights({ 'projection/bn2/gamma': g }, { allowMissing: true });
    const { h, z } = m.forward(x, true);
    const rows = (await z.array()) as number[][];
    for (let j = 0; j < 16; j++) {
      const col = rows.map((r) => r[j]!);
      const mean = col.reduce((s, v) => s + v, 0) / col.length;
      const variance = col.reduce((s, v) => s + (v - mean) ** 2, 0) / col.length;
      expect(Math.abs(mean)).toBeLessThan(1e-5);
      // biased batch variance of gamma * xhat is gamma^2 * var / (var + eps), ~gamma^2
      expect(Math.abs(Math.sqrt(variance) - gamma[j]!)).toBeLessThan(1e-3 * gamma[j]!);
    }
    // eval mode: the running statistics (moved once from 0/1 towards the batch's)
    const w = await readWeights(m);
    expect(Array.from(w['projection/bn2/moving_mean']!).some((v) => v !== 0)).toBe(true);
    const e = m.forward(x, false);
    const hz = tf.tidy(() => {
      const raw = tf.matMul(tf.relu(tf.batchNorm(tf.matMul(e.h, tf.tensor2d(w['projection/fc1/kernel']!, [64, 64])), w['projection/bn1/moving_mean']!, w['projection/bn1/moving_variance']!, w['projection/bn1/beta']!, w['projection/bn1/gamma']!, 1e-5)), tf.tensor2d(w['projection/fc2/kernel']!, [64, 16]));
      return tf.batchNorm(raw, w['projection/bn2/moving_mean']!, w['projection/bn2/moving_variance']!, undefined, w['projection/bn2/gamma']!, 1e-5);
    });
    expect(relErr(await e.z.data(), await hz.data())).toBeLessThan(1e-5);
    tf.dispose([x, g, h, z, e.h, e.z, hz]);
    m.dispose();
  });

  it('zeroInitResidual: the last BN gamma of every residual branch starts at 0, the others at 1', async () => {
    for (const [arch, last] of [['resnet18', 'bn2'], ['resnet50', 'bn3']] as const) {
      const m = createModel({ arch, width: 0.0625, projection: { outDim: 8 }, zeroInitResidual: true }, 1);
      const w = await readWeights(m);
      const gammas = Object.keys(w).filter((n) => n.endsWith('/gamma'));
      const zeroed = gammas.filter((n) => /^encoder\/layer\d\.\d+\//.test(n) && n.endsWith(`/${last}/gamma`));
      expect(zeroed).toHaveLength(arch === 'resnet18' ? 8 : 16);
      for (const n of gammas) expect(Array.from(w[n]!).every((v) => v === (zeroed.includes(n) ? 0 : 1)), n).toBe(true);
      m.dispose();
    }
    const plain = createModel(TINY, 1);
    expect(Array.from(await plain.params.find((p) => p.name === 'encoder/layer1.0/bn2/gamma')!.variable.data()).every((v) => v === 1)).toBe(true);
    plain.dispose();
  });

  it('zeroInitResidual: at init every block is its shortcut (identity blocks pass x through), branch convs get no gradient', async () => {
    const cfg = { ...TINY, zeroInitResidual: true } as const;
    const m = createModel(cfg, 2);
    const x = images(8, 16, 10);
    const w = await readWeights(m);
    // the encoder by hand from the stem and the projection shortcuts only (eval mode, running stats)
    const expected = tf.tidy(() => {
      const bn = (y: tf.Tensor4D, p: string) => tf.batchNorm4d(y, w[`${p}/moving_mean`]!, w[`${p}/moving_variance`]!, w[`${p}/beta`]!, w[`${p}/gamma`]!, 1e-5);
      const kernel = (p: string) => {
        const spec = m.plan.params.find((q) => q.name === `${p}/kernel`)!;
        return tf.tensor4d(w[`${p}/kernel`]!, spec.shape as [number, number, number, number]);
      };
      let y = tf.relu(bn(tf.conv2d(x, kernel('encoder/stem/conv'), 1, 'same'), 'encoder/stem/bn'));
      for (const b of m.plan.encoder.blocks) {
        if (b.shortcut) y = tf.relu(bn(tf.conv2d(y, kernel(b.shortcut.conv.name), b.shortcut.conv.stride, 'same'), b.shortcut.bn.name));
      }
      return tf.mean(y, [1, 2]);
    });
    const h = m.encode(x, false);
    expect(relErr(await h.data(), await expected.data())).toBeLessThan(1e-6);

    // training mode too: other branch kernels change nothing, and the branch convs' gradients are exactly 0
    const other = createModel(cfg, 3);
    const branch = (n: string) => /^encoder\/layer\d\.\d+\/conv\d\/kernel$/.test(n);
    const ow = other.getWeights();
    const mw = m.getWeights();
    other.setWeights({ ...mw, ...Object.fromEntries(Object.entries(ow).filter(([n]) => branch(n))) });
    tf.dispose([...Object.values(ow), ...Object.values(mw)]);
    const a = simclrGrads(m, x);
    const b = simclrGrads(other, x);
    expect((await b.loss.data())[0]).toBe((await a.loss.data())[0]);
    const ga = await readAll(a.grads);
    const branchNames = Object.keys(ga).filter(branch);
    expect(branchNames).toHaveLength(16);
    for (const n of branchNames) expect(Array.from(ga[n]!).every((v) => v === 0), n).toBe(true);
    // ... while the zeroed gammas do get a gradient, so the branches start learning
    expect(Array.from(ga['encoder/layer1.0/bn2/gamma']!).some((v) => v !== 0)).toBe(true);
    tf.dispose([x, h, expected, a.loss, b.loss, ...Object.values(a.grads), ...Object.values(b.grads)]);
    m.dispose();
    other.dispose();
  });

  it('fused and composed kernels agree on a full SimCLR forward/backward (loss, every gradient, running stats)', async () => {
    const bottleneck = { arch: 'resnet50', width: 0.0625, projection: { outDim: 16 } } as const;
    const olderHead = { ...TINY, projection: { outDim: 16, outputBatchNorm: false } } as const;
    for (const cfg of [TINY, bottleneck, olderHead]) {
      const fused = createModel(cfg, 9, { kernels: 'fused' });
      const composed = createModel(cfg, 9, { kernels: 'composed' });
      expect(fused.kernels()).toBe('fused');
      expect(composed.kernels()).toBe('composed');
      shrinkResidualBranches(fused);
      shrinkResidualBranches(composed);
      const x = images(16, 16, 4);
      const f = simclrGrads(fused, x);
      const c = simclrGrads(composed, x);
      expect(Math.abs((await f.loss.data())[0]! - (await c.loss.data())[0]!)).toBeLessThan(1e-4);
      const gf = await readAll(f.grads);
      const gc = await readAll(c.grads);
      for (const k of Object.keys(gc)) expect(relErr(gf[k]!, gc[k]!), k).toBeLessThan(1e-3);
      const wf = await readWeights(fused);
      const wc = await readWeights(composed);
      for (const k of Object.keys(wc).filter((n) => n.includes('moving'))) expect(relErr(wf[k]!, wc[k]!), k).toBeLessThan(1e-4);
      tf.dispose([x, f.loss, c.loss, ...Object.values(f.grads), ...Object.values(c.grads)]);
      fused.dispose();
      composed.dispose();
    }
  });

  it('repeated training steps (forward, NT-Xent, backward, LARS) keep the tensor count constant', () => {
    for (const kernels of ['fused', 'composed'] as const) {
      const m = createModel(TINY, 3, { kernels });
      const opt = createOptimizer({ kind: 'lars' }, m.trainableParams());
      const x = images(8, 16, 5);
      const step = () => {
        const { loss, grads } = simclrGrads(m, x);
        opt.apply(
          Object.fromEntries(m.trainableParams().map((p) => [p.variable.name, grads[p.name]!])),
          0.5,
        );
        tf.dispose([loss, ...Object.values(grads)]);
      };
      step();
      const count = tf.memory().numTensors;
      for (let i = 0; i < 3; i++) {
        step();
        expect(tf.memory().numTensors).toBe(count);
      }
      x.dispose();
      opt.dispose();
      m.dispose();
    }
  });
});
