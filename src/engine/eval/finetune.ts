import * as tf from '@tensorflow/tfjs';
import { augmentBatch, evalBatch, Rng } from '../augment/index.js';
import type { ImageSet } from '../data/types.js';
import { createModel, type Model } from '../models/index.js';
import { createOptimizer, learningRateAt, scaleLearningRate } from '../optim/index.js';
import type { ClassificationMetrics } from '../../shared/eval.js';
import { parsePipeline, type Pipeline } from '../../shared/pipeline.js';
import { throwIfAborted } from '../abort.js';
import { seededRandom, shuffleInPlace, tick, type ProgressOptions } from './common.js';
import { metricsFromScores } from './metrics.js';

/**
 * End-to-end training of encoder + linear classifier head with labels: the
 * fine-tuning protocol (encoder initialised from a SimCLR checkpoint) and the
 * supervised-from-scratch baseline (random init), which differ only in the
 * starting weights and defaults. Nesterov-momentum SGD, linear warmup then
 * cosine decay per step, random crop with resize + horizontal flip: the
 * SimCLR paper's fine-tuning recipe (Appendix B.5) and the usual CIFAR
 * supervised augmentation.
 */

export interface ClassifierTrainProgress {
  epoch: number;
  epochs: number;
  step: number;
  steps: number;
  loss: number;
  lr: number;
}

export interface ClassifierTrainOptions extends ProgressOptions<ClassifierTrainProgress> {
  epochs: number;
  batchSize?: number;
  /** peak learning rate for a batch of 256 (scaled linearly with the batch size) */
  baseLr?: number;
  momentum?: number;
  weightDecay?: number;
  warmupEpochs?: number;
  /** randomResizedCrop area range of the crop/flip augmentation (default [0.5, 1]) */
  cropScale?: [number, number];
  /** evaluation batch size */
  evalBatchSize?: number;
  seed?: number;
}

export const FINETUNE_DEFAULTS = { batchSize: 64, baseLr: 0.1, momentum: 0.9, weightDecay: 5e-4, warmupEpochs: 0, cropScale: [0.5, 1] as [number, number] };
export const SUPERVISED_DEFAULTS = { ...FINETUNE_DEFAULTS, baseLr: 0.2 };

export interface ClassifierTrainResult {
  metrics: ClassificationMetrics;
  epochs: number;
  steps: number;
  /** images through the network: training (forward + backward) and the test pass */
  images: number;
  peakLr: number;
  /** mean training loss of the last epoch */
  finalLoss: number;
  settings: Record<string, number | string | boolean | number[]>;
}

/**
 * The crop/flip pipeline used for training: the run's normalisation and
 * output size, random crop covering `scale` of the area (ratio 3/4..4/3)
 * resized to the output size, and a horizontal flip with p = 0.5.
 */
export function cropFlipPipeline(base: Pipeline, outputSize: number, scale: [number, number]): Pipeline {
  return parsePipeline(
    {
      version: 1,
      name: 'crop + flip (fine-tuning)',
      outputSize,
      normalize: base.normalize,
      ops: [
        { op: 'randomResizedCrop', params: { scale } },
        { op: 'horizontalFlip', p: 0.5 },
      ],
    },
    'fine-tuning pipeline',
  );
}

/**
 * A model with a classifier head of `numClasses` on the given encoder: the
 * encoder's weights (BN running statistics included) copied when `from` is
 * given, else a fresh random initialisation of the same architecture.
 * The caller disposes the result; `from` is left untouched.
 */
export function classifierModel(base: Model, numClasses: number, from: 'weights' | 'random', seed: number): Model {
  const model = createModel({ ...base.config, numClasses }, seed);
  if (from === 'weights') {
    const weights = base.getWeights();
    try {
      model.setWeights(weights, { allowMissing: true, ignoreUnknown: true });
    } finally {
      tf.dispose(Object.values(weights));
    }
  }
  return model;
}

/** Scores of the classifier on a set (inference mode), then metrics. */
export async function classifierMetrics(model: Model, set: ImageSet, pipeline: Pipeline, numClasses: number, batchSize = 256, signal?: AbortSignal): Promise<ClassificationMetrics> {
  const parts: tf.Tensor2D[] = [];
  try {
    for (let start = 0; start < set.count; start += batchSize) {
      throwIfAborted(signal);
      const idx = Array.from({ length: Math.min(batchSize, set.count - start) }, (_, i) => start + i);
      parts.push(tf.tidy(() => model.classify(model.encode(evalBatch(set, idx, pipeline), false))));
      await tick();
    }
    const scores = tf.concat(parts, 0) as tf.Tensor2D;
    try {
      return metricsFromScores(scores, set.labels, numClasses);
    } finally {
      scores.dispose();
    }
  } finally {
    tf.dispose(parts);
  }
}

