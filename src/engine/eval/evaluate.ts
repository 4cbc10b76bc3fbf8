import fs from 'node:fs';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { currentBackend, initBackend } from '../backend/index.js';
import { openDataset } from '../data/index.js';
import { subset, type Dataset, type ImageSet } from '../data/types.js';
import { loadEncoder, type LoadedEncoder } from '../train/encoder.js';
import { METRICS_JSONL, readRun } from '../train/run-dir.js';
import type { EvalProtocol, EvalReport, ProtocolResult } from '../../shared/eval.js';
import type { Pipeline } from '../../shared/pipeline.js';
import type { RunRecord } from '../../shared/run.js';
import { balancedSubset, throwIfAborted } from './common.js';
import { encoderFeatures, pipelineAt } from './features.js';
import { classifierModel, FINETUNE_DEFAULTS, SUPERVISED_DEFAULTS, trainClassifier } from './finetune.js';
import { KNN_DEFAULTS, knnPredict } from './knn.js';
import { linearEval, type LinearEvalResult } from './linear.js';
import { metricsFromPredictions } from './metrics.js';
import { pixelFeatures } from './pixels.js';
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
  /** training epochs of finetune and supervised (default 10) */
  epochs?: number;
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

/**
 * Run evaluation protocols on a run's encoder and (by default) save them to
 * the run's eval.json. Each protocol's result is saved as soon as it is done.
 */
