import * as tf from '@tensorflow/tfjs';
import type { ClassificationMetrics } from '../../shared/eval.js';
import { throwIfAborted } from '../abort.js';
import { pick, stratifiedSplit, type ProgressOptions } from './common.js';
import { disposeLogReg, fitLogReg, logRegLogits, type LogRegModel } from './logreg.js';
import { metricsFromScores } from './metrics.js';

/** Features [n, d] and one label per row. */
export interface FeatureSet {
  features: tf.Tensor2D;
  labels: Int32Array;
}

/**
 * Default L2 grid (the l2 of fitLogReg, i.e. 1/(C·n) in scikit-learn terms):
 * log-spaced over six decades, as in the linear-evaluation protocol of
 * Kornblith et al. (2019) that SimCLR follows, but coarser to keep CPU runs short.
 */
export const DEFAULT_L2_GRID = [1, 3e-1, 1e-1, 3e-2, 1e-2, 3e-3, 1e-3, 3e-4, 1e-4, 1e-5, 1e-6];

export interface LinearEvalProgress {
  stage: 'select' | 'refit';
  l2: number;
  /** index into the grid during selection */
  index: number;
  of: number;
  iteration: number;
  loss: number;
  /** validation top-1 once this l2 is done (selection stage) */
  valTop1?: number;
}

export interface LinearEvalOptions extends ProgressOptions<LinearEvalProgress> {
  numClasses: number;
  /** candidate L2 strengths (default DEFAULT_L2_GRID); one value skips selection */
  l2Grid?: number[];
  /**
   * Stop the search once this many candidates in a row score below the best
   * on validation (default 2). Validation accuracy along a path from strong
   * to weak regularisation rises then falls, and the weak end is where
   * L-BFGS needs the most iterations, so this saves most of the time.
   */
  patience?: number;
  /** share of each class held out for choosing l2 (default 0.2) */
  valFraction?: number;
  seed?: number;
  /** L-BFGS iterations per fit (default 500) */
  maxIter?: number;
  gradTol?: number;
}

export interface LinearEvalResult {
  metrics: ClassificationMetrics;
  /** the chosen L2 strength */
  l2: number;
  /** validation accuracy of every candidate */
  validation: { l2: number; top1: number; loss: number; iterations: number }[];
  /** the final fit on all training rows */
  fit: { loss: number; iterations: number; converged: boolean; stop: string; gradNorm: number };
  /** rows pushed through the classifier: selection fits, refit and test, counted per pass */
  rowsProcessed: number;
}

/** Per-feature mean and standard deviation of the rows (constant features get std 1). */
export function featureStats(x: tf.Tensor2D): { mean: tf.Tensor1D; std: tf.Tensor1D } {
  return tf.tidy(() => {
    const { mean, variance } = tf.moments(x, 0);
    const std = tf.sqrt(variance);
    return { mean: mean as tf.Tensor1D, std: tf.where(tf.less(std, 1e-6), tf.onesLike(std), std) as tf.Tensor1D };
  });
}

export function standardise(x: tf.Tensor2D, stats: { mean: tf.Tensor1D; std: tf.Tensor1D }): tf.Tensor2D {
  return tf.tidy(() => tf.div(tf.sub(x, stats.mean), stats.std) as tf.Tensor2D);
}

function meanCrossEntropy(model: LogRegModel, x: tf.Tensor2D, labels: Int32Array, numClasses: number): number {
  const t = tf.tidy(() => {
    const logits = logRegLogits(model, x);
    const y = tf.oneHot(tf.tensor1d(labels, 'int32'), numClasses);
    return tf.mean(tf.sub(tf.logSumExp(logits, 1), tf.sum(tf.mul(y, logits), 1)));
  });
  const v = t.dataSync()[0]!;
  t.dispose();
  return v;
}

/**
 * Linear evaluation: standardise features with the training rows' mean and
 * std, choose the L2 strength by accuracy on a seeded, stratified validation
 * split of the training rows (ties: lower validation cross-entropy), refit on
 * all training rows with that strength, and score the test rows.
 * The inputs are not disposed.
 */
