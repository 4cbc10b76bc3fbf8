import fs from 'node:fs';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { currentBackend, initBackend } from '../backend/index.js';
import { openDataset } from '../data/index.js';
import { subset, type Dataset, type ImageSet } from '../data/types.js';
import { loadEncoder, type LoadedEncoder } from '../train/encoder.js';
import { METRICS_JSONL, readRun } from '../train/run-dir.js';
import { DEFAULT_FINETUNE_RECIPE, DEFAULT_LINEAR_PROTOCOL, type EvalProtocol, type EvalReport, type FinetuneRecipeName, type LinearProtocolName, type ProtocolResult } from '../../shared/eval.js';
import type { Pipeline } from '../../shared/pipeline.js';
import type { RunRecord } from '../../shared/run.js';
import { throwIfAborted } from '../abort.js';
import { balancedSubset } from './common.js';
import { encoderFeatures, pipelineAt } from './features.js';
import { classifierModel, trainClassifier, type ClassifierTrainOptions, type ClassifierTrainResult } from './finetune.js';
import { KNN_DEFAULTS, knnPredict } from './knn.js';
import { linearEval, type LinearEvalResult } from './linear.js';
import { metricsFromPredictions } from './metrics.js';
import { pixelFeatures } from './pixels.js';
import { FINETUNE_RECIPE_TABLE, LINEAR_B6_RECIPE, supervisedRecipe, type TrainRecipe } from './recipes.js';
import { saveResults } from './report.js';

/** The order `all` runs them in: cheap baselines first, so an interrupted run still reports something. */
export const ALL_PROTOCOLS: EvalProtocol[] = ['pixels', 'random', 'linear', 'knn', 'finetune', 'supervised'];

export type EvalEvent =
  | { type: 'data'; dataset: string; train: number; test: number; numClasses: number; inputSize: number; transfer: boolean }
  | { type: 'start'; protocol: EvalProtocol; labelFraction: number }
  | { type: 'features'; protocol: EvalProtocol; split: 'train' | 'test'; done: number; total: number }
  | { type: 'linear'; protocol: EvalProtocol; stage: 'select' | 'refit'; l2: number; index: number; of: number; iteration: number; loss: number; valTop1?: number }
  | { type: 'train'; protocol: EvalProtocol; labelFraction: number; epoch: number; epochs: number; step: number; steps: number; loss: number; lr: number }
  | { type: 'done'; protocol: EvalProtocol; result: ProtocolResult };

export interface EvaluateOptions {
  protocols: EvalProtocol[];
  /** evaluate on this dataset (ref or opened) instead of the run's own: transfer */
  dataset?: string | Dataset;
  /** data root for opening datasets (default $SIMCLR_DATA_ROOT or ~/.simclr-workbench) */
  dataRoot?: string;
  /** false: read dataset sources without writing a decoded cache */
  cache?: boolean;
  /** which checkpoint of the run (default latest) */
  checkpoint?: 'latest' | number | string;
  /** feed the encoder at this side (default: the run's pipeline outputSize) */
  inputSize?: number;
  /** use the first N training / test images (default all) */
  trainLimit?: number | null;
  testLimit?: number | null;
  /** label fractions for finetune and supervised (class-balanced, seeded); default [1] */
  labelFractions?: number[];
  /** hyperparameters of finetune and supervised (default 'cifar'; see ./recipes.ts) */
  recipe?: FinetuneRecipeName;
  /** how linear (and random) evaluation trains its classifier (default 'lbfgs') */
  linearProtocol?: LinearProtocolName;
  /** epochs of the paper-b6 linear protocol (default 90) */
  linearEpochs?: number;
  /** training epochs of finetune and supervised (default: the recipe's, 10 for cifar) */
  epochs?: number;
  /** fine-tuning / supervised batch size (default: the recipe's) */
  batchSize?: number;
  /** base learning rates (per 256 images) */
  finetuneLr?: number;
  supervisedLr?: number;
  l2Grid?: number[];
  /** L-BFGS iterations per fit */
  maxIter?: number;
  knn?: { k?: number; temperature?: number };
  seed?: number;
  backend?: string;
  /** write eval.json (and an eval line in metrics.jsonl); default true */
  save?: boolean;
  signal?: AbortSignal;
  onProgress?: (event: EvalEvent) => void;
}

export interface EvaluateResult {
  results: ProtocolResult[];
  /** the run's report after saving (null with save: false) */
  report: EvalReport | null;
  run: EvalReport['run'];
}

