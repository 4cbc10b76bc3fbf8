import type { ModelConfig } from '../../shared/model-config.js';
import type { InitSpec } from './init.js';

/**
 * The shape of a model as data: the encoder's blocks and every parameter's
 * name, shape, role and initialiser. createModel allocates from this; tests
 * count parameters from it without allocating ResNet-50.
 */

/** Which part of the network a parameter belongs to. */
export type ParamGroup = 'encoder' | 'projection' | 'classifier';
/**
 * kernel: conv/dense weights (weight decay and LARS adaptation apply);
 * bias, bn_gamma, bn_beta: trainable, excluded from weight decay and LARS adaptation;
 * bn_mean, bn_variance: running statistics (not trainable).
 */
export type ParamRole = 'kernel' | 'bias' | 'bn_gamma' | 'bn_beta' | 'bn_mean' | 'bn_variance';

export interface ParamSpec {
  name: string;
  shape: number[];
  group: ParamGroup;
  role: ParamRole;
  init: InitSpec;
}

export interface BnSpec {
  /**
   * prefix, e.g. encoder/layer1.0/bn1; variables are <prefix>/gamma, /beta (when center),
   * /moving_mean, /moving_variance
   */
  name: string;
  channels: number;
  /** has an offset beta; false: scale only (Keras center=False), the output is gamma * xhat */
  center: boolean;
}

export interface ConvSpec {
  /** prefix; the variable is <prefix>/kernel, shape [k, k, in, out] (HWIO) */
  name: string;
  k: number;
  cin: number;
  cout: number;
  stride: number;
}

export interface BlockPlan {
  name: string;
  kind: 'basic' | 'bottleneck';
  /** basic: conv1 (3x3, stride), conv2 (3x3); bottleneck: conv1 (1x1), conv2 (3x3, stride), conv3 (1x1, x4) */
  convs: ConvSpec[];
  bns: BnSpec[];
  shortcut: { conv: ConvSpec; bn: BnSpec } | null;
}

export interface EncoderPlan {
  stem: { kind: 'cifar' | 'imagenet'; conv: ConvSpec; bn: BnSpec };
  blocks: BlockPlan[];
  /** dimension of the representation h */
  featureDim: number;
}

export interface DenseSpec {
  name: string;
  cin: number;
  cout: number;
  bias: boolean;
}

export interface HeadPlan {
  /**
   * Linear(no bias) -> BN -> ReLU -> Linear(no bias) -> BN(gamma only) when bn2 is set
   * (projection.outputBatchNorm, the reference head); else ... -> ReLU -> Linear(bias)
   */
  projection: { fc1: DenseSpec; bn1: BnSpec; fc2: DenseSpec; bn2: BnSpec | null };
  classifier: DenseSpec | null;
}

export interface ModelPlan {
  encoder: EncoderPlan;
  heads: HeadPlan;
  params: ParamSpec[];
}

const LAYOUT: Record<ModelConfig['arch'], { kind: 'basic' | 'bottleneck'; blocks: number[] }> = {
  resnet18: { kind: 'basic', blocks: [2, 2, 2, 2] },
  resnet34: { kind: 'basic', blocks: [3, 4, 6, 3] },
  resnet50: { kind: 'bottleneck', blocks: [3, 4, 6, 3] },
};

function scaled(channels: number, width: number): number {
  return Math.max(1, Math.round(channels * width));
}

