/**
 * The SimCLR pretraining loop. See index.ts for the API and the run directory.
 */
import os from 'node:os';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { abortError, isAbortError } from '../abort.js';
import { augmentPair, evalBatch, loadPipeline, Rng, type RngState } from '../augment/index.js';
import { initBackend, type BackendInfo } from '../backend/index.js';
import { openDataset } from '../data/index.js';
import type { Dataset, ImageSet } from '../data/types.js';
import { subset } from '../data/types.js';
import { extractFeatures, knnAccuracy } from '../eval/knn.js';
import { ntXent } from '../loss/index.js';
import { createModel, type Model } from '../models/index.js';
import { defaultDataRoot } from '../runs/paths.js';
import type { Pipeline } from '../../shared/pipeline.js';
import type { RunRecord } from '../../shared/run.js';
import { parseTrainConfig, resolveLearningRate, type TrainConfig, type TrainConfigInput } from '../../shared/train-config.js';
import { newestReadableCheckpoint, removeStaleTemps, writeCheckpoint, type LoadedCheckpoint } from './checkpoint.js';
import type { TrainEvent, TrainResult } from './events.js';
import { checkTrainingMemory, estimateTrainingMemory } from './memory-estimate.js';
import { modelConfigOf, modelLabel } from './model-config.js';
import type { ModelConfig } from '../../shared/model-config.js';
import { createTrainOptimizer, type TrainOptimizer } from './optimizer.js';
import { collectVersions, createRun, datasetRecord, imageSetsChecksum, lockRunForResume, readRun, RunWriter } from './run-dir.js';
import type { Lock } from '../runs/lock.js';

export interface TrainOptions {
  /** a new run: the config (validated here; defaults filled in) */
  config?: TrainConfigInput | TrainConfig;
  /** continue the run in this directory from its latest checkpoint (its run.json gives the config) */
  resume?: string;
  /** override the backend (default: config.backend); for resume, the original run's backend is best for exactness */
  backend?: string;
  /** an already opened dataset instead of opening config.dataset (tests, the app's open dataset) */
  dataset?: Dataset;
  signal?: AbortSignal;
  onProgress?: (event: TrainEvent) => void;
}

/** Stream seeds: the augmentation stream uses the seed, the shuffle stream seed + 2^32 (never equal). */
const SHUFFLE_STREAM = 2 ** 32;

function firstN(set: ImageSet, n: number | null): ImageSet {
  if (n === null || n >= set.count) return set;
  return subset(
    set,
    Array.from({ length: n }, (_, i) => i),
  );
}

/** The images a run trains and monitors on, after the config's limits. */
export function runSplits(ds: Dataset, cfg: TrainConfig): { train: ImageSet; test: ImageSet | null } {
  const train = firstN(ds.splits.train, cfg.trainLimit);
  const test = ds.splits.test ? firstN(ds.splits.test, cfg.knn.testLimit) : null;
  return { train, test };
}

async function openRunDataset(cfg: TrainConfig, given: Dataset | undefined, signal?: AbortSignal): Promise<Dataset> {
  if (given) return given;
  return openDataset(cfg.dataset, { dataRoot: cfg.dataRoot ?? undefined, signal });
}

function sourceOf(ds: Dataset, cfg: TrainConfig): string {
  if (ds.source) return ds.source;
  if (typeof cfg.dataset === 'string') return cfg.dataset;
  return cfg.dataset.kind === 'path' ? path.resolve(cfg.dataset.path) : cfg.dataset.id;
}

function ensureNotAborted(signal?: AbortSignal): void {
  if (signal?.aborted) throw abortError();
}

/** Gives the event loop a turn so an abort (signal handler, IPC message) can land between steps. */
const yieldToEventLoop = () => new Promise<void>((r) => setImmediate(r));

interface LoopState {
  epoch: number; // epochs completed
  globalStep: number;
  shuffleRng: Rng;
  augmentRng: Rng;
}

