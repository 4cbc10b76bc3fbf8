/**
 * The augmentation designer's model: what each op's controls are, and pure
 * edits of a pipeline (each returns a new pipeline; the old one is untouched,
 * so undo and change detection stay simple). Validation is the shared zod
 * schema, the same one the engine applies.
 */
import { defaultOp, OP_NAMES, pipelineSchema, type OpName, type Pipeline, type PipelineOp } from '../../../../shared/pipeline';

export type ParamSpec =
  | { key: string; label: string; kind: 'number'; min: number; max: number; step: number; hint?: string }
  | { key: string; label: string; kind: 'range'; min: number; max: number; step: number; hint?: string }
  | { key: string; label: string; kind: 'bool'; hint?: string }
  | { key: string; label: string; kind: 'enum'; options: string[]; hint?: string };

/** Slider bounds are the useful part of each schema range; the numeric field accepts the schema's full range. */
export const PARAM_SPECS: Record<OpName, ParamSpec[]> = {
  randomResizedCrop: [
    { key: 'scale', label: 'Area fraction', kind: 'range', min: 0.01, max: 1, step: 0.01, hint: 'crop area as a fraction of the image' },
    { key: 'ratio', label: 'Aspect ratio', kind: 'range', min: 0.2, max: 5, step: 0.01, hint: 'width / height, drawn log-uniformly' },
    { key: 'attempts', label: 'Attempts', kind: 'number', min: 1, max: 100, step: 1, hint: 'boxes tried before the central fallback' },
  ],
  centerCrop: [{ key: 'fraction', label: 'Side fraction', kind: 'number', min: 0.05, max: 1, step: 0.005 }],
  horizontalFlip: [],
  colorJitter: [
    { key: 'strength', label: 'Strength s', kind: 'number', min: 0, max: 2, step: 0.05, hint: "the paper's colour strength; scales the four below" },
    { key: 'brightness', label: 'Brightness', kind: 'number', min: 0, max: 2, step: 0.05 },
    { key: 'contrast', label: 'Contrast', kind: 'number', min: 0, max: 2, step: 0.05 },
    { key: 'saturation', label: 'Saturation', kind: 'number', min: 0, max: 2, step: 0.05 },
    { key: 'hue', label: 'Hue', kind: 'number', min: 0, max: 0.5, step: 0.01 },
    { key: 'randomOrder', label: 'Random order', kind: 'bool' },
  ],
  grayscale: [],
  gaussianBlur: [
    { key: 'sigma', label: 'Sigma (px)', kind: 'range', min: 0.05, max: 10, step: 0.05 },
    { key: 'kernelFraction', label: 'Kernel fraction', kind: 'number', min: 0.01, max: 0.5, step: 0.01, hint: 'kernel width as a fraction of the side' },
    { key: 'padding', label: 'Border', kind: 'enum', options: ['reflect', 'zero'] },
  ],
  rotate90: [],
  rotate: [
    { key: 'degrees', label: 'Degrees', kind: 'range', min: -180, max: 180, step: 1 },
    { key: 'fill', label: 'Fill', kind: 'number', min: 0, max: 1, step: 0.01 },
  ],
  cutout: [
    { key: 'size', label: 'Size', kind: 'range', min: 0.01, max: 1, step: 0.01, hint: 'square side as a fraction of the shorter side' },
    { key: 'fill', label: 'Fill', kind: 'number', min: 0, max: 1, step: 0.01 },
  ],
  gaussianNoise: [{ key: 'std', label: 'Std', kind: 'range', min: 0, max: 0.5, step: 0.005 }],
  sobel: [],
  solarize: [{ key: 'threshold', label: 'Threshold', kind: 'number', min: 0, max: 1, step: 0.01 }],
};

