import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../../src/engine/backend/index.js';
import { countParams, createModel, planModel } from '../../src/engine/models/index.js';
import { MODEL_PRESETS, parseModelConfig, resolveModelConfig, stemForImageSize } from '../../src/shared/model-config.js';
import { images } from './support.js';

const plan = (input: Parameters<typeof parseModelConfig>[0]) => planModel(parseModelConfig(input));

describe('parameter counts against the published architectures', () => {
  // torchvision resnet18/34/50 totals minus their 1000-way fc (11,689,512 - 513,000; 21,797,672 - 513,000;
  // 25,557,032 - 2,049,000); the CIFAR stem swaps the 7x7x3x64 conv (9,408) for 3x3x3x64 (1,728).
  it.each([
    ['resnet18', 'imagenet', 11_176_512],
    ['resnet18', 'cifar', 11_168_832],
    ['resnet34', 'imagenet', 21_284_672],
    ['resnet50', 'imagenet', 23_508_032],
    ['resnet50', 'cifar', 23_500_352],
  ] as const)('%s with the %s stem: encoder has %d parameters', (arch, stem, n) => {
    expect(countParams(plan({ arch, stem }), ['encoder'])).toBe(n);
  });

  it('projection head Linear(512,512, no bias)-BN-ReLU-Linear(512,128, no bias)-BN(gamma only) and a 10-way classifier', () => {
    const p = plan({ arch: 'resnet18', numClasses: 10 });
    // fc1 kernel, bn1 gamma + beta, fc2 kernel, bn2 gamma (no beta, no fc2 bias)
    expect(countParams(p, ['projection'])).toBe(512 * 512 + 2 * 512 + 512 * 128 + 128);
    expect(countParams(p, ['classifier'])).toBe(512 * 10 + 10);
    const names = (q: typeof p) => q.params.filter((x) => x.group === 'projection').map((x) => `${x.name}:${x.role}`);
    expect(names(p)).toEqual([
      'projection/fc1/kernel:kernel',
      'projection/bn1/gamma:bn_gamma',
      'projection/bn1/beta:bn_beta',
      'projection/bn1/moving_mean:bn_mean',
      'projection/bn1/moving_variance:bn_variance',
      'projection/fc2/kernel:kernel',
      'projection/bn2/gamma:bn_gamma',
      'projection/bn2/moving_mean:bn_mean',
      'projection/bn2/moving_variance:bn_variance',
    ]);
    expect(p.params.find((x) => x.name === 'projection/bn2/gamma')!.shape).toEqual([128]);
    const wide = plan({ arch: 'resnet50', projection: { hiddenDim: 256, outDim: 64 } });
    expect(countParams(wide, ['projection'])).toBe(2048 * 256 + 2 * 256 + 256 * 64 + 64);
  });

  it('without the output batch norm: Linear(512,512, no bias)-BN-ReLU-Linear(512,128, bias), the older head', () => {
    const p = plan({ arch: 'resnet18', projection: { outDim: 128, outputBatchNorm: false } });
    expect(countParams(p, ['projection'])).toBe(512 * 512 + 2 * 512 + 512 * 128 + 128);
    const proj = p.params.filter((x) => x.group === 'projection').map((x) => x.name);
    expect(proj).toContain('projection/fc2/bias');
    expect(proj.some((n) => n.startsWith('projection/bn2/'))).toBe(false);
    expect(p.heads.projection.bn2).toBeNull();
    const wide = plan({ arch: 'resnet50', projection: { hiddenDim: 256, outDim: 64, outputBatchNorm: false } });
    expect(countParams(wide, ['projection'])).toBe(2048 * 256 + 2 * 256 + 256 * 64 + 64);
    // the encoder is the same either way
    expect(countParams(p, ['encoder'])).toBe(countParams(plan({ arch: 'resnet18' }), ['encoder']));
  });

  it('the width multiplier scales every conv (ResNet-18 x0.25 = 16/32/64/128 channels)', () => {
    // count by hand for widths c = 16, 32, 64, 128: stem 3x3x3xc + BN, two basic blocks per stage,
    // a 1x1 projection shortcut + BN at the first block of stages 2-4
    const c = [16, 32, 64, 128];
    let n = 27 * 16 + 2 * 16;
    let cin = 16;
    for (const co of c) {
      for (let b = 0; b < 2; b++) {
        n += 9 * cin * co + 2 * co + 9 * co * co + 2 * co;
        if (cin !== co) n += cin * co + 2 * co;
        cin = co;
      }
    }
    const tiny = plan(MODEL_PRESETS.tiny);
    expect(countParams(tiny, ['encoder'])).toBe(n);
    expect(tiny.encoder.featureDim).toBe(128);
    expect(plan(MODEL_PRESETS.small).encoder.featureDim).toBe(256);
    expect(plan(MODEL_PRESETS.paper).encoder.featureDim).toBe(2048);
  });
});

