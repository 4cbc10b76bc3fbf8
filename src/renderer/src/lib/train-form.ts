/**
 * The Train form as plain text fields (so a half-typed number is kept as typed),
 * turned into a training config and validated with the shared schema, the same
 * one the engine applies. Problems come back keyed by field path
 * ("optimizer.baseLr") for the inline hints.
 */
import { PIPELINE_PRESET_NAMES, type Pipeline } from '../../../shared/pipeline';
import { parseTrainConfig, resolveLearningRate, TrainConfigError, trainConfigSchema, type TrainConfig, type TrainConfigInput } from '../../../shared/train-config';
import { friendlyMessage } from './messages';

export const DESIGNER_PIPELINE = 'designer';

/** A number field's value: bound number inputs give numbers (null when blank), presets give text. */
export type NumText = string | number | null | undefined;

export interface TrainForm {
  runName: string;
  dataset: string;
  /** '' = all training images */
  trainLimit: NumText;
  modelPreset: TrainConfig['model']['preset'];
  /** '' = the preset's width */
  width: NumText;
  /** a preset name, or DESIGNER_PIPELINE for the designer's pipeline */
  pipeline: string;
  epochs: NumText;
  batchSize: NumText;
  optimizer: TrainConfig['optimizer']['name'];
  /** '' = the optimiser's default */
  baseLr: NumText;
  lrScaling: TrainConfig['optimizer']['lrScaling'];
  warmupEpochs: NumText;
  /** '' = the optimiser's default */
  weightDecay: NumText;
  temperature: NumText;
  seed: NumText;
  backend: TrainConfig['backend'];
  knnEvery: NumText;
  knnK: NumText;
  /** '' = the whole test split */
  knnTestLimit: NumText;
}

export const FORM_PRESETS: Record<string, { title: string; values: Partial<TrainForm> }> = {
  quick: {
    title: 'Quick look (2 epochs, 2k images)',
    values: { modelPreset: 'tiny', width: '', trainLimit: '2048', epochs: '2', batchSize: '128', optimizer: 'lars', baseLr: '', lrScaling: 'sqrt', warmupEpochs: '1', temperature: '0.5', knnEvery: '1', knnK: '50', knnTestLimit: '1000' },
  },
  laptop: {
    title: 'Laptop (30 epochs, all images)',
    values: { modelPreset: 'tiny', width: '', trainLimit: '', epochs: '30', batchSize: '256', optimizer: 'lars', baseLr: '', lrScaling: 'sqrt', warmupEpochs: '3', temperature: '0.5', knnEvery: '5', knnK: '200', knnTestLimit: '' },
  },
  paper: {
    title: 'Paper CIFAR-10 (ResNet-50, 1000 epochs, GPU)',
    values: { modelPreset: 'paper', width: '', trainLimit: '', epochs: '1000', batchSize: '1024', optimizer: 'lars', baseLr: '1.0', lrScaling: 'linear', warmupEpochs: '10', temperature: '0.5', knnEvery: '10', knnK: '200', knnTestLimit: '' },
  },
};

export function defaultForm(dataset: string): TrainForm {
  return {
    runName: '',
    dataset,
    trainLimit: '2048',
    modelPreset: 'tiny',
    width: '',
    pipeline: 'SimCLR CIFAR',
    epochs: '2',
    batchSize: '128',
    optimizer: 'lars',
    baseLr: '',
    lrScaling: 'sqrt',
    warmupEpochs: '1',
    weightDecay: '',
    temperature: '0.5',
    seed: '0',
    backend: 'auto',
    knnEvery: '1',
    knnK: '50',
    knnTestLimit: '1000',
  };
}

/** Whether a stored draft has the form's shape (every field of the defaults, each of the same kind). */
export function isTrainForm(value: unknown): value is TrainForm {
  if (!value || typeof value !== 'object') return false;
  const v = value as Record<string, unknown>;
  return Object.entries(defaultForm('')).every(([k, d]) => k in v && (typeof d !== 'string' || typeof v[k] === 'string' || typeof v[k] === 'number' || v[k] === null));
}

const blank = (s: NumText): boolean => s === null || s === undefined || String(s).trim() === '';
const num = (s: NumText): number => (blank(s) ? NaN : Number(s));
const opt = (s: NumText): number | undefined => (blank(s) ? undefined : Number(s));
const nullable = (s: NumText): number | null => (blank(s) ? null : Number(s));