/** Dataset family for matching published numbers: cifar10, cifar100, cifar100-coarse, else the id. */
export function datasetFamily(format: string, numClasses: number, id: string): string {
  if (format === 'cifar10') return 'cifar10';
  if (format === 'cifar100') return numClasses === 20 ? 'cifar100-coarse' : 'cifar100';
  return id;
}

function firstN(set: ImageSet, n: number | null | undefined): ImageSet {
  if (n == null || n >= set.count) return set;
  if (!(n >= 1)) throw new Error(`limit must be at least 1, got ${n}`);
  return subset(
    set,
    Array.from({ length: n }, (_, i) => i),
  );
}

/** Check a run directory before anything heavy: it exists, has a valid run.json, and a checkpoint when one is needed. */
export function checkRunDir(runDir: string): RunRecord {
  if (!fs.existsSync(runDir)) throw new Error(`${runDir}: no such directory (give a run directory, e.g. ~/.simclr-workbench/runs/<run-id>)`);
  if (!fs.statSync(runDir).isDirectory()) throw new Error(`${runDir}: not a directory (give a run directory, not a file inside it)`);
  if (!fs.existsSync(path.join(runDir, 'run.json'))) throw new Error(`${runDir}: no run.json here, so this is not a run directory (runs live under <data-root>/runs/)`);
  return readRun(runDir);
}

async function openEvalDataset(record: RunRecord, opts: EvaluateOptions): Promise<{ ds: Dataset; own: boolean }> {
  const open = (ref: string) => openDataset(ref, { dataRoot: opts.dataRoot, cache: opts.cache, signal: opts.signal });
  if (opts.dataset !== undefined) return { ds: typeof opts.dataset === 'string' ? await open(opts.dataset) : opts.dataset, own: false };
  // The run's own data: from where training read it, else from how the config named it.
  if (record.dataset.path && fs.existsSync(record.dataset.path)) return { ds: await open(record.dataset.path), own: true };
  const ref = record.config.dataset;
  if (typeof ref !== 'string') throw new Error(`run.json: dataset is not available at ${record.dataset.path}; pass --dataset to name it`);
  return { ds: await open(ref), own: true };
}

function modelLabel(m: LoadedEncoder['model']): string {
  return `ResNet-${m.config.arch.replace('resnet', '')} x${m.config.width}`;
}

/** Everything the protocols share once the run, its encoder and the data are ready. */
interface EvalContext {
  runDir: string;
  opts: EvaluateOptions;
  record: RunRecord;
  backend: { name: string; device: string };
  emit: (event: EvalEvent) => void;
  seed: number;
  /** the checkpoint's encoder, when a protocol needs it */
  pretrained: LoadedEncoder | null;
  /** the run's encoder at its random initialisation (a fresh copy per call; the caller disposes it) */
  initModel: () => LoadedEncoder;
  run: EvalReport['run'];
  runFamily: string;
  train: ImageSet;
  test: ImageSet;
  numClasses: number;
  inputSize: number;
  pipeline: Pipeline;
  dsInfo: (size: number) => ProtocolResult['dataset'];
  results: ProtocolResult[];
  /** h of the pretrained encoder on train and test, extracted once and shared by linear and knn */
  featureCache: { train: tf.Tensor2D; test: tf.Tensor2D } | null;
}

type Features = { train: tf.Tensor2D; test: tf.Tensor2D; cached: boolean };

/**
 * Run evaluation protocols on a run's encoder and (by default) save them to
 * the run's eval.json. Each protocol's result is saved as soon as it is done.
 * The steps: prepare (run, encoder, data) -> for each protocol: run it ->
 * record its result (eval.json, metrics.jsonl, progress).
 */
export async function evaluateRun(runDir: string, opts: EvaluateOptions): Promise<EvaluateResult> {
  const ctx = await prepareEvaluation(runDir, opts);
  try {
    for (const protocol of opts.protocols) {
      throwIfAborted(opts.signal);
      await runProtocol(ctx, protocol);
    }
  } finally {
    const fc = ctx.featureCache;
    if (fc) tf.dispose([fc.train, fc.test]);
    ctx.pretrained?.model.dispose();
  }
  const report = opts.save === false ? null : saveResults(runDir, ctx.run, []);
  return { results: ctx.results, report, run: ctx.run };
}