export function planModel(config: ModelConfig): ModelPlan {
  const { kind, blocks: counts } = LAYOUT[config.arch];
  const w = config.width;
  const base = scaled(64, w);
  const stemK = config.stem === 'cifar' ? 3 : 7;
  const stem = {
    kind: config.stem,
    conv: { name: 'encoder/stem/conv', k: stemK, cin: config.inputChannels, cout: base, stride: config.stem === 'cifar' ? 1 : 2 },
    bn: { name: 'encoder/stem/bn', channels: base, center: true },
  };
  const expansion = kind === 'bottleneck' ? 4 : 1;
  const blocks: BlockPlan[] = [];
  let cin = base;
  counts.forEach((count, stage) => {
    const mid = scaled(64 * 2 ** stage, w);
    const cout = mid * expansion;
    for (let i = 0; i < count; i++) {
      const name = `encoder/layer${stage + 1}.${i}`;
      const stride = stage > 0 && i === 0 ? 2 : 1;
      const convs: ConvSpec[] =
        kind === 'basic'
          ? [
              { name: `${name}/conv1`, k: 3, cin, cout: mid, stride },
              { name: `${name}/conv2`, k: 3, cin: mid, cout: mid, stride: 1 },
            ]
          : [
              { name: `${name}/conv1`, k: 1, cin, cout: mid, stride: 1 },
              { name: `${name}/conv2`, k: 3, cin: mid, cout: mid, stride },
              { name: `${name}/conv3`, k: 1, cin: mid, cout, stride: 1 },
            ];
      const bns = convs.map((c, j) => ({ name: `${name}/bn${j + 1}`, channels: c.cout, center: true }));
      const shortcut =
        stride !== 1 || cin !== cout
          ? { conv: { name: `${name}/shortcut/conv`, k: 1, cin, cout, stride }, bn: { name: `${name}/shortcut/bn`, channels: cout, center: true } }
          : null;
      blocks.push({ name, kind, convs, bns, shortcut });
      cin = cout;
    }
  });
  const featureDim = cin;
  const hidden = config.projection.hiddenDim ?? featureDim;
  const outBn = config.projection.outputBatchNorm;
  const heads: HeadPlan = {
    projection: {
      fc1: { name: 'projection/fc1', cin: featureDim, cout: hidden, bias: false },
      bn1: { name: 'projection/bn1', channels: hidden, center: true },
      // with the output BN a bias would be cancelled by its mean subtraction, and the BN has no beta
      fc2: { name: 'projection/fc2', cin: hidden, cout: config.projection.outDim, bias: !outBn },
      bn2: outBn ? { name: 'projection/bn2', channels: config.projection.outDim, center: false } : null,
    },
    classifier: config.numClasses ? { name: 'classifier', cin: featureDim, cout: config.numClasses, bias: true } : null,
  };

  const params: ParamSpec[] = [];
  const conv = (c: ConvSpec) =>
    // He normal over fan-out (k*k*out), as torchvision initialises ResNet convs
    params.push({ name: `${c.name}/kernel`, shape: [c.k, c.k, c.cin, c.cout], group: 'encoder', role: 'kernel', init: { kind: 'he_normal', fan: c.k * c.k * c.cout } });
  const bn = (b: BnSpec, group: ParamGroup, zeroGamma = false) => {
    params.push({ name: `${b.name}/gamma`, shape: [b.channels], group, role: 'bn_gamma', init: { kind: zeroGamma ? 'zeros' : 'ones' } });
    if (b.center) params.push({ name: `${b.name}/beta`, shape: [b.channels], group, role: 'bn_beta', init: { kind: 'zeros' } });
    params.push({ name: `${b.name}/moving_mean`, shape: [b.channels], group, role: 'bn_mean', init: { kind: 'zeros' } });
    params.push({ name: `${b.name}/moving_variance`, shape: [b.channels], group, role: 'bn_variance', init: { kind: 'ones' } });
  };
  const dense = (d: DenseSpec, group: ParamGroup) => {
    params.push({ name: `${d.name}/kernel`, shape: [d.cin, d.cout], group, role: 'kernel', init: { kind: 'he_normal', fan: d.cin } });
    if (d.bias) params.push({ name: `${d.name}/bias`, shape: [d.cout], group, role: 'bias', init: { kind: 'zeros' } });
  };

  conv(stem.conv);
  bn(stem.bn, 'encoder');
  for (const b of blocks) {
    b.convs.forEach((c, j) => {
      conv(c);
      bn(b.bns[j]!, 'encoder', config.zeroInitResidual && j === b.convs.length - 1);
    });
    if (b.shortcut) {
      conv(b.shortcut.conv);
      bn(b.shortcut.bn, 'encoder');
    }
  }
  dense(heads.projection.fc1, 'projection');
  bn(heads.projection.bn1, 'projection');
  dense(heads.projection.fc2, 'projection');
  if (heads.projection.bn2) bn(heads.projection.bn2, 'projection');
  if (heads.classifier) dense(heads.classifier, 'classifier');

  return { encoder: { stem, blocks, featureDim }, heads, params };
}

export function isTrainable(role: ParamRole): boolean {
  return role !== 'bn_mean' && role !== 'bn_variance';
}

/** Batch-norm parameters and biases: no weight decay, no LARS trust ratio. */
export function isBnOrBias(role: ParamRole): boolean {
  return role !== 'kernel';
}

/** Number of trainable scalars (running statistics excluded), optionally in some groups only. */
export function countParams(plan: ModelPlan, groups?: readonly ParamGroup[]): number {
  let n = 0;
  for (const p of plan.params) {
    if (!isTrainable(p.role) || (groups && !groups.includes(p.group))) continue;
    n += p.shape.reduce((a, b) => a * b, 1);
  }
  return n;
}
