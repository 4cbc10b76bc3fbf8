import { z } from 'zod';

/**
 * Model configuration: a ResNet encoder f(.) -> h, a projection head g(h) -> z
 * used by the contrastive loss, and an optional linear classifier head on h.
 * Shared by the engine (createModel), run.json, the CLI and the UI.
 */

export const ARCHITECTURES = ['resnet18', 'resnet34', 'resnet50'] as const;
export type Architecture = (typeof ARCHITECTURES)[number];

export const MODEL_PRESET_NAMES = ['tiny', 'small', 'standard', 'paper'] as const;
export type ModelPresetName = (typeof MODEL_PRESET_NAMES)[number];

export const ProjectionHeadSchema = z
  .object({
    /** width of the hidden Linear-BN-ReLU layer; default: the encoder's feature dimension */
    hiddenDim: z.number().int().positive().optional(),
    /** dimension of z, the vector the contrastive loss sees */
    outDim: z.number().int().positive().default(128),
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
    projection: ProjectionHeadSchema.default({ outDim: 128 }),
    /** classes of the linear classifier head on h; omit for no classifier */
    numClasses: z.number().int().positive().optional(),
    /** running-stat momentum: running = momentum * running + (1 - momentum) * batch */
    bnMomentum: z.number().min(0).max(1).default(0.9),
    bnEpsilon: z.number().positive().default(1e-5),
    /** start each residual branch's last BN scale at 0 (the block starts as identity) */
    zeroInitResidual: z.boolean().default(false),
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

export function parseModelConfig(input: unknown, where = 'model'): ModelConfig {
  const r = ModelConfigSchema.safeParse(input);
  if (r.success) return r.data;
  const msg = r.error.issues.map((i) => `${[where, ...i.path].join('.')}: ${i.message}`).join('; ');
  throw new Error(`invalid model config: ${msg}`);
}
