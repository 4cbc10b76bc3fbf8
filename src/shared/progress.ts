/**
 * Job progress, typed per job kind. Every event a job reports is one member of
 * JobProgressSchema, told apart by `kind` (train, eval, embed, dataset,
 * selftest) and, within a kind, by `type` or `stage`/`phase`: the engine's own
 * event fields, plus the common ones any UI can draw a bar from (fraction,
 * message, etaSeconds). The service turns engine events into these
 * (src/service/progress.ts), both transports carry them unchanged, and the
 * renderer's stores narrow on `kind` instead of casting.
 *
 * TrainEvent, EmbedProgress and DatasetProgress are defined here (the engine
 * imports them); the engine's EvalEvent is checked against evalEventSchema at
 * compile time in src/service/progress.ts, so the two cannot drift apart.
 */
import { z } from 'zod';
import { datasetProgressSchema } from './dataset.js';
import { embedProgressSchema } from './embed.js';
import { EVAL_PROTOCOLS, protocolResultSchema } from './eval.js';
import { RUN_STATUSES } from './run.js';

const Int = z.number().int();

/** What every progress event may carry, whatever its kind. */
const common = {
  /** 0..1 of the whole job */
  fraction: z.number().min(0).max(1).optional(),
  /** one line for a status bar */
  message: z.string().optional(),
  etaSeconds: z.number().optional(),
};

// ---------------------------------------------------------------- training (src/engine/train)

const trainStart = z.object({
  type: z.literal('start'),
  runDir: z.string(),
  runId: z.string(),
  epochs: Int,
  stepsPerEpoch: Int,
  batchSize: Int,
  /** the epoch about to run (1 for a new run) */
  startEpoch: Int,
  globalStep: Int,
  learningRate: z.number(),
  model: z.string(),
  backend: z.string(),
  /** the checkpoint a resumed run continues from */
  resumedFrom: z.string().nullable(),
});
const trainStep = z.object({
  type: z.literal('step'),
  epoch: Int,
  epochs: Int,
  step: Int,
  stepsPerEpoch: Int,
  globalStep: Int,
  loss: z.number(),
  lr: z.number(),
  /** fraction of the 2N views whose positive is ranked first */
  contrastiveAcc: z.number(),
  /** source images (each gives two views) per second, over this epoch so far */
  imagesPerSec: z.number(),
  /** seconds until the last epoch ends at the current speed */
  etaSec: z.number(),
});
const trainEpoch = z.object({ type: z.literal('epoch'), epoch: Int, epochs: Int, globalStep: Int, meanLoss: z.number(), meanContrastiveAcc: z.number(), seconds: z.number(), imagesPerSec: z.number() });
const trainKnn = z.object({ type: z.literal('knn'), epoch: Int, accuracy: z.number(), k: Int, temperature: z.number(), testCount: Int, seconds: z.number() });
const trainCheckpoint = z.object({ type: z.literal('checkpoint'), epoch: Int, globalStep: Int, dir: z.string() });
const trainEnd = z.object({
  type: z.literal('end'),
  status: z.enum(RUN_STATUSES.filter((s) => s !== 'running') as [Exclude<(typeof RUN_STATUSES)[number], 'running'>, ...Exclude<(typeof RUN_STATUSES)[number], 'running'>[]]),
  epochsCompleted: Int,
  globalStep: Int,
  seconds: z.number(),
  error: z.string().nullable(),
});

/**
 * Progress of a SimCLR run, in order: start, then per epoch its steps, the
 * epoch summary, (kNN), checkpoint; finally end (also after cancel/failure).
 * Epochs are numbered from 1; `step` counts the steps done in the epoch (1..stepsPerEpoch).
 */
export const trainEventSchema = z.discriminatedUnion('type', [trainStart, trainStep, trainEpoch, trainKnn, trainCheckpoint, trainEnd]);
export type TrainEvent = z.infer<typeof trainEventSchema>;

// ---------------------------------------------------------------- evaluation (src/engine/eval)

const protocol = z.enum(EVAL_PROTOCOLS);
const evalData = z.object({ type: z.literal('data'), dataset: z.string(), train: Int, test: Int, numClasses: Int, inputSize: Int, transfer: z.boolean() });
const evalStart = z.object({ type: z.literal('start'), protocol, labelFraction: z.number() });
const evalFeatures = z.object({ type: z.literal('features'), protocol, split: z.enum(['train', 'test']), done: Int, total: Int });
const evalLinear = z.object({ type: z.literal('linear'), protocol, stage: z.enum(['select', 'refit']), l2: z.number(), index: Int, of: Int, iteration: Int, loss: z.number(), valTop1: z.number().optional() });
const evalTrain = z.object({ type: z.literal('train'), protocol, labelFraction: z.number(), epoch: Int, epochs: Int, step: Int, steps: Int, loss: z.number(), lr: z.number() });
const evalDone = z.object({ type: z.literal('done'), protocol, result: protocolResultSchema });

export const evalEventSchema = z.discriminatedUnion('type', [evalData, evalStart, evalFeatures, evalLinear, evalTrain, evalDone]);
export type EvalEvent = z.infer<typeof evalEventSchema>;

// ---------------------------------------------------------------- the union

const kind = <K extends string>(k: K) => ({ kind: z.literal(k), ...common });

const trainProgressSchema = z.discriminatedUnion('type', [
  trainStart.extend(kind('train')),
  trainStep.extend(kind('train')),
  trainEpoch.extend(kind('train')),
  trainKnn.extend(kind('train')),
  trainCheckpoint.extend(kind('train')),
  trainEnd.extend(kind('train')),
]);
const evalProgressSchema = z.discriminatedUnion('type', [
  evalData.extend(kind('eval')),
  evalStart.extend(kind('eval')),
  evalFeatures.extend(kind('eval')),
  evalLinear.extend(kind('eval')),
  evalTrain.extend(kind('eval')),
  evalDone.extend(kind('eval')),
]);
/** runId lets the UI match an embedding job to its run */
const embedJobProgressSchema = embedProgressSchema.extend({ ...kind('embed'), runId: z.string() });
/** the engine's etaSeconds may be null (unknown); here it is left out instead */
const datasetJobProgressSchema = datasetProgressSchema.extend(kind('dataset'));
const selftestProgressSchema = z.object({ ...kind('selftest'), step: Int, totalSteps: Int });

export const JobProgressSchema = z.discriminatedUnion('kind', [trainProgressSchema, evalProgressSchema, embedJobProgressSchema, datasetJobProgressSchema, selftestProgressSchema]);
export type JobProgress = z.infer<typeof JobProgressSchema>;
type ProgressKind = JobProgress['kind'];
/** The progress events of one kind: ProgressOf<'train'> is a TrainEvent plus the common fields. */
export type ProgressOf<K extends ProgressKind> = Extract<JobProgress, { kind: K }>;
