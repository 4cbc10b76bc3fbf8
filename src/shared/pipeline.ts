/**
 * Augmentation pipeline: the versioned schema, per-op defaults, the presets and
 * the parser that turns bad input into messages naming the field.
 *
 *   parsePipeline(raw, source?)      -> Pipeline (defaults filled in) or throws PipelineError
 *   resolvePipeline(nameOrObject)    -> a preset by name, or a parsed pipeline object
 *   PIPELINE_PRESETS                 -> "SimCLR CIFAR", "SimCLR ImageNet", "All ops"
 *
 * A pipeline is an ordered list of ops applied to images with values in [0, 1];
 * each op fires on a sample with probability `p` and draws its own random
 * parameters per sample. Geometry ops that crop (randomResizedCrop, centerCrop)
 * resize to `outputSize`; when none runs, the image is resized to it at the end.
 * Views always have 3 channels (grey sources are replicated) and are normalised
 * per channel with `normalize` as the last step.
 *
 * Imports nothing from Node or Electron: the renderer validates the designer with it.
 */
import { z } from 'zod';
import { ValidationError, zodIssues, type Issue } from './validation.js';

export const PIPELINE_VERSION = 1;

/** [low, high] with low <= high, both within [min, max]. */
function range(min: number, max: number, dflt: [number, number], opts: { minExclusive?: boolean } = {}) {
  const bound = opts.minExclusive ? z.number().gt(min).max(max) : z.number().min(min).max(max);
  return z
    .tuple([bound, bound])
    .refine(([lo, hi]) => lo <= hi, { message: `must be [low, high] with low <= high` })
    .default(dflt);
}

const common = (p: number) => ({
  /** probability that the op fires on a sample */
  p: z.number().min(0).max(1).default(p),
  enabled: z.boolean().default(true),
});

const fill = z.number().min(0).max(1).default(0);

/**
 * Crop a random box whose area is a fraction `scale` of the image and whose
 * width/height ratio is log-uniform in `ratio`, then resize it to outputSize.
 * After `attempts` boxes that do not fit, falls back to the largest central box
 * with the ratio clamped into range (as torchvision's RandomResizedCrop).
 * When it does not fire the whole image is resized.
 */
export const randomResizedCropSchema = z
  .object({
    op: z.literal('randomResizedCrop'),
    ...common(1),
    params: z
      .object({
        scale: range(0, 1, [0.08, 1], { minExclusive: true }),
        ratio: range(0, 100, [3 / 4, 4 / 3], { minExclusive: true }),
        attempts: z.number().int().min(1).max(100).default(10),
      })
      .strict()
      .prefault({}),
  })
  .strict();

/** Crop the central `fraction` of each side and resize it to outputSize. */
export const centerCropSchema = z
  .object({
    op: z.literal('centerCrop'),
    ...common(1),
    params: z.object({ fraction: z.number().gt(0).max(1).default(0.875) }).strict().prefault({}),
  })
  .strict();

export const horizontalFlipSchema = z
  .object({ op: z.literal('horizontalFlip'), ...common(0.5), params: z.object({}).strict().prefault({}) })
  .strict();

/**
 * SimCLR colour distortion: brightness, contrast, saturation and hue with
 * maximum strengths `brightness * strength`, ... (the paper's s), each clipped
 * to [0, 1], in a random order per sample unless randomOrder is false
 * (then brightness, contrast, saturation, hue).
 */
export const colorJitterSchema = z
  .object({
    op: z.literal('colorJitter'),
    ...common(0.8),
    params: z
      .object({
        /** the paper's colour strength s */
        strength: z.number().min(0).max(2).default(0.5),
        /** brightness factor is uniform in [1 - b s, 1 + b s] (floored at 0) */
        brightness: z.number().min(0).max(2).default(0.8),
        /** contrast factor is uniform in [1 - c s, 1 + c s] (floored at 0) */
        contrast: z.number().min(0).max(2).default(0.8),
        /** saturation factor is uniform in [1 - a s, 1 + a s] (floored at 0) */
        saturation: z.number().min(0).max(2).default(0.8),
        /** hue shift (fraction of the colour wheel) is uniform in [-h s, h s] */
        hue: z.number().min(0).max(0.5).default(0.2),
        randomOrder: z.boolean().default(true),
      })
      .strict()
      .prefault({}),
  })
  .strict();