export async function evaluateRun(runDir: string, opts: EvaluateOptions): Promise<EvaluateResult> {
  const record = checkRunDir(runDir);
  if (opts.protocols.length === 0) throw new Error('no protocols to run');
  const needsCheckpoint = opts.protocols.some((p) => p === 'linear' || p === 'knn' || p === 'finetune');
  await initBackend(opts.backend);
  const backend = currentBackend()!;
  const emit = opts.onProgress ?? (() => {});
  const seed = opts.seed ?? record.seed;

  // Load the encoder first: a run without a checkpoint fails before any data is read.
  const pretrained = needsCheckpoint ? loadEncoder(runDir, { checkpoint: opts.checkpoint ?? 'latest' }) : null;
  const initModel = () => loadEncoder(runDir, { checkpoint: 'init' });
  const results: ProtocolResult[] = [];
  const runFamily = datasetFamily(record.dataset.format, record.dataset.classNames.length, record.dataset.id);
  const run: EvalReport['run'] = {
    id: record.id,
    arch: '',
    pretrainDataset: runFamily,
    pretrainEpochs: pretrained?.checkpoint?.epoch ?? record.epochsCompleted,
  };
  let featureCache: { train: tf.Tensor2D; test: tf.Tensor2D; seconds: number } | null = null;

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
    const pipeline: Pipeline = pipelineAt(basePipeline, inputSize);
    emit({ type: 'data', dataset: ds.name, train: train.count, test: test.count, numClasses, inputSize, transfer: family !== runFamily });

    const dsInfo = (size: number) => ({ id: ds.id, family, name: ds.name, numClasses, trainCount: train.count, testCount: test.count, inputSize: size });
    const finish = (r: Omit<ProtocolResult, 'finishedAt' | 'compute'>, t0: number, epochs: number, images: number): ProtocolResult => {
      const result: ProtocolResult = {
        ...r,
        compute: { wallSeconds: (performance.now() - t0) / 1000, epochs, images, backend: backend.name, device: backend.device },
        finishedAt: new Date().toISOString(),
      };
      results.push(result);
      if (opts.save !== false) {
        saveResults(runDir, run, [result], undefined, { trainLimit: opts.trainLimit ?? null, testLimit: opts.testLimit ?? null });
        appendEvalMetric(runDir, result);
      }
      emit({ type: 'done', protocol: r.protocol, result });
      return result;
    };

    const linearOn = async (protocol: EvalProtocol, xTrain: tf.Tensor2D, xTest: tf.Tensor2D): Promise<LinearEvalResult> =>
      linearEval(
        { features: xTrain, labels: train.labels },
        { features: xTest, labels: test.labels },
        {
          numClasses,
          l2Grid: opts.l2Grid,
          maxIter: opts.maxIter,
          seed,
          signal: opts.signal,
          onProgress: (e) => emit({ type: 'linear', protocol, ...e }),
        },
      );
    const linearSettings = (r: LinearEvalResult) => ({
      l2: r.l2,
      l2Candidates: r.validation.map((v) => v.l2),
      validationTop1: r.validation.map((v) => v.top1),
      lbfgsIterations: r.fit.iterations,
      trainLoss: r.fit.loss,
      converged: r.fit.converged,
      standardised: true,
    });
    const extract = async (protocol: EvalProtocol, model: LoadedEncoder['model']) => {
      const xTrain = await encoderFeatures(model, train, pipeline, { signal: opts.signal, onProgress: (done, total) => emit({ type: 'features', protocol, split: 'train', done, total }) });
      try {
        const xTest = await encoderFeatures(model, test, pipeline, { signal: opts.signal, onProgress: (done, total) => emit({ type: 'features', protocol, split: 'test', done, total }) });
        return { train: xTrain, test: xTest };
      } catch (err) {
        xTrain.dispose();
        throw err;
      }
    };
    const pretrainedFeatures = async (protocol: EvalProtocol) => {
      if (!featureCache) {
        const t0 = performance.now();
        const f = await extract(protocol, pretrained!.model);
        featureCache = { ...f, seconds: (performance.now() - t0) / 1000 };
        return { ...featureCache, cached: false };
      }
      return { ...featureCache, cached: true };
    };
    const fractions = opts.labelFractions ?? [1];
    const epochs = opts.epochs ?? 10;

    for (const protocol of opts.protocols) {
      throwIfAborted(opts.signal);
      switch (protocol) {
        case 'pixels': {
          emit({ type: 'start', protocol, labelFraction: 1 });
          const t0 = performance.now();
          const xTrain = pixelFeatures(train);
          const xTest = pixelFeatures(test);
          try {
            const r = await linearOn(protocol, xTrain, xTest);
            finish({ protocol, dataset: dsInfo(train.height), pretrainDataset: null, labelFraction: 1, metrics: r.metrics, settings: linearSettings(r) }, t0, r.rowsProcessed / train.count, train.count + test.count);
          } finally {
            tf.dispose([xTrain, xTest]);
          }
          break;
        }
        case 'random':
        case 'linear': {
          emit({ type: 'start', protocol, labelFraction: 1 });
          const t0 = performance.now();
          let f: { train: tf.Tensor2D; test: tf.Tensor2D; cached?: boolean };
          if (protocol === 'linear') f = await pretrainedFeatures(protocol);
          else {
            const enc = initModel();
            try {
              f = await extract(protocol, enc.model);
            } finally {
              enc.model.dispose();
            }
          }
          try {
            const r = await linearOn(protocol, f.train, f.test);
            finish(
              {
                protocol,
                dataset: dsInfo(inputSize),
                pretrainDataset: protocol === 'linear' ? runFamily : null,
                labelFraction: 1,
                metrics: r.metrics,
                settings: { ...linearSettings(r), checkpointEpoch: protocol === 'linear' ? run.pretrainEpochs : 0, featuresReused: !!f.cached },
              },
              t0,
              r.rowsProcessed / train.count,
              f.cached ? 0 : train.count + test.count,
            );
          } finally {
            if (protocol === 'random') tf.dispose([f.train, f.test]);
          }
          break;
        }
        case 'knn': {
          emit({ type: 'start', protocol, labelFraction: 1 });
          const t0 = performance.now();
          const f = await pretrainedFeatures(protocol);
          const k = opts.knn?.k ?? record.config.knn?.k ?? KNN_DEFAULTS.k;
          const temperature = opts.knn?.temperature ?? record.config.knn?.temperature ?? KNN_DEFAULTS.temperature;
          const pred = await knnPredict(f.train, train.labels, f.test, { k, temperature, numClasses, signal: opts.signal });
          finish(
            {
              protocol,
              dataset: dsInfo(inputSize),
              pretrainDataset: runFamily,
              labelFraction: 1,
              metrics: metricsFromPredictions(pred, test.labels, numClasses),
              settings: { k: Math.min(k, train.count), temperature, similarity: 'cosine', checkpointEpoch: run.pretrainEpochs, featuresReused: f.cached },
            },
            t0,
            0,
            f.cached ? 0 : train.count + test.count,
          );
          break;
        }
        case 'finetune':
        case 'supervised': {
          for (const fraction of fractions) {
            throwIfAborted(opts.signal);
            emit({ type: 'start', protocol, labelFraction: fraction });
            const t0 = performance.now();
            const labelled = fraction === 1 ? train : subset(train, balancedSubset(train.labels, fraction, seed));
            const source = protocol === 'finetune' ? pretrained! : initModel();
            const model = classifierModel(source.model, numClasses, protocol === 'finetune' ? 'weights' : 'random', seed);
            if (protocol === 'supervised') source.model.dispose();
            try {
              const defaults = protocol === 'finetune' ? FINETUNE_DEFAULTS : SUPERVISED_DEFAULTS;
              const r = await trainClassifier(model, labelled, test, pipeline, numClasses, {
                epochs,
                batchSize: opts.batchSize ?? defaults.batchSize,
                baseLr: (protocol === 'finetune' ? opts.finetuneLr : opts.supervisedLr) ?? defaults.baseLr,
                seed,
                signal: opts.signal,
                onProgress: (e) => emit({ type: 'train', protocol, labelFraction: fraction, ...e }),
              });
              finish(
                {
                  protocol,
                  dataset: dsInfo(inputSize),
                  pretrainDataset: protocol === 'finetune' ? runFamily : null,
                  labelFraction: fraction,
                  metrics: r.metrics,
                  settings: { ...r.settings, labelledImages: labelled.count, finalTrainLoss: r.finalLoss, ...(protocol === 'finetune' ? { checkpointEpoch: run.pretrainEpochs } : {}) },
                },
                t0,
                r.epochs,
                r.images,
              );
            } finally {
              model.dispose();
            }
          }
          break;
        }
        default:
          throw new Error(`unknown protocol "${String(protocol)}"`);
      }
    }
  } finally {
    const fc = featureCache as { train: tf.Tensor2D; test: tf.Tensor2D } | null;
    if (fc) tf.dispose([fc.train, fc.test]);
    pretrained?.model.dispose();
  }
  const report = opts.save === false ? null : saveResults(runDir, run, []);
  return { results, report, run };
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