export async function linearEval(train: FeatureSet, test: FeatureSet, options: LinearEvalOptions): Promise<LinearEvalResult> {
  const { numClasses, l2Grid = DEFAULT_L2_GRID, valFraction = 0.2, patience = 2, seed = 0, maxIter = 500, gradTol, signal, onProgress } = options;
  if (l2Grid.length === 0) throw new Error('linear evaluation: the L2 grid is empty');
  if (train.features.shape[1] !== test.features.shape[1]) {
    throw new Error(`linear evaluation: train features have ${train.features.shape[1]} dimensions, test ${test.features.shape[1]}`);
  }
  const grid = [...l2Grid].sort((a, b) => b - a); // strong to weak: each fit warm-starts the next
  const validation: LinearEvalResult['validation'] = [];
  let rowsProcessed = 0;
  let chosen = grid[0]!;

  if (grid.length > 1) {
    const { fit, val } = stratifiedSplit(train.labels, valFraction, seed);
    const fitRaw = tf.gather(train.features, fit);
    const valRaw = tf.gather(train.features, val);
    const stats = featureStats(fitRaw);
    const xFit = standardise(fitRaw, stats);
    const xVal = standardise(valRaw, stats);
    tf.dispose([fitRaw, valRaw, stats.mean, stats.std]);
    const yFit = pick(train.labels, fit);
    const yVal = pick(train.labels, val);
    let warm: LogRegModel | undefined;
    try {
      for (const [index, l2] of grid.entries()) {
        throwIfAborted(signal);
        const r = await fitLogReg(xFit, yFit, {
          l2,
          numClasses,
          maxIter,
          gradTol,
          init: warm,
          signal,
          onProgress: (e) => onProgress?.({ stage: 'select', l2, index, of: grid.length, iteration: e.iteration, loss: e.loss }),
        });
        if (warm) disposeLogReg(warm);
        warm = r.model;
        rowsProcessed += r.evaluations * fit.length + val.length;
        const scores = logRegLogits(r.model, xVal);
        const top1 = metricsFromScores(scores, yVal, numClasses).top1;
        scores.dispose();
        const loss = meanCrossEntropy(r.model, xVal, yVal, numClasses);
        validation.push({ l2, top1, loss, iterations: r.iterations });
        onProgress?.({ stage: 'select', l2, index, of: grid.length, iteration: r.iterations, loss: r.loss, valTop1: top1 });
        const bestAt = validation.reduce((b, v, i) => (v.top1 > validation[b]!.top1 ? i : b), 0);
        if (validation.length - 1 - bestAt >= patience) break;
      }
    } finally {
      if (warm) disposeLogReg(warm);
      tf.dispose([xFit, xVal]);
    }
    const best = validation.reduce((a, b) => (b.top1 > a.top1 || (b.top1 === a.top1 && b.loss < a.loss) ? b : a));
    chosen = best.l2;
  }

  throwIfAborted(signal);
  const stats = featureStats(train.features);
  const xTrain = standardise(train.features, stats);
  const xTest = standardise(test.features, stats);
  tf.dispose([stats.mean, stats.std]);
  try {
    const r = await fitLogReg(xTrain, train.labels, {
      l2: chosen,
      numClasses,
      maxIter,
      gradTol,
      signal,
      onProgress: (e) => onProgress?.({ stage: 'refit', l2: chosen, index: 0, of: 1, iteration: e.iteration, loss: e.loss }),
    });
    rowsProcessed += r.evaluations * train.labels.length + test.labels.length;
    const scores = logRegLogits(r.model, xTest);
    const metrics = metricsFromScores(scores, test.labels, numClasses);
    scores.dispose();
    disposeLogReg(r.model);
    return {
      metrics,
      l2: chosen,
      validation,
      fit: { loss: r.loss, iterations: r.iterations, converged: r.converged, stop: r.stop, gradNorm: r.gradNorm },
      rowsProcessed,
    };
  } finally {
    tf.dispose([xTrain, xTest]);
  }
}