/** Colour drop: ITU-R 601 luma (0.2989 R + 0.587 G + 0.114 B) in all three channels. */
export const grayscaleSchema = z.object({ op: z.literal('grayscale'), ...common(0.2), params: z.object({}).strict().prefault({}) }).strict();

/**
 * Gaussian blur with a per-sample sigma uniform in `sigma` (pixels); the kernel
 * is 2 * floor(side * kernelFraction / 2) + 1 pixels wide, as in SimCLR.
 */
export const gaussianBlurSchema = z
  .object({
    op: z.literal('gaussianBlur'),
    ...common(0.5),
    params: z
      .object({
        sigma: range(0, 50, [0.1, 2], { minExclusive: true }),
        kernelFraction: z.number().gt(0).max(0.5).default(0.1),
        /** how the border is extended: mirror (no dark rim) or zeros (as SimCLR's 'SAME' conv) */
        padding: z.enum(['reflect', 'zero']).default('reflect'),
      })
      .strict()
      .prefault({}),
  })
  .strict();

/** Rotate by a uniformly chosen multiple of 90 degrees (0, 90, 180, 270; counter-clockwise), exact. */
export const rotate90Schema = z.object({ op: z.literal('rotate90'), ...common(1), params: z.object({}).strict().prefault({}) }).strict();

/** Rotate about the centre by an angle uniform in `degrees` (counter-clockwise), bilinear; outside is `fill`. */
export const rotateSchema = z
  .object({
    op: z.literal('rotate'),
    ...common(0.5),
    params: z.object({ degrees: range(-180, 180, [-30, 30]), fill }).strict().prefault({}),
  })
  .strict();

/** Cutout: a square of side uniform in `size` (fraction of the shorter side), centred anywhere, set to `fill`. */
export const cutoutSchema = z
  .object({
    op: z.literal('cutout'),
    ...common(0.5),
    params: z.object({ size: range(0, 1, [0.25, 0.5], { minExclusive: true }), fill }).strict().prefault({}),
  })
  .strict();

/** Additive Gaussian noise with a per-sample standard deviation uniform in `std`, clipped to [0, 1]. */
export const gaussianNoiseSchema = z
  .object({
    op: z.literal('gaussianNoise'),
    ...common(0.5),
    params: z.object({ std: range(0, 1, [0.02, 0.1]) }).strict().prefault({}),
  })
  .strict();

/**
 * Sobel edge magnitude of the luma, sqrt(gx^2 + gy^2) / 4 clipped to [0, 1]
 * (a full-contrast step edge gives 1), in all three channels; mirrored border.
 */
export const sobelSchema = z.object({ op: z.literal('sobel'), ...common(1), params: z.object({}).strict().prefault({}) }).strict();

/** Invert every value at or above `threshold` (x -> 1 - x). */
export const solarizeSchema = z
  .object({
    op: z.literal('solarize'),
    ...common(0.2),
    params: z.object({ threshold: z.number().min(0).max(1).default(0.5) }).strict().prefault({}),
  })
  .strict();

export const OP_SCHEMAS = [
  randomResizedCropSchema,
  centerCropSchema,
  horizontalFlipSchema,
  colorJitterSchema,
  grayscaleSchema,
  gaussianBlurSchema,
  rotate90Schema,
  rotateSchema,
  cutoutSchema,
  gaussianNoiseSchema,
  sobelSchema,
  solarizeSchema,
] as const;

export const OP_NAMES = [
  'randomResizedCrop',
  'centerCrop',
  'horizontalFlip',
  'colorJitter',
  'grayscale',
  'gaussianBlur',
  'rotate90',
  'rotate',
  'cutout',
  'gaussianNoise',
  'sobel',
  'solarize',
] as const;
export type OpName = (typeof OP_NAMES)[number];

export const opSchema = z.discriminatedUnion('op', OP_SCHEMAS);
export type PipelineOp = z.infer<typeof opSchema>;
/** The op entry of a given name, with its params typed. */
export type OpOf<N extends OpName> = Extract<PipelineOp, { op: N }>;
export type OpParams<N extends OpName> = OpOf<N>['params'];

const channelTriple = (dflt: number, positive: boolean) =>
  z.tuple([0, 1, 2].map(() => (positive ? z.number().positive() : z.number())) as [z.ZodNumber, z.ZodNumber, z.ZodNumber]).default([dflt, dflt, dflt]);

