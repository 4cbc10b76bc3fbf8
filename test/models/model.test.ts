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
    const { ['projection/fc2/bias']: _drop, ...missing } = w;
    expect(() => m.setWeights(missing)).toThrow(/missing 1 variable\(s\): projection\/fc2\/bias/);
    expect(() => m.setWeights({ ...w, 'head/extra': tf.zeros([1]) })).toThrow(/unknown variable head\/extra/);
    // the lenient options: load an encoder only, ignore other names
    m.setWeights({ 'encoder/stem/conv/kernel': tf.zeros([3, 3, 3, 8]), 'other/thing': tf.zeros([2]) }, { allowMissing: true, ignoreUnknown: true });
    const after = await m.params.find((p) => p.name === 'encoder/stem/conv/kernel')!.variable.data();
    expect(Array.from(after).every((v) => v === 0)).toBe(true);
    expect(before.length).toBe(after.length);
    tf.dispose([...Object.values(w), wrong['encoder/stem/conv/kernel']]);
    m.dispose();
  });

  it('fused and composed kernels agree on a full SimCLR forward/backward (loss, every gradient, running stats)', async () => {
    const bottleneck = { arch: 'resnet50', width: 0.0625, projection: { outDim: 16 } } as const;
    for (const cfg of [TINY, bottleneck]) {
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