/** Everything a run needs before a model exists: its config, backend, data and schedule. */
interface RunPlan {
  cfg: TrainConfig;
  /** the run being resumed, or null for a new run */
  previous: RunRecord | null;
  /** resume: the run directory's writer lock, held from set-up until the final status is written */
  resumeLock: Lock | null;
  backend: BackendInfo;
  pipeline: Pipeline;
  ds: Dataset;
  train: ImageSet;
  test: ImageSet | null;
  checksum: string;
  stepsPerEpoch: number;
  totalSteps: number;
  peakLr: number;
  modelConfig: ModelConfig;
}

/** A run in progress: the plan plus its model, optimiser, loop state and run directory. */
interface Session {
  plan: RunPlan;
  model: Model;
  optimizer: TrainOptimizer;
  state: LoopState;
  writer: RunWriter;
  emit: (e: TrainEvent) => void;
  signal?: AbortSignal;
  lastKnn: number | null;
}

/**
 * Steps whose loss and accuracy are read back together. A read waits for the
 * device to finish everything queued, so on a GPU reading every step would stall
 * the queue between steps; on host-memory backends (cpu, wasm, tensorflow) the
 * numbers are ready when the step returns and each step is reported as it ends.
 */
function readInterval(backend: BackendInfo): number {
  return backend.name === 'webgpu' ? 10 : 1;
}

/**
 * Pretrain with SimCLR. Resolves when every epoch is done (status completed);
 * rejects with an AbortError after `signal` fires (status cancelled) or with
 * the error that stopped it (status failed). Either way run.json says so.
 *
 * The algorithm: prepare data -> build model -> restore or init -> for each
 * epoch { steps (log every read interval), kNN monitor, checkpoint } -> finish.
 */
export async function trainSimclr(opts: TrainOptions): Promise<TrainResult> {
  const t0 = Date.now();
  const plan = await prepareData(opts);
  const { model, optimizer, state } = buildModel(plan);
  let session: Session;
  try {
    session = { plan, model, optimizer, state, ...(await restoreOrInit(opts, plan, model, optimizer, state)), emit: (e) => opts.onProgress?.(e), signal: opts.signal, lastKnn: null };
  } catch (err) {
    // set-up failed (run directory, checkpoint): nothing trains, free the model
    plan.resumeLock?.release();
    optimizer.dispose();
    model.dispose();
    throw err;
  }
  let finalLoss: number | null = null;
  try {
    if (plan.cfg.knn.atStart && state.globalStep === 0) await monitor(session, 0);
    while (state.epoch < plan.cfg.epochs) {
      const epoch = state.epoch + 1;
      finalLoss = await runEpoch(session, epoch);
      state.epoch = epoch;
      if (plan.cfg.knn.every > 0 && (epoch % plan.cfg.knn.every === 0 || epoch === plan.cfg.epochs)) await monitor(session, epoch);
      await checkpoint(session, epoch);
    }
  } catch (err) {
    fail(session, err, t0);
    throw err;
  } finally {
    optimizer.dispose();
    model.dispose();
  }
  return finish(session, finalLoss, t0);
}

/** Config (new or from the resumed run.json), backend, pipeline, dataset splits and the step schedule. */
async function prepareData(opts: TrainOptions): Promise<RunPlan> {
  if (!opts.config === !opts.resume) throw new Error('trainSimclr: give either config (a new run) or resume (a run directory)');
  ensureNotAborted(opts.signal);

  // One writer per run directory: a resume takes the run's lock before it reads run.json.
  const resumeLock = opts.resume ? lockRunForResume(opts.resume) : null;
  try {
    return await planRun(opts, resumeLock);
  } catch (err) {
    resumeLock?.release();
    throw err;
  }
}

