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
import { datasetRefSchema } from './dataset.js';

export const MODEL_PRESETS = ['tiny', 'small', 'standard', 'paper'] as const;
export const OPTIMIZERS = ['lars', 'sgd', 'adamw'] as const;
export const LR_SCALINGS = ['linear', 'sqrt'] as const;
export const TRAIN_BACKENDS = ['auto', 'tensorflow', 'wasm', 'cpu'] as const;

const positiveInt = z.number().int().positive();
/**
 * Upper bounds: far above any run this app can train (the SimCLR paper's
 * largest batch is 8192, its head 2048 wide), low enough that a typo cannot
 * ask for terabytes. The memory estimate before training is the finer check.
 */
export const CONFIG_LIMITS = { projectionDim: 16384, batchSize: 8192, epochs: 100_000, evalBatchSize: 8192 } as const;

export const modelSectionSchema = z
  .object({
    /** tiny = ResNet-18 x0.25, small = ResNet-18 x0.5, standard = ResNet-18, paper = ResNet-50 */
    preset: z.enum(MODEL_PRESETS).default('tiny'),
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
  })
  .strict();

/**
 * Model-section values that reproduce runs recorded before these fields existed
 * (their run.json config lacks them): such runs were built without the output
 * batch norm and without zero-initialised residual branches. New runs record
 * every field, because run.json stores the config with its defaults filled in.
 */
export const LEGACY_MODEL_SECTION = { projectionOutputBatchNorm: false, zeroInitResidual: false } as const;

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
    /** default 1e-6 for lars and sgd (SimCLR), 0.01 for adamw (decoupled) */
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
    /** data root (default $SIMCLR_DATA_ROOT or ~/.simclr-workbench, resolved by the caller) */
    dataRoot: z.string().min(1).nullable().default(null),
    /** batch size for feature extraction in the kNN monitor */
    evalBatchSize: positiveInt.max(CONFIG_LIMITS.evalBatchSize).default(256),
  })
  .strict();

export type TrainConfigInput = z.input<typeof trainConfigSchema>;
export type TrainConfig = z.output<typeof trainConfigSchema>;

/** A config that failed validation; `issues` lists one "field: problem" per line. */
export class TrainConfigError extends Error {
  constructor(
    readonly issues: string[],
    source?: string,
  ) {
    super(`${source ? `${source}: ` : ''}invalid training config:\n  ${issues.join('\n  ')}`);
    this.name = 'TrainConfigError';
  }
}

function fieldPath(path: readonly PropertyKey[]): string {
  return path.length ? path.map((p) => (typeof p === 'number' ? `[${p}]` : String(p))).join('.').replace(/\.\[/g, '[') : '(config)';
}

function describeIssue(issue: z.core.$ZodIssue): string {
  if (issue.code === 'unrecognized_keys') {
    const where = issue.path.length ? `${fieldPath(issue.path)}: ` : '';
    return `${where}unknown field${issue.keys.length > 1 ? 's' : ''} ${issue.keys.map((k) => `"${k}"`).join(', ')} (check the spelling; see the train config reference)`;
  }
  return `${fieldPath(issue.path)}: ${issue.message}`;
}

/** Validate a raw config (parsed JSON, flags) and fill in the defaults. */
export function parseTrainConfig(raw: unknown, source?: string): TrainConfig {
  const r = trainConfigSchema.safeParse(raw);
  if (!r.success) throw new TrainConfigError(r.error.issues.map(describeIssue), source);
  const cfg = r.data;
  // Resolve the optimiser defaults that depend on other fields, so run.json records the values used.
  cfg.optimizer.baseLr ??= defaultBaseLr(cfg.optimizer.name, cfg.optimizer.lrScaling);
  cfg.optimizer.weightDecay ??= cfg.optimizer.name === 'adamw' ? 0.01 : 1e-6;
  const problems = crossFieldProblems(cfg).map((p) => `${p.path}: ${p.message}`);
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