/** Check the run, initialise the backend, load the encoder (before any data, so a run without a checkpoint fails fast), open the data. */
async function prepareEvaluation(runDir: string, opts: EvaluateOptions): Promise<EvalContext> {
  const record = checkRunDir(runDir);
  if (opts.protocols.length === 0) throw new Error('no protocols to run');
  const needsCheckpoint = opts.protocols.some((p) => p === 'linear' || p === 'knn' || p === 'finetune');
  await initBackend(opts.backend);
  const backend = currentBackend()!;
  const pretrained = needsCheckpoint ? loadEncoder(runDir, { checkpoint: opts.checkpoint ?? 'latest' }) : null;
  const initModel = () => loadEncoder(runDir, { checkpoint: 'init' });
  const runFamily = datasetFamily(record.dataset.format, record.dataset.classNames.length, record.dataset.id);
  const run: EvalReport['run'] = { id: record.id, arch: '', pretrainDataset: runFamily, pretrainEpochs: pretrained?.checkpoint?.epoch ?? record.epochsCompleted };
  try {
    const { ds } = await openEvalDataset(record, opts);
    if (!ds.splits.test) throw new Error(`dataset ${ds.name} (${ds.id}) has no test split: evaluation scores the test images; use a dataset with one`);
    const train = firstN(ds.splits.train, opts.trainLimit);
    const test = firstN(ds.splits.test, opts.testLimit);
    for (const l of train.labels) if (l < 0) throw new Error(`dataset ${ds.name}: the training split is unlabelled; evaluation needs labels`);
    const numClasses = ds.classNames.length;
    const family = datasetFamily(ds.format, numClasses, ds.id);
    const encoderInfo = pretrained ?? initModel();
    const basePipeline = encoderInfo.pipeline;
    run.arch = modelLabel(encoderInfo.model);
    if (!pretrained) encoderInfo.model.dispose();
    const inputSize = opts.inputSize ?? basePipeline.outputSize;
    const emit = opts.onProgress ?? (() => {});
    emit({ type: 'data', dataset: ds.name, train: train.count, test: test.count, numClasses, inputSize, transfer: family !== runFamily });
    return {
      runDir,
      opts,
      record,
      backend: { name: backend.name, device: backend.device },
      emit,
      seed: opts.seed ?? record.seed,
      pretrained,
      initModel,
      run,
      runFamily,
      train,
      test,
      numClasses,
      inputSize,
      pipeline: pipelineAt(basePipeline, inputSize),
      dsInfo: (size) => ({ id: ds.id, family, name: ds.name, numClasses, trainCount: train.count, testCount: test.count, inputSize: size }),
      results: [],
      featureCache: null,
    };
  } catch (err) {
    pretrained?.model.dispose();
    throw err;
  }
}

/** Run one protocol (finetune and supervised: once per label fraction) and record each result. */
async function runProtocol(ctx: EvalContext, protocol: EvalProtocol): Promise<void> {
  switch (protocol) {
    case 'pixels':
      return runPixels(ctx);
    case 'random':
    case 'linear':
      return runLinear(ctx, protocol);
    case 'knn':
      return runKnn(ctx);
    case 'finetune':
    case 'supervised':
      for (const fraction of ctx.opts.labelFractions ?? [1]) {
        throwIfAborted(ctx.opts.signal);
        await runTrained(ctx, protocol, fraction);
      }
      return;
    default:
      throw new Error(`unknown protocol "${String(protocol)}"`);
  }
}

/** Save a finished protocol's result (eval.json + metrics.jsonl unless save: false) and report it. */
function recordResult(ctx: EvalContext, r: Omit<ProtocolResult, 'finishedAt' | 'compute'>, t0: number, epochs: number, images: number): ProtocolResult {
  const result: ProtocolResult = {
    ...r,
    compute: { wallSeconds: (performance.now() - t0) / 1000, epochs, images, backend: ctx.backend.name, device: ctx.backend.device },
    finishedAt: new Date().toISOString(),
  };
  ctx.results.push(result);
  if (ctx.opts.save !== false) {
    saveResults(ctx.runDir, ctx.run, [result], undefined, { trainLimit: ctx.opts.trainLimit ?? null, testLimit: ctx.opts.testLimit ?? null });
    appendEvalMetric(ctx.runDir, result);
  }
  ctx.emit({ type: 'done', protocol: r.protocol, result });
  return result;
}

async function extractFeatures(ctx: EvalContext, protocol: EvalProtocol, model: LoadedEncoder['model']): Promise<{ train: tf.Tensor2D; test: tf.Tensor2D }> {
  const { signal } = ctx.opts;
  const xTrain = await encoderFeatures(model, ctx.train, ctx.pipeline, { signal, onProgress: (done, total) => ctx.emit({ type: 'features', protocol, split: 'train', done, total }) });
  try {
    const xTest = await encoderFeatures(model, ctx.test, ctx.pipeline, { signal, onProgress: (done, total) => ctx.emit({ type: 'features', protocol, split: 'test', done, total }) });
    return { train: xTrain, test: xTest };
  } catch (err) {
    xTrain.dispose();
    throw err;
  }
}

