import * as tf from '@tensorflow/tfjs';
import type { ConvPadding } from '../../shared/model-config.js';
import { batchNorm, conv2d, maxPool, type BnOptions, type BnVars } from './layers.js';
import type { BlockPlan, BnSpec, ConvSpec, EncoderPlan } from './spec.js';

/**
 * The encoder's building blocks over tensors, given a way to look up the
 * variables they use. Separate from createModel so a test can run one block on
 * its own against an independent computation.
 */

export interface BlockVars {
  kernel(c: ConvSpec): tf.Tensor4D;
  bn(b: BnSpec): BnVars;
}

export interface BlockOptions extends BnOptions {
  padding: ConvPadding;
}

/** conv -> BN -> ReLU, then for the ImageNet stem a 3x3/2 max-pool. */
export function stemLayer(x: tf.Tensor4D, stem: EncoderPlan['stem'], vars: BlockVars, o: BlockOptions): tf.Tensor4D {
  return tf.tidy(() => {
    const bnOpts = { ...o, relu: true };
    const y = batchNorm(conv2d(x, vars.kernel(stem.conv), stem.conv.stride, o.padding), vars.bn(stem.bn), bnOpts);
    return stem.kind === 'imagenet' ? maxPool(y, 3, 2, o.padding) : y;
  });
}

/**
 * A residual block: ReLU(BN(last conv(...)) + shortcut), the shortcut a 1x1
 * conv + BN when the block changes stride or width, else the input itself.
 * Basic: 3x3 (stride) -> 3x3; bottleneck: 1x1 -> 3x3 (stride) -> 1x1 (x4).
 */
export function residualBlock(x: tf.Tensor4D, b: BlockPlan, vars: BlockVars, o: BlockOptions): tf.Tensor4D {
  return tf.tidy(() => {
    const conv = (y: tf.Tensor4D, c: ConvSpec) => conv2d(y, vars.kernel(c), c.stride, o.padding);
    const shortcut = b.shortcut ? batchNorm(conv(x, b.shortcut.conv), vars.bn(b.shortcut.bn), o) : x;
    let r = x;
    const last = b.convs.length - 1;
    for (let j = 0; j < last; j++) r = batchNorm(conv(r, b.convs[j]!), vars.bn(b.bns[j]!), { ...o, relu: true });
    return batchNorm(conv(r, b.convs[last]!), vars.bn(b.bns[last]!), { ...o, relu: true, residual: shortcut });
  });
}