/** The config the form describes (not yet validated). */
export function formToConfig(f: TrainForm, designer: Pipeline): TrainConfigInput {
  const width = opt(f.width);
  const baseLr = opt(f.baseLr);
  const weightDecay = opt(f.weightDecay);
  return {
    ...(f.runName.trim() ? { runName: f.runName.trim() } : {}),
    dataset: f.dataset,
    trainLimit: nullable(f.trainLimit),
    model: { preset: f.modelPreset, ...(width !== undefined ? { width } : {}) },
    pipeline: f.pipeline === DESIGNER_PIPELINE ? (designer as unknown as Record<string, unknown>) : f.pipeline,
    epochs: num(f.epochs),
    batchSize: num(f.batchSize),
    optimizer: {
      name: f.optimizer,
      lrScaling: f.lrScaling,
      warmupEpochs: num(f.warmupEpochs),
      ...(baseLr !== undefined ? { baseLr } : {}),
      ...(weightDecay !== undefined ? { weightDecay } : {}),
    },
    temperature: num(f.temperature),
    seed: num(f.seed),
    backend: f.backend,
    knn: { every: num(f.knnEvery), k: num(f.knnK), testLimit: nullable(f.knnTestLimit) },
  };
}

/** A form showing a config (clone to retrain); a pipeline object goes to the designer. */
export function configToForm(c: TrainConfigInput, fallbackDataset: string): { form: TrainForm; pipeline: Pipeline | null } {
  const f = defaultForm(typeof c.dataset === 'string' ? c.dataset : fallbackDataset);
  const s = (x: number | null | undefined) => (x === null || x === undefined ? '' : String(x));
  const designer = c.pipeline && typeof c.pipeline === 'object' ? (c.pipeline as unknown as Pipeline) : null;
  if (c.dataset && typeof c.dataset === 'object') f.dataset = 'id' in c.dataset ? String(c.dataset.id) : 'path' in c.dataset ? c.dataset.path : fallbackDataset;
  return {
    pipeline: designer,
    form: {
      ...f,
      runName: c.runName ?? '',
      trainLimit: s(c.trainLimit),
      modelPreset: c.model?.preset ?? 'tiny',
      width: s(c.model?.width),
      pipeline: designer ? DESIGNER_PIPELINE : typeof c.pipeline === 'string' ? c.pipeline : 'SimCLR CIFAR',
      epochs: s(c.epochs ?? 5),
      batchSize: s(c.batchSize ?? 128),
      optimizer: c.optimizer?.name ?? 'lars',
      baseLr: s(c.optimizer?.baseLr),
      lrScaling: c.optimizer?.lrScaling ?? 'sqrt',
      warmupEpochs: s(c.optimizer?.warmupEpochs ?? 1),
      weightDecay: s(c.optimizer?.weightDecay),
      temperature: s(c.temperature ?? 0.5),
      seed: s(c.seed ?? 0),
      backend: c.backend ?? 'auto',
      knnEvery: s(c.knn?.every ?? 1),
      knnK: s(c.knn?.k ?? 200),
      knnTestLimit: s(c.knn?.testLimit),
    },
  };
}

export interface FormCheck {
  config: TrainConfig | null;
  /** field path -> problem, as a sentence (blocks the start) */
  issues: Map<string, string>;
  /** field path -> a value that is allowed but almost surely a mistake (does not block) */
  warnings: Map<string, string>;
}

/** Above this peak learning rate (after batch scaling) training diverges in practice. */
export const ABSURD_PEAK_LR = 100;

/** Values the schema allows that are very likely slips: a huge learning rate, a warmup longer than half the run. */
export function formWarnings(config: TrainConfig): Map<string, string> {
  const w = new Map<string, string>();
  const peak = resolveLearningRate(config);
  if (peak > ABSURD_PEAK_LR) w.set('optimizer.baseLr', `The peak learning rate after ${config.optimizer.lrScaling} scaling is ${peak.toPrecision(3)}, above ${ABSURD_PEAK_LR}: training will almost surely diverge. Check the base learning rate.`);
  if (config.optimizer.warmupEpochs > config.epochs / 2) {
    w.set('optimizer.warmupEpochs', `Warmup (${config.optimizer.warmupEpochs} epochs) is longer than half the run (${config.epochs} epochs): the learning rate spends most of the run climbing.`);
  }
  return w;
}

/** Validate with the shared schema; cross-field rules (warmup vs epochs, limit vs batch) included. */
export function checkForm(f: TrainForm, designer: Pipeline): FormCheck {
  const raw = formToConfig(f, designer);
  const issues = new Map<string, string>();
  const warnings = new Map<string, string>();
  const r = trainConfigSchema.safeParse(raw);
  if (!r.success) {
    for (const i of r.error.issues) {
      const path = i.path.map(String).join('.');
      if (!issues.has(path)) issues.set(path, friendlyMessage(path, i.message));
    }
    return { config: null, issues, warnings };
  }
  try {
    const config = parseTrainConfig(raw);
    return { config, issues, warnings: formWarnings(config) };
  } catch (err) {
    if (!(err instanceof TrainConfigError)) throw err;
    for (const issue of err.issues) issues.set(issue.path, friendlyMessage(issue.path, issue.message));
    return { config: null, issues, warnings };
  }
}

export const PIPELINE_CHOICES = [...PIPELINE_PRESET_NAMES];