/** The pretrained encoder's features, extracted on first use and kept in ctx (disposed by evaluateRun). */
async function pretrainedFeatures(ctx: EvalContext, protocol: EvalProtocol): Promise<Features> {
  if (ctx.featureCache) return { ...ctx.featureCache, cached: true };
  ctx.featureCache = await extractFeatures(ctx, protocol, ctx.pretrained!.model);
  return { ...ctx.featureCache, cached: false };
}

function linearOn(ctx: EvalContext, protocol: EvalProtocol, xTrain: tf.Tensor2D, xTest: tf.Tensor2D): Promise<LinearEvalResult> {
  return linearEval(
    { features: xTrain, labels: ctx.train.labels },
    { features: xTest, labels: ctx.test.labels },
    {
      numClasses: ctx.numClasses,
      l2Grid: ctx.opts.l2Grid,
      maxIter: ctx.opts.maxIter,
      seed: ctx.seed,
      signal: ctx.opts.signal,
      onProgress: (e) => ctx.emit({ type: 'linear', protocol, ...e }),
    },
  );
}

const linearSettings = (r: LinearEvalResult) => ({
  linearProtocol: 'lbfgs',
  l2: r.l2,
  l2Candidates: r.validation.map((v) => v.l2),
  validationTop1: r.validation.map((v) => v.top1),
  lbfgsIterations: r.fit.iterations,
  trainLoss: r.fit.loss,
  converged: r.fit.converged,
  standardised: true,
});

async function runPixels(ctx: EvalContext): Promise<void> {
  const protocol = 'pixels';
  ctx.emit({ type: 'start', protocol, labelFraction: 1 });
  const t0 = performance.now();
  const xTrain = pixelFeatures(ctx.train);
  const xTest = pixelFeatures(ctx.test);
  try {
    const r = await linearOn(ctx, protocol, xTrain, xTest);
    const { train, test } = ctx;
    recordResult(ctx, { protocol, dataset: ctx.dsInfo(train.height), pretrainDataset: null, labelFraction: 1, metrics: r.metrics, settings: linearSettings(r) }, t0, r.rowsProcessed / train.count, train.count + test.count);
  } finally {
    tf.dispose([xTrain, xTest]);
  }
}

/** Linear evaluation of the pretrained ('linear') or random-init ('random') encoder, by the chosen linear protocol. */
async function runLinear(ctx: EvalContext, protocol: 'linear' | 'random'): Promise<void> {
  ctx.emit({ type: 'start', protocol, labelFraction: 1 });
  const t0 = performance.now();
  const base = {
    protocol,
    dataset: ctx.dsInfo(ctx.inputSize),
    pretrainDataset: protocol === 'linear' ? ctx.runFamily : null,
    labelFraction: 1,
  };
  const checkpointEpoch = protocol === 'linear' ? ctx.run.pretrainEpochs : 0;
  if ((ctx.opts.linearProtocol ?? DEFAULT_LINEAR_PROTOCOL) === 'paper-b6') {
    const r = await trainHead(ctx, protocol, protocol === 'linear' ? 'weights' : 'random', LINEAR_B6_RECIPE, 1, ctx.train, { epochs: ctx.opts.linearEpochs, freezeEncoder: true });
    recordResult(ctx, { ...base, metrics: r.metrics, settings: { ...r.settings, linearProtocol: 'paper-b6', finalTrainLoss: r.finalLoss, checkpointEpoch } }, t0, r.epochs, r.images);
    return;
  }
  let f: Features;
  if (protocol === 'linear') f = await pretrainedFeatures(ctx, protocol);
  else {
    const enc = ctx.initModel();
    try {
      f = { ...(await extractFeatures(ctx, protocol, enc.model)), cached: false };
    } finally {
      enc.model.dispose();
    }
  }
  try {
    const r = await linearOn(ctx, protocol, f.train, f.test);
    recordResult(
      ctx,
      { ...base, metrics: r.metrics, settings: { ...linearSettings(r), checkpointEpoch, featuresReused: f.cached } },
      t0,
      r.rowsProcessed / ctx.train.count,
      f.cached ? 0 : ctx.train.count + ctx.test.count,
    );
  } finally {
    if (protocol === 'random') tf.dispose([f.train, f.test]);
  }
}

