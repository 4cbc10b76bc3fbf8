/**
 * Training configuration for SimCLR pretraining: the schema, its defaults (a
 * tiny run that finishes on a laptop CPU in minutes) and the parser that turns
 * bad input into messages naming the field.
 *
 *   parseTrainConfig(raw, source?)  -> TrainConfig (defaults filled in) or throws TrainConfigError
 *   resolveLearningRate(cfg)        -> the peak learning rate after batch-size scaling
 *
 * Imports nothing from Node or Electron: the renderer validates forms with it too.
 */
import { z } from 'zod';
import { BACKEND_PREFERENCES } from './backend.js';
import { datasetRefSchema } from './dataset.js';
import { CONV_PADDINGS, DEFAULT_MODEL_PRESET, LEGACY_MODEL_DEFAULTS, MODEL_PRESET_NAMES } from './model-config.js';
import { ValidationError, zodIssues, type Issue } from './validation.js';

export const OPTIMIZERS = ['lars', 'sgd', 'adamw'] as const;
export type OptimizerName = (typeof OPTIMIZERS)[number];
/**
 * Weight decay when the config gives none: SimCLR's 1e-6 for lars and sgd (added to
 * the gradient), 0.01 for adamw (decoupled, as PyTorch). The optim module's own
 * schema defaults (src/engine/optim/config.ts) read this too.
 */
export const DEFAULT_WEIGHT_DECAY: Readonly<Record<OptimizerName, number>> = { lars: 1e-6, sgd: 1e-6, adamw: 0.01 };
export const LR_SCALINGS = ['linear', 'sqrt'] as const;
/** the backends a run may ask for (src/shared/backend.ts) */
export const TRAIN_BACKENDS = BACKEND_PREFERENCES;

const positiveInt = z.number().int().positive();
/**
 * Upper bounds: far above any run this app can train (the SimCLR paper's
 * largest batch is 8192, its head 2048 wide), low enough that a typo cannot
 * ask for terabytes. The memory estimate before training is the finer check.
 */
export const CONFIG_LIMITS = { projectionDim: 16384, batchSize: 8192, epochs: 100_000, evalBatchSize: 8192 } as const;

export const modelSectionSchema = z
  .object({
    /** a preset of src/shared/model-config.ts (MODEL_PRESETS: tiny = ResNet-18 x0.25 ... paper = ResNet-50) */
    preset: z.enum(MODEL_PRESET_NAMES).default(DEFAULT_MODEL_PRESET),
    /** overrides the preset's depth */
    depth: z.union([z.literal(18), z.literal(34), z.literal(50)]).optional(),
    /** overrides the preset's width multiplier */
    width: z.number().positive().max(4).optional(),
    /** output size of the projection head g (the NT-Xent space) */
    projectionDim: positiveInt.max(CONFIG_LIMITS.projectionDim).default(128),
    /** hidden size of g; by default the representation size */
    projectionHiddenDim: positiveInt.max(CONFIG_LIMITS.projectionDim).optional(),
    /**
     * end g with batch norm (scale, no offset) after a bias-free last Linear, as the
     * SimCLR reference does; false: a plain Linear(bias) output layer
     */
    projectionOutputBatchNorm: z.boolean().default(true),
    /** start each residual block's last BN scale at 0 (the block starts as identity), as the SimCLR reference does */
    zeroInitResidual: z.boolean().default(true),
    /** conv and max-pool padding (see CONV_PADDINGS in model-config.ts): symmetric, as PyTorch and the reference */
    padding: z.enum(CONV_PADDINGS).default('symmetric'),
  })
  .strict();

/**
 * Model-section values that reproduce runs recorded before these fields existed
 * (their run.json config lacks them): such runs were built without the output
 * batch norm, without zero-initialised residual branches and with TensorFlow
 * 'SAME' conv padding (model format version 1). New runs record
 * every field, because run.json stores the config with its defaults filled in.
 */
export const LEGACY_MODEL_SECTION = { projectionOutputBatchNorm: false, zeroInitResidual: false, padding: LEGACY_MODEL_DEFAULTS.padding } as const;