async function planRun(opts: TrainOptions, resumeLock: Lock | null): Promise<RunPlan> {
  let cfg: TrainConfig;
  let previous: RunRecord | null = null;
  if (opts.resume) {
    previous = readRun(opts.resume);
    if (previous.status === 'completed') throw new Error(`${opts.resume}: the run already completed ${previous.epochsCompleted} epochs; nothing to resume`);
    cfg = parseTrainConfig(previous.config, path.join(opts.resume, 'run.json'));
  } else {
    cfg = parseTrainConfig(opts.config);
  }

  const backend = await initBackend(opts.backend ?? cfg.backend);
  const pipeline: Pipeline = previous ? (previous.pipeline as Pipeline) : loadPipeline(cfg.pipeline as string | Record<string, unknown>);
  const ds = await openRunDataset(cfg, opts.dataset, opts.signal);
  const { train, test } = runSplits(ds, cfg);
  const checksum = imageSetsChecksum(test ? [train, test] : [train]);
  if (previous && previous.dataset.checksum !== checksum) {
    throw new Error(`${opts.resume}: the dataset "${sourceOf(ds, cfg)}" no longer matches the one this run started with (checksum ${checksum.slice(0, 12)}… vs ${previous.dataset.checksum.slice(0, 12)}…); resume needs the same images`);
  }
  const stepsPerEpoch = Math.floor(train.count / cfg.batchSize);
  if (stepsPerEpoch < 1) throw new Error(`batchSize: ${cfg.batchSize} is more than the ${train.count} training images; lower it`);
  const totalSteps = stepsPerEpoch * cfg.epochs;
  const peakLr = resolveLearningRate(cfg);
  const modelConfig = modelConfigOf(cfg, pipeline.outputSize);
  checkTrainingMemory(estimateTrainingMemory(modelConfig, cfg.batchSize, pipeline.outputSize, cfg.optimizer.name), cfg);
  return { cfg, previous, resumeLock, backend, pipeline, ds, train, test, checksum, stepsPerEpoch, totalSteps, peakLr, modelConfig };
}

/** The seeded model, its optimiser with the schedule, and the loop state at step 0. */
function buildModel(plan: RunPlan): { model: Model; optimizer: TrainOptimizer; state: LoopState } {
  const { cfg, peakLr, stepsPerEpoch, totalSteps } = plan;
  const model = createModel(plan.modelConfig, cfg.seed);
  const optimizer: TrainOptimizer = createTrainOptimizer(cfg, model, { peakLr, stepsPerEpoch, totalSteps });
  const state: LoopState = { epoch: 0, globalStep: 0, shuffleRng: Rng.fromSeed(cfg.seed + SHUFFLE_STREAM), augmentRng: Rng.fromSeed(cfg.seed) };
  return { model, optimizer, state };
}

/**
 * Resume: restore the newest intact checkpoint into model, optimiser and state and
 * record the resume. New run: create the run directory and its run.json. Emits nothing.
 */
async function restoreOrInit(opts: TrainOptions, plan: RunPlan, model: Model, optimizer: TrainOptimizer, state: LoopState): Promise<{ writer: RunWriter }> {
  const { cfg, previous, backend, pipeline, ds, train, test, checksum, stepsPerEpoch, peakLr, modelConfig } = plan;
  let writer: RunWriter;
  let resumedFrom: string | null = null;
  if (previous) {
    writer = new RunWriter(opts.resume!, previous, plan.resumeLock);
    removeStaleTemps(writer.checkpointsDir);
    const found = newestReadableCheckpoint(writer.checkpointsDir);
    const ckDir = found ? found.checkpoint.dir : null;
    if (found) {
      for (const s of found.skipped) console.warn(`resume: skipping damaged checkpoint ${s.name}: ${s.reason}`);
      await restore(found.checkpoint, model, optimizer, state);
      resumedFrom = ckDir;
    }
    writer.dropMetricsAfter(state.globalStep);
    writer.update({
      status: 'running',
      endedAt: null,
      error: null,
      pid: process.pid,
      host: os.hostname(),
      epochsCompleted: state.epoch,
      globalStep: state.globalStep,
      backend: { ...backend },
      resumes: [...previous.resumes, { checkpoint: ckDir ? path.basename(ckDir) : '(none: from the start)', epoch: state.epoch, at: new Date().toISOString(), pid: process.pid }],
    });
    writer.metric({ type: 'resume', epoch: state.epoch, globalStep: state.globalStep, checkpoint: ckDir ? path.basename(ckDir) : '', attempt: previous.resumes.length + 2, time: new Date().toISOString() });
  } else {
    const runsRoot = cfg.outDir ?? path.join(cfg.dataRoot ?? defaultDataRoot(), 'runs');
    const name = cfg.runName ?? `${ds.name} ${cfg.model.preset}`;
    const created = createRun(runsRoot, name, (id): RunRecord => ({
      format: 'simclr-workbench-run',
      version: 1,
      kind: 'simclr',
      id,
      name,
      status: 'running',
      config: cfg,
      pipeline,
      model: { ...modelConfig, depth: Number(modelConfig.arch.replace('resnet', '')), featureDim: model.featureDim, params: model.numParams() },
      learningRate: peakLr,
      stepsPerEpoch,
      dataset: datasetRecord(ds, sourceOf(ds, cfg), train, test, checksum),
      seed: cfg.seed,
      backend: { ...backend },
      versions: collectVersions(),
      startedAt: new Date().toISOString(),
      endedAt: null,
      pid: process.pid,
      host: os.hostname(),
      epochsCompleted: 0,
      globalStep: 0,
      resumes: [],
      error: null,
    }));
    writer = new RunWriter(created.dir, created.record, created.lock);
  }
  opts.onProgress?.({
    type: 'start',
    runDir: writer.dir,
    runId: writer.record.id,
    epochs: cfg.epochs,
    stepsPerEpoch,
    batchSize: cfg.batchSize,
    startEpoch: state.epoch + 1,
    globalStep: state.globalStep,
    learningRate: peakLr,
    model: modelLabel(cfg, modelConfig),
    backend: backend.name,
    resumedFrom,
  });
  return { writer };
}