export const pipelineSchema = z
  .object({
    version: z.literal(PIPELINE_VERSION),
    /** a label for the designer; not used by the engine */
    name: z.string().max(200).optional(),
    /** side of the square views, pixels */
    outputSize: z.number().int().min(8).max(1024).default(32),
    /** per-channel (x - mean) / std on values in [0, 1]; identity by default */
    normalize: z
      .object({ mean: channelTriple(0, false), std: channelTriple(1, true) })
      .strict()
      .prefault({}),
    ops: z.array(opSchema).max(64).default([]),
  })
  .strict();

export type Pipeline = z.infer<typeof pipelineSchema>;
/** What a user may write: every field with a default may be left out. */
export type PipelineInput = z.input<typeof pipelineSchema>;

/** A pipeline that failed validation; `issues` says which field and what is wrong. */
export class PipelineError extends ValidationError {
  constructor(issues: Issue[], source?: string) {
    super(issues, 'augmentation pipeline', source);
    this.name = 'PipelineError';
  }
}

/** Messages that name the allowed values; undefined: zod's own message. */
function describeIssue(issue: z.core.$ZodIssue, raw: unknown): string | undefined {
  if (issue.code === 'unrecognized_keys') {
    return `unknown field${issue.keys.length > 1 ? 's' : ''} ${issue.keys.map((k) => `"${k}"`).join(', ')} (${knownFields(issue.path, raw)})`;
  }
  if (issue.code === 'invalid_union' && issue.path[issue.path.length - 1] === 'op') {
    const got = valueAt(raw, issue.path);
    return `${got === undefined ? 'missing' : `unknown op ${JSON.stringify(got)}`}; use one of ${OP_NAMES.join(', ')}`;
  }
  if (issue.path.length === 1 && issue.path[0] === 'version') {
    const got = valueAt(raw, issue.path);
    if (typeof got === 'number' && got > PIPELINE_VERSION) {
      return `pipeline version ${got} is newer than this app reads (${PIPELINE_VERSION}); update the app or export the pipeline again as version ${PIPELINE_VERSION}`;
    }
    return `must be ${PIPELINE_VERSION} (got ${JSON.stringify(got)}); add "version": ${PIPELINE_VERSION}`;
  }
  return undefined;
}

/** The fields allowed where unknown ones were found, for the error hint. */
function knownFields(path: readonly PropertyKey[], raw: unknown): string {
  const last = path[path.length - 1];
  if (path.length === 0) return 'a pipeline has version, name, outputSize, normalize, ops';
  if (last === 'normalize') return 'normalize has mean, std';
  if (last === 'params') {
    const op = valueAt(raw, [...path.slice(0, -1), 'op']);
    if ((OP_NAMES as readonly unknown[]).includes(op)) {
      const names = Object.keys(defaultOp(op as OpName).params);
      return names.length ? `${String(op)} takes ${names.join(', ')}` : `${String(op)} takes no params`;
    }
  }
  return 'each op has op, p, enabled, params';
}

function valueAt(raw: unknown, path: readonly PropertyKey[]): unknown {
  let v: unknown = raw;
  for (const key of path) {
    if (v === null || typeof v !== 'object') return undefined;
    v = (v as Record<PropertyKey, unknown>)[key];
  }
  return v;
}

/** Validate a raw pipeline (parsed JSON) and fill in the defaults. */
export function parsePipeline(raw: unknown, source?: string): Pipeline {
  const r = pipelineSchema.safeParse(raw);
  if (!r.success) throw new PipelineError(zodIssues(r.error, '(pipeline)', (i) => describeIssue(i, raw)), source);
  return r.data;
}

type Triple = [number, number, number];
const CIFAR_NORMALIZE = { mean: [0.4914, 0.4822, 0.4465] as Triple, std: [0.247, 0.2435, 0.2616] as Triple };
const IMAGENET_NORMALIZE = { mean: [0.485, 0.456, 0.406] as Triple, std: [0.229, 0.224, 0.225] as Triple };

