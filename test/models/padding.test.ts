import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../../src/engine/backend/index.js';
import { nativeAvailable, planModel, residualBlock, stemLayer, type BlockVars, type BnVars } from '../../src/engine/models/index.js';
import type { BlockPlan, BnSpec, ConvSpec } from '../../src/engine/models/index.js';
import { parseModelConfig, type ConvPadding } from '../../src/shared/model-config.js';

/**
 * One BasicBlock, one Bottleneck (both stride 2, with their 1x1 shortcut) and
 * the ImageNet stem (7x7/2 conv + 3x3/2 max-pool) against a float64
 * computation written here from the definitions: direct convolution loops with
 * floor((k-1)/2) zeros on each side (PyTorch padding=k//2), batch norm, ReLU.
 * Inputs have even sides, where TensorFlow 'SAME' would pad 0 before and 1
 * after and put the 3x3 branch half a pixel off its shortcut.
 */

/** NHWC float64 tensor */
interface Arr {
  shape: [number, number, number, number];
  data: Float64Array;
}

let seed = 12345;
function rnd(): number {
  seed = (Math.imul(seed, 1664525) + 1013904223) >>> 0;
  return seed / 2 ** 32;
}
const randArr = (shape: Arr['shape'], lo = -1, hi = 1): Arr => ({ shape, data: Float64Array.from({ length: shape.reduce((a, b) => a * b) }, () => lo + (hi - lo) * rnd()) });
const idx = ([, h, w, c]: Arr['shape'], n: number, y: number, x: number, ch: number) => ((n * h + y) * w + x) * c + ch;

/** direct convolution, kernel HWIO [k, k, cin, cout], zero padding p on every side */
function refConv(x: Arr, kernel: Float64Array, k: number, cout: number, stride: number): Arr {
  const [n, h, w, cin] = x.shape;
  const p = Math.floor((k - 1) / 2);
  const oh = Math.floor((h + 2 * p - k) / stride) + 1;
  const ow = Math.floor((w + 2 * p - k) / stride) + 1;
  const out: Arr = { shape: [n, oh, ow, cout], data: new Float64Array(n * oh * ow * cout) };
  for (let b = 0; b < n; b++)
    for (let oy = 0; oy < oh; oy++)
      for (let ox = 0; ox < ow; ox++)
        for (let co = 0; co < cout; co++) {
          let s = 0;
          for (let ky = 0; ky < k; ky++)
            for (let kx = 0; kx < k; kx++) {
              const iy = oy * stride + ky - p;
              const ix = ox * stride + kx - p;
              if (iy < 0 || iy >= h || ix < 0 || ix >= w) continue;
              for (let ci = 0; ci < cin; ci++) s += x.data[idx(x.shape, b, iy, ix, ci)]! * kernel[((ky * k + kx) * cin + ci) * cout + co]!;
            }
          out.data[idx(out.shape, b, oy, ox, co)] = s;
        }
  return out;
}

interface RefBn {
  gamma: Float64Array;
  beta: Float64Array;
  mean: Float64Array;
  variance: Float64Array;
}
const EPS = 1e-5;

/** batch norm per channel: the batch's mean and (biased) variance when training, else the running ones */
function refBn(x: Arr, bn: RefBn, training: boolean): Arr {
  const c = x.shape[3];
  const count = x.data.length / c;
  const mean = new Float64Array(c);
  const variance = new Float64Array(c);
  if (training) {
    x.data.forEach((v, i) => (mean[i % c]! += v / count));
    x.data.forEach((v, i) => (variance[i % c]! += (v - mean[i % c]!) ** 2 / count));
  } else {
    mean.set(bn.mean);
    variance.set(bn.variance);
  }
  return { shape: x.shape, data: x.data.map((v, i) => bn.gamma[i % c]! * ((v - mean[i % c]!) / Math.sqrt(variance[i % c]! + EPS)) + bn.beta[i % c]!) };
}
const refRelu = (x: Arr): Arr => ({ shape: x.shape, data: x.data.map((v) => Math.max(v, 0)) });
const refAdd = (a: Arr, b: Arr): Arr => ({ shape: a.shape, data: a.data.map((v, i) => v + b.data[i]!) });