/**
 * A recorded training config (run.json's `config`) with the model-section fields
 * it lacks set to their legacy values (LEGACY_MODEL_SECTION) instead of today's
 * defaults, so an old run resolves to the model it was trained with. Apply it to
 * recorded configs only: a new config without the fields gets the defaults.
 */
export function withLegacyModelSection(recorded: unknown): unknown {
  if (recorded === null || typeof recorded !== 'object' || Array.isArray(recorded)) return recorded;
  const c = recorded as Record<string, unknown>;
  const model = c.model ?? {};
  if (model === null || typeof model !== 'object' || Array.isArray(model)) return recorded;
  return { ...c, model: { ...LEGACY_MODEL_SECTION, ...model } };
}

export const optimizerSectionSchema = z
  .object({
    name: z.enum(OPTIMIZERS).default('lars'),
    /**
     * Base learning rate before scaling; by default 0.3 (linear) or 0.075 (sqrt)
     * for lars/sgd as in the SimCLR paper; for adamw, 1e-3 at batch 256 under either
     * rule (1e-3 linear, 1e-3/16 sqrt), since Adam's steps do not grow with the batch.
     */
    baseLr: z.number().positive().optional(),
    /** linear: lr = base x batch/256; sqrt: lr = base x sqrt(batch) */
    lrScaling: z.enum(LR_SCALINGS).default('sqrt'),
    /** default: DEFAULT_WEIGHT_DECAY of the optimiser */
    weightDecay: z.number().min(0).optional(),
    /** linear warmup length in epochs (may be fractional), then cosine decay to 0 */
    warmupEpochs: z.number().min(0).default(1),
    /** momentum for lars and sgd */
    momentum: z.number().min(0).max(1).default(0.9),
  })
  .strict();

export const knnSectionSchema = z
  .object({
    /** run the kNN monitor every K epochs (and after the last one); 0 turns it off */
    every: z.number().int().min(0).default(1),
    k: positiveInt.default(200),
    /** votes are weighted by exp(similarity / temperature) */
    temperature: z.number().positive().default(0.1),
    /** use at most this many test images (null: the whole test split) */
    testLimit: positiveInt.nullable().default(null),
    /** also run it before the first step (epoch 0): the random-init baseline of the same encoder */
    atStart: z.boolean().default(false),
  })
  .strict();

export const trainConfigSchema = z
  .object({
    /** run name; the run id is derived from it and the start time */
    runName: z.string().min(1).max(80).optional(),
    /**
     * Which dataset: its text form (a builtin id such as "cifar10", a cached id, or a
     * folder/archive path; see parseDatasetRef in ./dataset.ts) or a DatasetRef object.
     */
    dataset: z.union([z.string().min(1, 'give a dataset folder, archive or id'), datasetRefSchema], {
      error: (iss) =>
        iss.input === undefined
          ? 'required: a builtin id ("cifar10"), a cached dataset id, or a folder/archive path'
          : 'expected a dataset id or path (text), or a {"kind": "builtin"|"cached"|"path", ...} reference',
    }),
    /** use at most this many training images (null: all), taken in file order */
    trainLimit: positiveInt.nullable().default(null),
    model: modelSectionSchema.default(() => modelSectionSchema.parse({})),
    /** augmentation pipeline: a preset name (e.g. "SimCLR CIFAR"), a pipeline JSON file, or the pipeline itself */
    pipeline: z.union([z.string().min(1), z.record(z.string(), z.unknown())]).default('SimCLR CIFAR'),
    epochs: positiveInt.max(CONFIG_LIMITS.epochs).default(5),
    batchSize: z.number().int().min(2, 'NT-Xent needs at least 2 images per batch').max(CONFIG_LIMITS.batchSize).default(128),
    optimizer: optimizerSectionSchema.default(() => optimizerSectionSchema.parse({})),
    /** NT-Xent temperature */
    temperature: z.number().positive().default(0.5),
    seed: z.number().int().min(0).max(2 ** 32 - 1).default(0),
    backend: z.enum(TRAIN_BACKENDS).default('auto'),
    knn: knnSectionSchema.default(() => knnSectionSchema.parse({})),
    /** where runs/<run-id>/ is created; null: the data root's runs/ folder */
    outDir: z.string().min(1).nullable().default(null),
    /** data root (null: the default of src/shared/data-root.ts, resolved by the caller) */
    dataRoot: z.string().min(1).nullable().default(null),
    /** batch size for feature extraction in the kNN monitor */
    evalBatchSize: positiveInt.max(CONFIG_LIMITS.evalBatchSize).default(256),
  })
  .strict();