/** A step whose numbers are still on the device. */
interface PendingStep {
  step: number;
  lr: number;
  loss: tf.Scalar;
  accuracy: tf.Scalar;
}

/** One epoch of steps; returns the epoch's mean loss after logging the epoch summary. */
async function runEpoch(session: Session, epoch: number): Promise<number> {
  const { plan, model, optimizer, state, signal } = session;
  const { cfg, train, pipeline, stepsPerEpoch } = plan;
  const perm = state.shuffleRng.permutation(train.count);
  const batchIndices = (s: number) => perm.slice(s * cfg.batchSize, (s + 1) * cfg.batchSize);
  // The two views of a batch, concatenated: rows 0..N-1 view 1, N..2N-1 view 2 (ntXent's layout).
  const prepare = (s: number): tf.Tensor4D => {
    const { view1, view2 } = augmentPair(train, batchIndices(s), pipeline, state.augmentRng);
    const views = tf.concat([view1, view2], 0) as tf.Tensor4D;
    tf.dispose([view1, view2]);
    return views;
  };
  const interval = readInterval(plan.backend);
  const totals = { loss: 0, acc: 0, started: Date.now() };
  const pending: PendingStep[] = [];
  // the batch augmented ahead of the step that will consume it (disposed on any exit)
  let next: tf.Tensor4D | null = prepare(0);
  try {
    for (let s = 0; s < stepsPerEpoch; s++) {
      const views: tf.Tensor4D = next!;
      next = null;
      const lr = optimizer.learningRate(state.globalStep + pending.length);
      try {
        const { loss, accuracy } = trainStep(model, optimizer, views, cfg.temperature, lr);
        pending.push({ step: s + 1, lr, loss, accuracy });
      } finally {
        views.dispose();
      }
      // Batch s+1 is augmented before we wait for the steps' numbers: on asynchronous
      // backends (webgpu) its kernels queue behind the step's; on all of them
      // the JS work of drawing crop boxes and jitter factors overlaps the download.
      if (s + 1 < stepsPerEpoch) next = prepare(s + 1);
      if (pending.length >= interval || s + 1 === stepsPerEpoch) await logSteps(session, epoch, pending.splice(0), totals);
      await yieldToEventLoop();
      if (signal?.aborted) throw abortError();
    }
  } finally {
    next?.dispose();
    for (const p of pending) tf.dispose([p.loss, p.accuracy]);
  }
  const seconds = (Date.now() - totals.started) / 1000;
  const meanLoss = totals.loss / stepsPerEpoch;
  const epochRec = { epoch, globalStep: state.globalStep, meanLoss, meanContrastiveAcc: totals.acc / stepsPerEpoch, seconds, imagesPerSec: (stepsPerEpoch * cfg.batchSize) / seconds };
  session.writer.metric({ type: 'epoch', ...epochRec, time: new Date().toISOString() });
  session.emit({ type: 'epoch', epochs: cfg.epochs, ...epochRec });
  return meanLoss;
}