/** Presets as written by a user (defaults filled in by parsePipeline). */
const PRESET_INPUTS = {
  /** SimCLR paper appendix B.9: crop 0.08-1, flip, jitter s = 0.5 (p 0.8), grayscale p 0.2, no blur. */
  'SimCLR CIFAR': {
    version: 1,
    name: 'SimCLR CIFAR',
    outputSize: 32,
    normalize: CIFAR_NORMALIZE,
    ops: [
      { op: 'randomResizedCrop', p: 1, params: { scale: [0.08, 1], ratio: [3 / 4, 4 / 3] } },
      { op: 'horizontalFlip', p: 0.5 },
      { op: 'colorJitter', p: 0.8, params: { strength: 0.5, brightness: 0.8, contrast: 0.8, saturation: 0.8, hue: 0.2 } },
      { op: 'grayscale', p: 0.2 },
    ],
  },
  /** SimCLR ImageNet recipe: s = 1.0 and Gaussian blur (p 0.5, sigma 0.1-2.0, kernel 10% of the side). */
  'SimCLR ImageNet': {
    version: 1,
    name: 'SimCLR ImageNet',
    outputSize: 224,
    normalize: IMAGENET_NORMALIZE,
    ops: [
      { op: 'randomResizedCrop', p: 1, params: { scale: [0.08, 1], ratio: [3 / 4, 4 / 3] } },
      { op: 'horizontalFlip', p: 0.5 },
      { op: 'colorJitter', p: 0.8, params: { strength: 1, brightness: 0.8, contrast: 0.8, saturation: 0.8, hue: 0.2 } },
      { op: 'grayscale', p: 0.2 },
      { op: 'gaussianBlur', p: 0.5, params: { sigma: [0.1, 2], kernelFraction: 0.1 } },
    ],
  },
  /** Every op of the paper's augmentation study (its figure 4), at moderate probabilities. */
  'All ops': {
    version: 1,
    name: 'All ops',
    outputSize: 32,
    normalize: CIFAR_NORMALIZE,
    ops: [
      { op: 'centerCrop', p: 0.5, params: { fraction: 0.875 } },
      { op: 'randomResizedCrop', p: 1, params: { scale: [0.08, 1], ratio: [3 / 4, 4 / 3] } },
      { op: 'horizontalFlip', p: 0.5 },
      { op: 'rotate90', p: 0.25 },
      { op: 'rotate', p: 0.3, params: { degrees: [-30, 30] } },
      { op: 'colorJitter', p: 0.8, params: { strength: 0.5 } },
      { op: 'grayscale', p: 0.2 },
      { op: 'gaussianBlur', p: 0.3, params: { sigma: [0.1, 2] } },
      { op: 'cutout', p: 0.3, params: { size: [0.25, 0.5] } },
      { op: 'gaussianNoise', p: 0.3, params: { std: [0.02, 0.1] } },
      { op: 'solarize', p: 0.1, params: { threshold: 0.5 } },
      { op: 'sobel', p: 0.05 },
    ],
  },
} satisfies Record<string, PipelineInput>;

export type PipelinePresetName = keyof typeof PRESET_INPUTS;
export const PIPELINE_PRESET_NAMES = Object.keys(PRESET_INPUTS) as PipelinePresetName[];

/** The presets, validated and with every default filled in. */
export const PIPELINE_PRESETS: Record<PipelinePresetName, Pipeline> = Object.fromEntries(
  Object.entries(PRESET_INPUTS).map(([name, input]) => [name, parsePipeline(input, `preset "${name}"`)]),
) as Record<PipelinePresetName, Pipeline>;

/** A fresh copy of a preset (callers may edit it), optionally at another output size. */
export function pipelinePreset(name: PipelinePresetName, overrides: { outputSize?: number } = {}): Pipeline {
  const preset = PIPELINE_PRESETS[name];
  if (!preset) throw new PipelineError([{ path: 'preset', message: `unknown preset "${String(name)}"; use one of ${PIPELINE_PRESET_NAMES.join(', ')}` }]);
  const copy = structuredClone(preset);
  return overrides.outputSize === undefined ? copy : parsePipeline({ ...copy, outputSize: overrides.outputSize }, `preset "${name}"`);
}

/** A preset name (as in the train config's `pipeline` field) or a pipeline object. */
export function resolvePipeline(spec: string | Record<string, unknown>, source?: string): Pipeline {
  if (typeof spec === 'string') {
    if ((PIPELINE_PRESET_NAMES as string[]).includes(spec)) return pipelinePreset(spec as PipelinePresetName);
    throw new PipelineError([{ path: 'pipeline', message: `unknown preset "${spec}"; use one of ${PIPELINE_PRESET_NAMES.map((n) => `"${n}"`).join(', ')} or a pipeline object` }], source);
  }
  return parsePipeline(spec, source);
}

/** A new op entry with every default (for the designer's "add op" button). */
export function defaultOp<N extends OpName>(op: N): OpOf<N> {
  return opSchema.parse({ op }) as OpOf<N>;
}