/** 3x3/2 max-pool with one cell of -infinity padding on each side */
function refMaxPool(x: Arr): Arr {
  const [n, h, w, c] = x.shape;
  const oh = Math.floor((h + 2 - 3) / 2) + 1;
  const ow = Math.floor((w + 2 - 3) / 2) + 1;
  const out: Arr = { shape: [n, oh, ow, c], data: new Float64Array(n * oh * ow * c) };
  for (let b = 0; b < n; b++)
    for (let oy = 0; oy < oh; oy++)
      for (let ox = 0; ox < ow; ox++)
        for (let ch = 0; ch < c; ch++) {
          let m = -Infinity;
          for (let ky = 0; ky < 3; ky++)
            for (let kx = 0; kx < 3; kx++) {
              const iy = oy * 2 + ky - 1;
              const ix = ox * 2 + kx - 1;
              if (iy >= 0 && iy < h && ix >= 0 && ix < w) m = Math.max(m, x.data[idx(x.shape, b, iy, ix, ch)]!);
            }
          out.data[idx(out.shape, b, oy, ox, ch)] = m;
        }
  return out;
}

/** Random weights for the convs and BNs of a plan, as float64 (reference) and tf variables (engine). */
class Weights {
  convs = new Map<string, Float64Array>();
  bns = new Map<string, RefBn>();
  vars: tf.Variable[] = [];
  conv(c: ConvSpec): Float64Array {
    if (!this.convs.has(c.name)) this.convs.set(c.name, randArr([c.k, c.k, c.cin, c.cout], -0.5, 0.5).data);
    return this.convs.get(c.name)!;
  }
  bn(b: BnSpec): RefBn {
    if (!this.bns.has(b.name)) {
      const r = (lo: number, hi: number) => randArr([1, 1, 1, b.channels], lo, hi).data;
      this.bns.set(b.name, { gamma: r(0.5, 1.5), beta: r(-0.5, 0.5), mean: r(-0.5, 0.5), variance: r(0.5, 2) });
    }
    return this.bns.get(b.name)!;
  }
  blockVars(): BlockVars {
    const variable = (data: Float64Array, shape: number[]) => {
      const v = tf.variable(tf.tensor(Float32Array.from(data), shape));
      this.vars.push(v);
      return v;
    };
    return {
      kernel: (c) => variable(this.conv(c), [c.k, c.k, c.cin, c.cout]) as unknown as tf.Tensor4D,
      bn: (b): BnVars => {
        const w = this.bn(b);
        return { gamma: variable(w.gamma, [b.channels]), beta: variable(w.beta, [b.channels]), movingMean: variable(w.mean, [b.channels]), movingVariance: variable(w.variance, [b.channels]) };
      },
    };
  }
  dispose() {
    tf.dispose(this.vars);
  }
}

function refBlock(x: Arr, b: BlockPlan, w: Weights, training: boolean): Arr {
  const convBn = (y: Arr, c: ConvSpec, bn: BnSpec) => refBn(refConv(y, w.conv(c), c.k, c.cout, c.stride), w.bn(bn), training);
  const shortcut = b.shortcut ? convBn(x, b.shortcut.conv, b.shortcut.bn) : x;
  let r = x;
  const last = b.convs.length - 1;
  for (let j = 0; j < last; j++) r = refRelu(convBn(r, b.convs[j]!, b.bns[j]!));
  return refRelu(refAdd(convBn(r, b.convs[last]!, b.bns[last]!), shortcut));
}

/** max |got - want| / max |want| */
async function relErr(got: tf.Tensor, want: Arr): Promise<number> {
  expect(got.shape).toEqual(want.shape);
  const g = await got.data();
  let err = 0;
  let scale = 1e-12;
  want.data.forEach((v, i) => {
    err = Math.max(err, Math.abs(g[i]! - v));
    scale = Math.max(scale, Math.abs(v));
  });
  return err / scale;
}