/** Read the steps' loss and accuracy in one download, then log and report each step in order. */
async function logSteps(session: Session, epoch: number, steps: PendingStep[], totals: { loss: number; acc: number; started: number }): Promise<void> {
  const { plan, state, writer } = session;
  const { cfg, stepsPerEpoch, totalSteps } = plan;
  let values: Float32Array;
  try {
    const packed = tf.stack(steps.flatMap((p) => [p.loss, p.accuracy]));
    values = (await packed.data()) as Float32Array;
    packed.dispose();
  } finally {
    for (const p of steps) tf.dispose([p.loss, p.accuracy]);
  }
  const elapsed = (Date.now() - totals.started) / 1000;
  steps.forEach(({ step, lr }, i) => {
    const loss = values[2 * i]!;
    const acc = values[2 * i + 1]!;
    if (!Number.isFinite(loss)) throw new Error(`the loss became ${loss} at epoch ${epoch}, step ${step}; lower the learning rate (optimizer.baseLr) or check the pipeline`);
    state.globalStep++;
    totals.loss += loss;
    totals.acc += acc;
    const secPerStep = elapsed / step;
    const stepsLeft = totalSteps - state.globalStep;
    const imagesPerSec = (step * cfg.batchSize) / Math.max(elapsed, 1e-9);
    writer.metric({ type: 'step', epoch, step, globalStep: state.globalStep, loss, lr, contrastiveAcc: acc, imagesPerSec, time: new Date().toISOString() });
    session.emit({ type: 'step', epoch, epochs: cfg.epochs, step, stepsPerEpoch, globalStep: state.globalStep, loss, lr, contrastiveAcc: acc, imagesPerSec, etaSec: stepsLeft * secPerStep });
  });
}

/** kNN top-1 on the test split, logged and reported. */
async function monitor(session: Session, epoch: number): Promise<void> {
  const { plan, state } = session;
  const { cfg, test, train, pipeline, ds } = plan;
  if (!test) return;
  const k0 = Date.now();
  const accuracy = await knnMonitor(session.model, pipeline, train, test, cfg, ds.classNames.length, session.signal);
  const knnSec = (Date.now() - k0) / 1000;
  session.lastKnn = accuracy;
  session.writer.metric({ type: 'knn', epoch, globalStep: state.globalStep, k: cfg.knn.k, temperature: cfg.knn.temperature, accuracy, testCount: test.count, seconds: knnSec, time: new Date().toISOString() });
  session.emit({ type: 'knn', epoch, accuracy, k: cfg.knn.k, temperature: cfg.knn.temperature, testCount: test.count, seconds: knnSec });
}

/** Write the epoch's checkpoint and record progress in run.json. */
async function checkpoint(session: Session, epoch: number): Promise<void> {
  const { state, writer } = session;
  const ckDir = await saveCheckpoint(writer, session.model, session.optimizer, state);
  writer.update({ epochsCompleted: state.epoch, globalStep: state.globalStep });
  session.emit({ type: 'checkpoint', epoch, globalStep: state.globalStep, dir: ckDir });
}

/** Record a cancelled or failed run in run.json and the events. */
function fail(session: Session, err: unknown, t0: number): void {
  const { state } = session;
  const aborted = isAbortError(err);
  const message = aborted ? null : err instanceof Error ? err.message : String(err);
  session.writer.finish(aborted ? 'cancelled' : 'failed', message);
  session.emit({ type: 'end', status: aborted ? 'cancelled' : 'failed', epochsCompleted: state.epoch, globalStep: state.globalStep, seconds: (Date.now() - t0) / 1000, error: message });
}