describe('model config', () => {
  it('presets resolve to the documented architectures', () => {
    expect(resolveModelConfig('tiny')).toMatchObject({ arch: 'resnet18', width: 0.25, stem: 'cifar', bnMomentum: 0.9, projection: { outDim: 128, outputBatchNorm: true } });
    // a bare model config keeps residual branches at the usual init; the SimCLR training config turns zero-init on
    expect(parseModelConfig({}).zeroInitResidual).toBe(false);
    expect(parseModelConfig({ projection: { outDim: 64 } }).projection.outputBatchNorm).toBe(true);
    expect(resolveModelConfig('paper', { stem: 'imagenet' })).toMatchObject({ arch: 'resnet50', width: 1, stem: 'imagenet' });
    expect(stemForImageSize(32)).toBe('cifar');
    expect(stemForImageSize(224)).toBe('imagenet');
  });
  it('bad configs are refused with the field named', () => {
    expect(() => parseModelConfig({ arch: 'resnet101' })).toThrow(/model\.arch/);
    expect(() => parseModelConfig({ width: -1 })).toThrow(/model\.width/);
    expect(() => parseModelConfig({ projection: { outDim: 0 } })).toThrow(/model\.projection\.outDim/);
    expect(() => resolveModelConfig('huge' as 'tiny')).toThrow(/preset "huge" is unknown/);
  });
});

