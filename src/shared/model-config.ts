import { z } from 'zod';
import { issuePath, ValidationError } from './validation.js';

/**
 * Model configuration: a ResNet encoder f(.) -> h, a projection head g(h) -> z
 * used by the contrastive loss, and an optional linear classifier head on h.
 * Shared by the engine (createModel), run.json, the CLI and the UI.
 */

export const ARCHITECTURES = ['resnet18', 'resnet34', 'resnet50'] as const;
export type Architecture = (typeof ARCHITECTURES)[number];

/**
 * How convolutions and the stem's max-pool are padded.
 * 'symmetric': floor((k-1)/2) zeros before and after on every side, then a 'valid'
 *   conv, as PyTorch's padding=k//2 and google-research/simclr's fixed_padding do;
 *   a 3x3 stride-2 conv then samples the same pixels (0, 2, 4, ...) as its 1x1
 *   stride-2 shortcut. The default since model format version 2.
 * 'tf-same': TensorFlow's 'SAME', which on an even input with stride 2 pads
 *   0 before and 1 after, half a pixel off the shortcut. Format version 1 models
 *   (runs recorded before the field existed) were built this way and load so.
 */
export const CONV_PADDINGS = ['symmetric', 'tf-same'] as const;
export type ConvPadding = (typeof CONV_PADDINGS)[number];

/**
 * Version of the model definition (the maths a config + weights stand for).
 * 1: every conv and the max-pool TensorFlow 'SAME' (no `formatVersion` or `padding` field);
 * 2: `padding` recorded, symmetric by default.
 */
export const MODEL_FORMAT_VERSION = 2;

export const MODEL_PRESET_NAMES = ['tiny', 'small', 'standard', 'paper'] as const;
export type ModelPresetName = (typeof MODEL_PRESET_NAMES)[number];
/** the preset a training config uses when it names none */
export const DEFAULT_MODEL_PRESET: ModelPresetName = 'tiny';

export const ProjectionHeadSchema = z
  .object({
    /** width of the hidden Linear-BN-ReLU layer; default: the encoder's feature dimension */
    hiddenDim: z.number().int().positive().max(16384).optional(),
    /** dimension of z, the vector the contrastive loss sees */
    outDim: z.number().int().positive().max(16384).default(128),
    /**
     * End the head with batch norm, as SimCLR's reference implementation does: the
     * last Linear has no bias and is followed by BN with a scale (gamma) but no
     * offset (beta), so each dimension of z is standardised over the batch (all 2N
     * views) before NT-Xent normalises z. false: Linear(bias) output, no BN (runs
     * recorded before this option existed; see LEGACY_MODEL_DEFAULTS).
     */
    outputBatchNorm: z.boolean().default(true),
  })
  .strict();

export const ModelConfigSchema = z
  .object({
    arch: z.enum(ARCHITECTURES).default('resnet18'),
    /** width multiplier on every conv's channel count (0.25 -> 16/32/64/128 for ResNet-18) */
    width: z.number().positive().max(8).default(1),
    /**
     * 'cifar': 3x3 stride-1 conv, no max-pool (images up to ~64 px);
     * 'imagenet': 7x7 stride-2 conv + 3x3 stride-2 max-pool (larger images).
     * See stemForImageSize.
     */
    stem: z.enum(['cifar', 'imagenet']).default('cifar'),
    inputChannels: z.number().int().positive().default(3),
    projection: ProjectionHeadSchema.default({ outDim: 128, outputBatchNorm: true }),
    /** classes of the linear classifier head on h; omit for no classifier */
    numClasses: z.number().int().positive().optional(),
    /** running-stat momentum: running = momentum * running + (1 - momentum) * batch */
    bnMomentum: z.number().min(0).max(1).default(0.9),
    bnEpsilon: z.number().positive().default(1e-5),
    /**
     * start each residual branch's last BN scale at 0, so every block starts as
     * (ReLU of) its shortcut (the reference's init_zero). The SimCLR training config
     * turns this on by default (model.zeroInitResidual); a bare model config leaves it off.
     */
    zeroInitResidual: z.boolean().default(false),
    /** see CONV_PADDINGS */
    padding: z.enum(CONV_PADDINGS).default('symmetric'),
    /** the model definition this config was written for (MODEL_FORMAT_VERSION); older ones are read, newer refused */
    formatVersion: z
      .number()
      .int()
      .min(1)
      .max(MODEL_FORMAT_VERSION, { message: `this build reads model format versions up to ${MODEL_FORMAT_VERSION}: open the run with a newer SimCLR Workbench` })
      .default(MODEL_FORMAT_VERSION),
  })
  .strict();