/**
 * Train `model` (which must have a classifier head) on the labelled `train`
 * set and score it on `test`. The model is trained in place.
 */
export async function trainClassifier(
  model: Model,
  train: ImageSet,
  test: ImageSet,
  pipeline: Pipeline,
  numClasses: number,
  options: ClassifierTrainOptions,
): Promise<ClassifierTrainResult> {
  const d = FINETUNE_DEFAULTS;
  const {
    epochs,
    batchSize = d.batchSize,
    baseLr = d.baseLr,
    momentum = d.momentum,
    weightDecay = d.weightDecay,
    warmupEpochs = d.warmupEpochs,
    cropScale = d.cropScale,
    evalBatchSize = 256,
    seed = 0,
    signal,
    onProgress,
  } = options;
  if (!model.config.numClasses) throw new Error('trainClassifier: the model has no classifier head (create it with numClasses)');
  if (!(epochs > 0)) throw new Error(`trainClassifier: epochs must be > 0, got ${epochs}`);
  for (const l of train.labels) if (l < 0 || l >= numClasses) throw new Error(`trainClassifier: training label ${l} outside 0..${numClasses - 1} (is the set labelled?)`);
  // Batch norm in training mode needs at least two images per batch; drop a last batch of one.
  const size = Math.min(batchSize, train.count);
  if (size < 2) throw new Error(`trainClassifier: need at least 2 training images, got ${train.count}`);
  const stepsPerEpoch = Math.floor(train.count / size) + (train.count % size >= 2 ? 1 : 0);
  const totalSteps = epochs * stepsPerEpoch;
  const peakLr = scaleLearningRate(baseLr, size, 'linear');
  const schedule = { peak: peakLr, warmupSteps: Math.min(totalSteps, Math.round(warmupEpochs * stepsPerEpoch)), totalSteps };
  const augment = cropFlipPipeline(pipeline, pipeline.outputSize, cropScale);
  const params = model.trainableParams(['encoder', 'classifier']);
  const optimizer = createOptimizer({ kind: 'sgd', momentum, nesterov: true, weightDecay, excludeBnAndBias: true }, params);
  const vars = params.map((p) => p.variable);
  const rng = Rng.fromSeed(seed);
  const shuffle = seededRandom(seed ^ 0x9e3779b9);
  const order = Array.from({ length: train.count }, (_, i) => i);
  let step = 0;
  let images = 0;
  let finalLoss = NaN;
  try {
    for (let epoch = 0; epoch < epochs; epoch++) {
      shuffleInPlace(order, shuffle);
      let lossSum = 0;
      let lossCount = 0;
      for (let start = 0; start < train.count; start += size) {
        const idx = order.slice(start, start + size);
        if (idx.length < 2) break;
        throwIfAborted(signal);
        const lr = learningRateAt(step, schedule);
        const x = augmentBatch(train, idx, augment, rng);
        const y = tf.tidy(() => tf.oneHot(tf.tensor1d(idx.map((i) => train.labels[i]!), 'int32'), numClasses));
        const { value, grads } = tf.variableGrads(() => tf.losses.softmaxCrossEntropy(y, model.classify(model.encode(x, true))) as tf.Scalar, vars);
        optimizer.apply(grads, lr);
        const loss = (await value.data())[0]!;
        tf.dispose([x, y, value, grads]);
        if (!Number.isFinite(loss)) throw new Error(`training diverged at epoch ${epoch + 1}, step ${step + 1} (loss ${loss}); lower the learning rate`);
        lossSum += loss;
        lossCount++;
        images += idx.length;
        step++;
        onProgress?.({ epoch: epoch + 1, epochs, step, steps: totalSteps, loss, lr });
        await tick();
      }
      finalLoss = lossSum / Math.max(1, lossCount);
    }
  } finally {
    optimizer.dispose();
  }
  const metrics = await classifierMetrics(model, test, pipeline, numClasses, evalBatchSize, signal);
  return {
    metrics,
    epochs,
    steps: step,
    images: images + test.count,
    peakLr,
    finalLoss,
    settings: { epochs, batchSize: size, baseLr, peakLr, momentum, nesterov: true, weightDecay, warmupEpochs, cropScale, schedule: 'warmup + cosine', seed },
  };
}