describe('allocated models', () => {
  beforeAll(async () => {
    await initBackend('tensorflow');
  });

  it('names, roles and the LARS exclusion flag', () => {
    const m = createModel({ arch: 'resnet18', width: 0.125, numClasses: 3 }, 1);
    const byName = new Map(m.params.map((p) => [p.name, p]));
    expect(byName.get('encoder/stem/conv/kernel')!.variable.shape).toEqual([3, 3, 3, 8]);
    expect(byName.get('encoder/layer1.0/conv1/kernel')).toMatchObject({ role: 'kernel', bnOrBias: false, trainable: true, group: 'encoder' });
    expect(byName.get('encoder/layer2.0/shortcut/conv/kernel')!.variable.shape).toEqual([1, 1, 8, 16]);
    expect(byName.get('encoder/layer4.1/bn2/gamma')).toMatchObject({ role: 'bn_gamma', bnOrBias: true, trainable: true });
    expect(byName.get('encoder/layer4.1/bn2/moving_variance')).toMatchObject({ role: 'bn_variance', trainable: false });
    expect(byName.has('projection/fc2/bias')).toBe(false);
    expect(byName.has('projection/bn2/beta')).toBe(false);
    expect(byName.get('projection/bn2/gamma')).toMatchObject({ role: 'bn_gamma', bnOrBias: true, trainable: true, group: 'projection' });
    expect(byName.get('projection/bn2/moving_mean')).toMatchObject({ role: 'bn_mean', trainable: false, group: 'projection' });
    expect(byName.get('projection/bn2/gamma')!.variable.shape).toEqual([128]);
    expect(byName.get('classifier/kernel')!.variable.shape).toEqual([64, 3]);
    expect(m.trainableVariables(['classifier'])).toHaveLength(2);
    const allocated = m.trainableParams().reduce((s, p) => s + p.variable.size, 0);
    expect(allocated).toBe(m.numParams());
    m.dispose();

    const old = createModel({ arch: 'resnet18', width: 0.125, projection: { outDim: 16, outputBatchNorm: false } }, 1);
    const oldNames = new Map(old.params.map((p) => [p.name, p]));
    expect(oldNames.get('projection/fc2/bias')).toMatchObject({ role: 'bias', bnOrBias: true, group: 'projection' });
    expect([...oldNames.keys()].some((n) => n.startsWith('projection/bn2/'))).toBe(false);
    expect(old.trainableParams().reduce((s, p) => s + p.variable.size, 0)).toBe(old.numParams());
    old.dispose();
  });

  it('ResNet-50 (paper preset) allocates 23.5M encoder parameters and He-initialised kernels', async () => {
    const m = createModel(MODEL_PRESETS.paper, 0);
    expect(m.numParams(['encoder'])).toBe(23_500_352);
    expect(m.trainableParams(['encoder']).reduce((s, p) => s + p.variable.size, 0)).toBe(23_500_352);
    // He normal over fan-out: std = sqrt(2 / (3 * 3 * 512)) for a layer4 3x3 conv
    const k = m.params.find((p) => p.name === 'encoder/layer4.0/conv2/kernel')!.variable;
    const v = await k.data();
    let s2 = 0;
    for (const x of v) s2 += x * x;
    expect(Math.sqrt(s2 / v.length)).toBeCloseTo(Math.sqrt(2 / (9 * 512)), 3);
    m.dispose();
  });

  const shapes = [
    { arch: 'resnet18', width: 0.25, stem: 'cifar', size: 32, h: 128 },
    { arch: 'resnet34', width: 0.125, stem: 'cifar', size: 16, h: 64 },
    { arch: 'resnet50', width: 0.0625, stem: 'cifar', size: 16, h: 128 },
    { arch: 'resnet18', width: 0.125, stem: 'imagenet', size: 64, h: 64 },
    { arch: 'resnet50', width: 0.0625, stem: 'imagenet', size: 48, h: 128 },
  ] as const;
  for (const s of shapes) {
    it(`${s.arch} x${s.width} ${s.stem} stem on ${s.size}px: h [B, ${s.h}], z [B, 32], logits [B, 5], train and eval`, () => {
      const m = createModel({ arch: s.arch, width: s.width, stem: s.stem, projection: { outDim: 32 }, numClasses: 5 }, 2);
      const x = images(4, s.size, 3);
      for (const training of [true, false]) {
        const { h, z } = m.forward(x, training);
        const logits = m.classify(h);
        expect(h.shape).toEqual([4, s.h]);
        expect(z.shape).toEqual([4, 32]);
        expect(logits.shape).toEqual([4, 5]);
        expect(Number.isFinite(tf.tidy(() => tf.sum(z).dataSync()[0]!))).toBe(true);
        tf.dispose([h, z, logits]);
      }
      x.dispose();
      m.dispose();
    });
  }

  it('bad inputs are refused with the expected shape', () => {
    const m = createModel(MODEL_PRESETS.tiny, 0);
    const gray = tf.zeros([2, 32, 32, 1]) as tf.Tensor4D;
    expect(() => m.encode(gray, false)).toThrow(/3 channels, got shape \[2, 32, 32, 1\]/);
    const ints = tf.zeros([2, 32, 32, 3], 'int32') as tf.Tensor4D;
    expect(() => m.encode(ints, false)).toThrow(/float32/);
    expect(() => m.classify(tf.zeros([2, 128]) as tf.Tensor2D)).toThrow(/no classifier head/);
    tf.dispose([gray, ints]);
    m.dispose();
    expect(() => m.getWeights()).toThrow(/after dispose/);
  });
});