export type TrainConfigInput = z.input<typeof trainConfigSchema>;
export type TrainConfig = z.output<typeof trainConfigSchema>;

/** A config that failed validation; `issues` says which field and what is wrong. */
export class TrainConfigError extends ValidationError {
  constructor(issues: Issue[], source?: string) {
    super(issues, 'training config', source);
    this.name = 'TrainConfigError';
  }
}

const describeIssue = (issue: z.core.$ZodIssue): string | undefined =>
  issue.code === 'unrecognized_keys' ? `unknown field${issue.keys.length > 1 ? 's' : ''} ${issue.keys.map((k) => `"${k}"`).join(', ')} (check the spelling; see train --help)` : undefined;

/** Validate a raw config (parsed JSON, flags) and fill in the defaults. */
export function parseTrainConfig(raw: unknown, source?: string): TrainConfig {
  const r = trainConfigSchema.safeParse(raw);
  if (!r.success) throw new TrainConfigError(zodIssues(r.error, '(config)', describeIssue), source);
  const cfg = r.data;
  // Resolve the optimiser defaults that depend on other fields, so run.json records the values used.
  cfg.optimizer.baseLr ??= defaultBaseLr(cfg.optimizer.name, cfg.optimizer.lrScaling);
  cfg.optimizer.weightDecay ??= DEFAULT_WEIGHT_DECAY[cfg.optimizer.name];
  const problems: Issue[] = crossFieldProblems(cfg);
  if (problems.length) throw new TrainConfigError(problems, source);
  return cfg;
}

/** Checks between fields that the schema cannot express; the CLI and the API's jobs.start both apply them. */
export function crossFieldProblems(cfg: Pick<TrainConfig, 'epochs' | 'batchSize' | 'trainLimit' | 'optimizer'>): { path: string; message: string }[] {
  const problems: { path: string; message: string }[] = [];
  if (cfg.optimizer.warmupEpochs > cfg.epochs) problems.push({ path: 'optimizer.warmupEpochs', message: `${cfg.optimizer.warmupEpochs} is longer than epochs (${cfg.epochs}); lower it or train longer` });
  if (cfg.trainLimit !== null && cfg.trainLimit < cfg.batchSize) problems.push({ path: 'trainLimit', message: `${cfg.trainLimit} images is less than one batch (batchSize ${cfg.batchSize})` });
  return problems;
}

/** The default base learning rate for an optimiser and scaling rule. */
export function defaultBaseLr(name: TrainConfig['optimizer']['name'], scaling: TrainConfig['optimizer']['lrScaling']): number {
  // Adam normalises the gradient, so the SimCLR sqrt rule's 0.075 x sqrt(B) would be
  // far too large; anchor it at the usual 1e-3 for batch 256 under both rules.
  if (name === 'adamw') return scaling === 'linear' ? 1e-3 : 1e-3 / 16;
  return scaling === 'linear' ? 0.3 : 0.075;
}

/** Peak learning rate: base x batch/256 (linear) or base x sqrt(batch) (sqrt). */
export function resolveLearningRate(cfg: Pick<TrainConfig, 'batchSize' | 'optimizer'>): number {
  const base = cfg.optimizer.baseLr ?? defaultBaseLr(cfg.optimizer.name, cfg.optimizer.lrScaling);
  return cfg.optimizer.lrScaling === 'linear' ? (base * cfg.batchSize) / 256 : base * Math.sqrt(cfg.batchSize);
}