export type ModelConfig = z.infer<typeof ModelConfigSchema>;
export type ModelConfigInput = z.input<typeof ModelConfigSchema>;

export const MODEL_PRESETS: Record<ModelPresetName, ModelConfigInput> = {
  tiny: { arch: 'resnet18', width: 0.25 },
  small: { arch: 'resnet18', width: 0.5 },
  standard: { arch: 'resnet18', width: 1 },
  paper: { arch: 'resnet50', width: 1 },
};

/** "ResNet-18 x0.25": what a preset builds, for help texts and forms. */
export function modelPresetLabel(name: ModelPresetName): string {
  const p = MODEL_PRESETS[name];
  const width = p.width ?? 1;
  return `ResNet-${(p.arch ?? 'resnet18').replace('resnet', '')}${width === 1 ? '' : ` x${width}`}`;
}

/** The stem that suits square images of this side length. */
export function stemForImageSize(size: number): ModelConfig['stem'] {
  return size <= 64 ? 'cifar' : 'imagenet';
}

/**
 * A full config from a preset name and/or overrides, validated.
 * Errors name the field (e.g. "model.width: Too small") and the allowed values.
 */
export function resolveModelConfig(preset?: ModelPresetName | null, overrides: Partial<ModelConfigInput> = {}): ModelConfig {
  if (preset != null && !(MODEL_PRESET_NAMES as readonly string[]).includes(preset)) {
    throw new Error(`model preset "${preset}" is unknown: use one of ${MODEL_PRESET_NAMES.join(', ')}`);
  }
  const base = preset ? MODEL_PRESETS[preset] : {};
  return parseModelConfig({ ...base, ...overrides });
}

/**
 * Values that reproduce models recorded before a field existed: a model config
 * read back from a run (run.json's `model`) that lacks one of these fields was
 * built this way. New runs always record every field.
 */
export const LEGACY_MODEL_DEFAULTS = {
  /** before the option existed the head ended in Linear(bias), no batch norm */
  projectionOutputBatchNorm: false,
  /** the model default, false, was always recorded; listed for completeness */
  zeroInitResidual: false,
  /** format version 1: TensorFlow 'SAME' padding everywhere */
  padding: 'tf-same',
  formatVersion: 1,
} as const satisfies { padding: ConvPadding; formatVersion: number; [k: string]: unknown };

/**
 * A recorded (older) model config with the fields it lacks filled in with their
 * legacy values (LEGACY_MODEL_DEFAULTS) rather than today's defaults. Other
 * fields, including extra ones (depth, featureDim, params), pass through.
 */
export function withLegacyModelDefaults(recorded: unknown): unknown {
  if (recorded === null || typeof recorded !== 'object' || Array.isArray(recorded)) return recorded;
  const m = recorded as Record<string, unknown>;
  const projection = m.projection;
  const upgradedProjection =
    projection !== null && typeof projection === 'object' && !Array.isArray(projection) && !('outputBatchNorm' in projection)
      ? { ...projection, outputBatchNorm: LEGACY_MODEL_DEFAULTS.projectionOutputBatchNorm }
      : projection === undefined
        ? { outDim: 128, outputBatchNorm: LEGACY_MODEL_DEFAULTS.projectionOutputBatchNorm }
        : projection;
  return {
    ...m,
    projection: upgradedProjection,
    zeroInitResidual: 'zeroInitResidual' in m ? m.zeroInitResidual : LEGACY_MODEL_DEFAULTS.zeroInitResidual,
    padding: 'padding' in m ? m.padding : LEGACY_MODEL_DEFAULTS.padding,
    formatVersion: 'formatVersion' in m ? m.formatVersion : LEGACY_MODEL_DEFAULTS.formatVersion,
  };
}

export function parseModelConfig(input: unknown, where = 'model'): ModelConfig {
  const r = ModelConfigSchema.safeParse(input);
  if (r.success) return r.data;
  throw new ValidationError(r.error.issues.map((i) => ({ path: issuePath([where, ...i.path], where), message: i.message })), 'model config');
}