function finish(session: Session, finalLoss: number | null, t0: number): TrainResult {
  const { state, writer } = session;
  writer.finish('completed');
  const seconds = (Date.now() - t0) / 1000;
  session.emit({ type: 'end', status: 'completed', epochsCompleted: state.epoch, globalStep: state.globalStep, seconds, error: null });
  return { runDir: writer.dir, runId: writer.record.id, status: 'completed', epochsCompleted: state.epoch, globalStep: state.globalStep, finalLoss, knnAccuracy: session.lastKnn, seconds };
}

/** One optimiser step on a 2N-view batch; returns the loss and contrastive accuracy (caller disposes). */
export function trainStep(model: Model, optimizer: TrainOptimizer, views: tf.Tensor4D, temperature: number, lr: number): { loss: tf.Scalar; accuracy: tf.Scalar } {
  let accuracy: tf.Scalar | null = null;
  const { value, grads } = tf.variableGrads(() => {
    const { z } = model.forward(views, true);
    const r = ntXent(z, temperature);
    accuracy = tf.keep(r.accuracy);
    return r.loss;
  }, model.trainableVariables());
  try {
    optimizer.apply(grads, lr);
  } finally {
    tf.dispose(grads);
  }
  return { loss: value, accuracy: accuracy! };
}

/** kNN top-1 of the test split against the train split, on h in inference mode. */
export async function knnMonitor(model: Model, pipeline: Pipeline, train: ImageSet, test: ImageSet, cfg: TrainConfig, numClasses: number, signal?: AbortSignal): Promise<number> {
  const forward = (x: tf.Tensor4D) => model.encode(x, false);
  const input = (set: ImageSet, idx: number[]) => evalBatch(set, idx, pipeline);
  const bank = await extractFeatures(forward, train, { batchSize: cfg.evalBatchSize, input, signal });
  try {
    const queries = await extractFeatures(forward, test, { batchSize: cfg.evalBatchSize, input, signal });
    try {
      return await knnAccuracy(bank, train.labels, queries, test.labels, { k: cfg.knn.k, temperature: cfg.knn.temperature, numClasses, signal });
    } finally {
      queries.dispose();
    }
  } finally {
    bank.dispose();
  }
}

async function saveCheckpoint(writer: RunWriter, model: Model, optimizer: TrainOptimizer, state: LoopState): Promise<string> {
  const weights = model.getWeights();
  const slots = optimizer.slots();
  try {
    return await writeCheckpoint(
      writer.checkpointsDir,
      {
        epoch: state.epoch,
        globalStep: state.globalStep,
        state: {
          runId: writer.record.id,
          rng: { shuffle: state.shuffleRng.state(), augment: state.augmentRng.state() },
          optimizer: optimizer.meta(),
        },
      },
      {
        model: Object.entries(weights).map(([name, tensor]) => ({ name, tensor })),
        optimizer: slots,
      },
    );
  } finally {
    tf.dispose(Object.values(weights));
    tf.dispose(slots.map((s) => s.tensor));
  }
}

async function restore(ck: LoadedCheckpoint, model: Model, optimizer: TrainOptimizer, state: LoopState): Promise<void> {
  const weights: Record<string, tf.Tensor> = {};
  const slots: Record<string, tf.Tensor> = {};
  try {
    for (const [key, v] of ck.values) {
      const t = tf.tensor(v.data, v.shape, v.dtype);
      if (v.group === 'model') weights[key.slice('model/'.length)] = t;
      else slots[key.slice('optimizer/'.length)] = t;
    }
    model.setWeights(weights);
    await optimizer.load(slots, (ck.manifest.state as { optimizer?: unknown }).optimizer);
  } finally {
    tf.dispose(Object.values(weights));
    tf.dispose(Object.values(slots));
  }
  const rng = (ck.manifest.state as { rng?: { shuffle: RngState; augment: RngState } }).rng;
  if (!rng) throw new Error(`${ck.dir}: the checkpoint has no RNG states; it cannot be resumed exactly`);
  state.shuffleRng = Rng.fromState(rng.shuffle);
  state.augmentRng = Rng.fromState(rng.augment);
  state.epoch = ck.manifest.epoch;
  state.globalStep = ck.manifest.globalStep;
}
