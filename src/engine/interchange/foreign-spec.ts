/**
 * The model a torchvision-named state dict holds, read from its shapes, for
 * weights trained elsewhere (solo-learn, lightly, plain PyTorch) that come
 * without our sidecar: depth from the blocks per stage, width from conv1,
 * stem from conv1's kernel size, the projection head from projector.* when
 * it has our names.
 */
import type { ModelConfig, ModelConfigInput } from '../../shared/model-config.js';
import type { ReadTensor } from './safetensors.js';

const DEPTHS: { arch: ModelConfig['arch']; bottleneck: boolean; blocks: number[] }[] = [
  { arch: 'resnet18', bottleneck: false, blocks: [2, 2, 2, 2] },
  { arch: 'resnet34', bottleneck: false, blocks: [3, 4, 6, 3] },
  { arch: 'resnet50', bottleneck: true, blocks: [3, 4, 6, 3] },
];

/** `tensors` keyed by torch name with the prefixes already stripped. */
export function inferModelConfig(tensors: Map<string, ReadTensor>, where: string): ModelConfigInput {
  const conv1 = tensors.get('conv1.weight');
  if (!conv1 || conv1.shape.length !== 4) throw new Error(`${where}: no conv1.weight [out, in, k, k]: is this a ResNet state dict with torchvision names? (pass --spec to describe it)`);
  const [base, inputChannels, k] = conv1.shape as [number, number, number, number];
  const counts = [0, 0, 0, 0];
  let bottleneck = false;
  for (const name of tensors.keys()) {
    const m = /^layer([1-4])\.(\d+)\.(conv\d)\./.exec(name);
    if (!m) continue;
    counts[Number(m[1]) - 1] = Math.max(counts[Number(m[1]) - 1]!, Number(m[2]) + 1);
    if (m[3] === 'conv3') bottleneck = true;
  }
  const match = DEPTHS.find((d) => d.bottleneck === bottleneck && d.blocks.every((b, i) => b === counts[i]));
  if (!match) throw new Error(`${where}: blocks per stage [${counts.join(', ')}]${bottleneck ? ' (bottleneck)' : ''} match no ResNet-18/34/50; pass --spec to describe the model`);
  const out: ModelConfigInput = { arch: match.arch, width: base / 64, stem: k === 3 ? 'cifar' : 'imagenet', inputChannels };
  const fc1 = tensors.get('projector.fc1.weight');
  const fc2 = tensors.get('projector.fc2.weight');
  if (fc1 && fc2) out.projection = { hiddenDim: fc1.shape[0], outDim: fc2.shape[0], outputBatchNorm: !tensors.has('projector.fc2.bias') };
  return out;
}