async function runKnn(ctx: EvalContext): Promise<void> {
  const protocol = 'knn';
  ctx.emit({ type: 'start', protocol, labelFraction: 1 });
  const t0 = performance.now();
  const f = await pretrainedFeatures(ctx, protocol);
  const { opts, record, train, test, numClasses } = ctx;
  const k = opts.knn?.k ?? record.config.knn?.k ?? KNN_DEFAULTS.k;
  const temperature = opts.knn?.temperature ?? record.config.knn?.temperature ?? KNN_DEFAULTS.temperature;
  const pred = await knnPredict(f.train, train.labels, f.test, { k, temperature, numClasses, signal: opts.signal });
  recordResult(
    ctx,
    {
      protocol,
      dataset: ctx.dsInfo(ctx.inputSize),
      pretrainDataset: ctx.runFamily,
      labelFraction: 1,
      metrics: metricsFromPredictions(pred, test.labels, numClasses),
      settings: { k: Math.min(k, train.count), temperature, similarity: 'cosine', checkpointEpoch: ctx.run.pretrainEpochs, featuresReused: f.cached },
    },
    t0,
    0,
    f.cached ? 0 : train.count + test.count,
  );
}

/** Fine-tuning (from the checkpoint) or supervised training (from the random init) on a fraction of the labels, by the chosen recipe. */
async function runTrained(ctx: EvalContext, protocol: 'finetune' | 'supervised', fraction: number): Promise<void> {
  const { opts } = ctx;
  ctx.emit({ type: 'start', protocol, labelFraction: fraction });
  const t0 = performance.now();
  const labelled = fraction === 1 ? ctx.train : subset(ctx.train, balancedSubset(ctx.train.labels, fraction, ctx.seed));
  const recipeName = opts.recipe ?? DEFAULT_FINETUNE_RECIPE;
  const recipe = protocol === 'finetune' ? FINETUNE_RECIPE_TABLE[recipeName] : supervisedRecipe(recipeName);
  const r = await trainHead(ctx, protocol, protocol === 'finetune' ? 'weights' : 'random', recipe, fraction, labelled, {
    epochs: opts.epochs,
    batchSize: opts.batchSize,
    baseLr: protocol === 'finetune' ? opts.finetuneLr : opts.supervisedLr,
  });
  recordResult(
    ctx,
    {
      protocol,
      dataset: ctx.dsInfo(ctx.inputSize),
      pretrainDataset: protocol === 'finetune' ? ctx.runFamily : null,
      labelFraction: fraction,
      metrics: r.metrics,
      settings: { ...r.settings, labelledImages: labelled.count, finalTrainLoss: r.finalLoss, ...(protocol === 'finetune' ? { checkpointEpoch: ctx.run.pretrainEpochs } : {}) },
    },
    t0,
    r.epochs,
    r.images,
  );
}

/** A classifier model on the pretrained ('weights') or random-init ('random') encoder, trained by `recipe`, then disposed. */
async function trainHead(
  ctx: EvalContext,
  protocol: EvalProtocol,
  from: 'weights' | 'random',
  recipe: TrainRecipe,
  fraction: number,
  labelled: ImageSet,
  overrides: Pick<ClassifierTrainOptions, 'epochs' | 'batchSize' | 'baseLr' | 'freezeEncoder'>,
): Promise<ClassifierTrainResult> {
  const source = from === 'weights' ? ctx.pretrained! : ctx.initModel();
  const model = classifierModel(source.model, ctx.numClasses, from, ctx.seed);
  if (from === 'random') source.model.dispose();
  try {
    return await trainClassifier(model, labelled, ctx.test, ctx.pipeline, ctx.numClasses, {
      recipe,
      labelFraction: fraction,
      ...Object.fromEntries(Object.entries(overrides).filter(([, v]) => v !== undefined)),
      seed: ctx.seed,
      signal: ctx.opts.signal,
      onProgress: (e) => ctx.emit({ type: 'train', protocol, labelFraction: fraction, ...e }),
    });
  } finally {
    model.dispose();
  }
}

/** One {"type":"eval"} line in the run's metrics.jsonl (the run's timeline), when the file exists. */
function appendEvalMetric(runDir: string, r: ProtocolResult): void {
  const file = path.join(runDir, METRICS_JSONL);
  if (!fs.existsSync(file)) return;
  const line = {
    type: 'eval',
    protocol: r.protocol,
    dataset: r.dataset.id,
    labelFraction: r.labelFraction,
    top1: r.metrics.top1,
    top5: r.metrics.top5,
    wallSeconds: r.compute.wallSeconds,
    time: r.finishedAt,
  };
  fs.appendFileSync(file, JSON.stringify(line) + '\n');
}
