/**
 * Our variable names and layouts <-> the torchvision-style ResNet state dict
 * (the CIFAR variant: conv1 3x3 stride 1, no max-pool; the ImageNet stem has
 * the same names). Derived from the model plan, so every depth and width maps.
 *
 *   encoder/stem/conv/kernel [k,k,in,out]   conv1.weight [out,in,k,k]
 *   encoder/stem/bn/gamma|beta|moving_*     bn1.weight|bias|running_mean|running_var
 *   encoder/layerS.I/convJ, bnJ             layerS.I.convJ, layerS.I.bnJ
 *   encoder/layerS.I/shortcut/conv, /bn     layerS.I.downsample.0, layerS.I.downsample.1
 *   projection/fc1|fc2 kernel [in,out]      projector.fc1|fc2.weight [out,in]  (+ fc2.bias without output BN)
 *   projection/bn1|bn2                      projector.bn1|bn2 (bn2 has no bias: scale-only)
 *
 * Every batch norm also has num_batches_tracked (int64) in PyTorch; we write the
 * run's optimiser steps there and ignore it when reading.
 */
import type { ModelPlan, ParamSpec } from '../models/spec.js';

export type TorchLayout = 'conv' | 'dense' | 'vector';

export interface NameMapping {
  ours: string;
  torch: string;
  layout: TorchLayout;
  /** our shape (HWIO for convs, [in, out] for dense) */
  shape: number[];
  group: ParamSpec['group'];
}

const BN_SUFFIX: Record<string, string> = { gamma: 'weight', beta: 'bias', moving_mean: 'running_mean', moving_variance: 'running_var' };

/** The torch name of one of our variable names, or null for names with no torch counterpart (the classifier). */
export function torchName(ours: string): string | null {
  const parts = ours.split('/');
  const leaf = parts.pop()!;
  const suffix = leaf === 'kernel' ? 'weight' : leaf === 'bias' && parts[parts.length - 1]?.startsWith('fc') ? 'bias' : BN_SUFFIX[leaf];
  if (!suffix) return null;
  if (parts[0] === 'encoder') {
    if (parts[1] === 'stem') return `${parts[2] === 'conv' ? 'conv1' : 'bn1'}.${suffix}`;
    const [, block, layer, sub] = parts;
    if (layer === 'shortcut') return `${block}.downsample.${sub === 'conv' ? 0 : 1}.${suffix}`;
    return `${block}.${layer}.${suffix}`;
  }
  if (parts[0] === 'projection') return `projector.${parts[1]}.${suffix}`;
  return null;
}

/** The mapping for every variable of the encoder (and the projection head when asked). */
export function torchMapping(plan: ModelPlan, opts: { projection?: boolean } = {}): NameMapping[] {
  const out: NameMapping[] = [];
  for (const p of plan.params) {
    if (p.group === 'classifier' || (p.group === 'projection' && !opts.projection)) continue;
    const torch = torchName(p.name);
    if (!torch) throw new Error(`no torch name for ${p.name}`);
    out.push({ ours: p.name, torch, layout: p.shape.length === 4 ? 'conv' : p.shape.length === 2 ? 'dense' : 'vector', shape: p.shape, group: p.group });
  }
  return out;
}

/** The torch prefixes of every batch norm in a mapping (each gets a num_batches_tracked). */
export function batchNormPrefixes(mapping: NameMapping[]): string[] {
  return [...new Set(mapping.filter((m) => m.torch.endsWith('.running_mean')).map((m) => m.torch.slice(0, -'.running_mean'.length)))];
}

/** The torch shape of one of our shapes. */
export function torchShape(layout: TorchLayout, shape: number[]): number[] {
  if (layout === 'conv') return [shape[3]!, shape[2]!, shape[0]!, shape[1]!];
  if (layout === 'dense') return [shape[1]!, shape[0]!];
  return shape.slice();
}

/** HWIO -> OIHW, [in, out] -> [out, in]; vectors as they are. */
export function toTorchLayout(layout: TorchLayout, shape: number[], data: ArrayLike<number>): Float32Array {
  if (layout === 'vector') return Float32Array.from(data);
  if (layout === 'dense') return transpose2d(data, shape[0]!, shape[1]!);
  const [kh, kw, ci, co] = shape as [number, number, number, number];
  const out = new Float32Array(data.length);
  for (let h = 0; h < kh; h++)
    for (let w = 0; w < kw; w++)
      for (let i = 0; i < ci; i++) for (let o = 0; o < co; o++) out[((o * ci + i) * kh + h) * kw + w] = data[((h * kw + w) * ci + i) * co + o]!;
  return out;
}

/** OIHW -> HWIO, [out, in] -> [in, out]; `shape` is ours (the target). */
export function fromTorchLayout(layout: TorchLayout, shape: number[], data: ArrayLike<number>): Float32Array {
  if (layout === 'vector') return Float32Array.from(data);
  if (layout === 'dense') return transpose2d(data, shape[1]!, shape[0]!);
  const [kh, kw, ci, co] = shape as [number, number, number, number];
  const out = new Float32Array(data.length);
  for (let h = 0; h < kh; h++)
    for (let w = 0; w < kw; w++)
      for (let i = 0; i < ci; i++) for (let o = 0; o < co; o++) out[((h * kw + w) * ci + i) * co + o] = data[((o * ci + i) * kh + h) * kw + w]!;
  return out;
}

function transpose2d(data: ArrayLike<number>, rows: number, cols: number): Float32Array {
  const out = new Float32Array(rows * cols);
  for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) out[c * rows + r] = data[r * cols + c]!;
  return out;
}

/** Prefixes training frameworks put before the encoder's names (solo-learn, lightly, DDP, Lightning). */
export const FOREIGN_PREFIXES = ['module.', 'model.', 'encoder.', 'backbone.', 'net.'] as const;

/** Strip any run of the usual prefixes ("module.backbone.conv1.weight" -> "conv1.weight"). */
export function stripPrefixes(name: string): string {
  let n = name;
  for (;;) {
    const p = FOREIGN_PREFIXES.find((x) => n.startsWith(x));
    if (!p) return n;
    n = n.slice(p.length);
  }
}