export const OP_TITLES: Record<OpName, string> = {
  randomResizedCrop: 'Random resized crop',
  centerCrop: 'Center crop',
  horizontalFlip: 'Horizontal flip',
  colorJitter: 'Colour jitter',
  grayscale: 'Grayscale',
  gaussianBlur: 'Gaussian blur',
  rotate90: 'Rotate 90°',
  rotate: 'Rotate',
  cutout: 'Cutout',
  gaussianNoise: 'Gaussian noise',
  sobel: 'Sobel edges',
  solarize: 'Solarize',
};

export { OP_NAMES };

function withOps(p: Pipeline, ops: PipelineOp[]): Pipeline {
  return { ...p, ops };
}

/** Move the op at `from` to position `to` (both clamped). */
export function moveOp(p: Pipeline, from: number, to: number): Pipeline {
  const ops = [...p.ops];
  if (from < 0 || from >= ops.length) return p;
  const target = Math.max(0, Math.min(ops.length - 1, to));
  if (target === from) return p;
  const [op] = ops.splice(from, 1);
  ops.splice(target, 0, op!);
  return withOps(p, ops);
}

export function setEnabled(p: Pipeline, i: number, enabled: boolean): Pipeline {
  return withOps(
    p,
    p.ops.map((op, j) => (j === i ? { ...op, enabled } : op)),
  );
}

export function setProbability(p: Pipeline, i: number, prob: number): Pipeline {
  return withOps(
    p,
    p.ops.map((op, j) => (j === i ? { ...op, p: prob } : op)),
  );
}

export function setParam(p: Pipeline, i: number, key: string, value: unknown): Pipeline {
  return withOps(
    p,
    p.ops.map((op, j) => (j === i ? ({ ...op, params: { ...op.params, [key]: value } } as PipelineOp) : op)),
  );
}

/** Back to the op's defaults (probability and parameters), keeping it enabled or not. */
export function resetOp(p: Pipeline, i: number): Pipeline {
  return withOps(
    p,
    p.ops.map((op, j) => (j === i ? { ...defaultOp(op.op), enabled: op.enabled } : op)),
  );
}

export function addOp(p: Pipeline, name: OpName): Pipeline {
  return withOps(p, [...p.ops, defaultOp(name)]);
}

export function removeOp(p: Pipeline, i: number): Pipeline {
  return withOps(
    p,
    p.ops.filter((_, j) => j !== i),
  );
}

/** "ops.2.params.scale" -> message, for the fields' inline errors; empty when valid. */
export function validatePipeline(p: unknown): Map<string, string> {
  const r = pipelineSchema.safeParse(p);
  const out = new Map<string, string>();
  if (!r.success) for (const issue of r.error.issues) out.set(issue.path.map(String).join('.'), issue.message);
  return out;
}

/** Problems for one op: path (after "ops.i.") -> message. */
export function opIssues(issues: Map<string, string>, i: number): Map<string, string> {
  const prefix = `ops.${i}.`;
  const out = new Map<string, string>();
  for (const [path, msg] of issues) if (path.startsWith(prefix)) out.set(path.slice(prefix.length), msg);
  return out;
}

/** One line per op for lists: "p 0.8, s 0.5". */
export function opSummary(op: PipelineOp): string {
  const parts = [`p ${op.p}`];
  for (const spec of PARAM_SPECS[op.op].slice(0, 2)) {
    const v = (op.params as Record<string, unknown>)[spec.key];
    if (Array.isArray(v)) parts.push(`${spec.label.toLowerCase()} ${v.map((x) => +Number(x).toFixed(3)).join('–')}`);
    else if (typeof v === 'number') parts.push(`${spec.label.toLowerCase()} ${+v.toFixed(3)}`);
  }
  return parts.join(', ');
}

/** A file name for saving: "simclr-cifar.pipeline.json". */
export function pipelineFileName(p: Pipeline): string {
  const base = (p.name ?? 'pipeline').toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-|-$/g, '') || 'pipeline';
  return `${base}.pipeline.json`;
}