const firstStrided = (arch: 'resnet18' | 'resnet50', width: number) => {
  const plan = planModel(parseModelConfig({ arch, width }));
  const b = plan.encoder.blocks.find((x) => x.convs.some((c) => c.stride === 2))!;
  expect(b.shortcut).not.toBeNull();
  return b;
};

/** the worst error over both batch-norm kernels (fused native where available, composed tfjs ops) */
async function runBlock(b: BlockPlan, training: boolean, padding: ConvPadding) {
  let worst = 0;
  for (const fused of nativeAvailable() ? [true, false] : [false]) worst = Math.max(worst, await runBlockWith(b, training, padding, fused));
  return worst;
}

async function runBlockWith(b: BlockPlan, training: boolean, padding: ConvPadding, fused: boolean) {
  seed = 12345;
  const w = new Weights();
  const x = randArr([2, 8, 8, b.convs[0]!.cin], 0, 1);
  const want = refBlock(x, b, w, training);
  const input = tf.tensor4d(Float32Array.from(x.data), x.shape);
  const got = residualBlock(input, b, w.blockVars(), { training, momentum: 0.9, epsilon: EPS, fused, padding });
  const err = await relErr(got, want);
  tf.dispose([input, got]);
  w.dispose();
  return err;
}

describe('symmetric padding: ResNet blocks and the ImageNet stem against float64 direct convolution', () => {
  beforeAll(async () => {
    await initBackend('tensorflow');
  });
  afterAll(() => tf.disposeVariables());

  const basic = () => firstStrided('resnet18', 0.125); // layer2.0: 8 -> 16 channels, 3x3/2 + 1x1/2 shortcut
  const bottleneck = () => firstStrided('resnet50', 0.0625); // layer2.0: 16 -> 8 -> 32 channels, 3x3/2 in the middle

  it.each([
    ['BasicBlock', 'running statistics', false],
    ['BasicBlock', 'batch statistics', true],
    ['Bottleneck', 'running statistics', false],
    ['Bottleneck', 'batch statistics', true],
  ] as const)('%s (stride 2) with %s matches to 1e-5', async (kind, _stats, training) => {
    const b = kind === 'BasicBlock' ? basic() : bottleneck();
    expect(b.kind).toBe(kind === 'BasicBlock' ? 'basic' : 'bottleneck');
    expect(await runBlock(b, training, 'symmetric')).toBeLessThan(1e-5);
  });

  it("TensorFlow 'SAME' (format-1 models) is off by far more than round-off: the test sees the misalignment", async () => {
    expect(await runBlock(basic(), false, 'tf-same')).toBeGreaterThan(1e-2);
    expect(await runBlock(bottleneck(), false, 'tf-same')).toBeGreaterThan(1e-2);
  });

  it('the ImageNet stem: 7x7/2 conv (pad 3) -> BN -> ReLU -> 3x3/2 max-pool (pad 1)', async () => {
    const plan = planModel(parseModelConfig({ arch: 'resnet18', width: 0.125, stem: 'imagenet' }));
    const stem = plan.encoder.stem;
    expect([stem.conv.k, stem.conv.stride]).toEqual([7, 2]);
    for (const padding of ['symmetric', 'tf-same'] as const) {
      const w = new Weights();
      const x = randArr([2, 12, 12, 3], 0, 1);
      const want = refMaxPool(refRelu(refBn(refConv(x, w.conv(stem.conv), 7, stem.conv.cout, 2), w.bn(stem.bn), false)));
      const input = tf.tensor4d(Float32Array.from(x.data), x.shape);
      const got = stemLayer(input, stem, w.blockVars(), { training: false, momentum: 0.9, epsilon: EPS, fused: nativeAvailable(), padding });
      const err = await relErr(got, want);
      if (padding === 'symmetric') expect(err).toBeLessThan(1e-5);
      else expect(err).toBeGreaterThan(1e-2);
      tf.dispose([input, got]);
      w.dispose();
    }
  });
});
