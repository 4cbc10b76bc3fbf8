import * as tf from '@tensorflow/tfjs';
import type { ClassificationMetrics } from '../../shared/eval.js';

/**
 * Accuracy figures from class scores. top-k counts a hit when the true class
 * is among the k highest scores (k capped at the number of classes); ties are
 * broken by tf.topk's order. Per-class accuracy is recall per true class
 * (NaN-free: a class absent from the labels gets null). confusion[t][p]
 * counts images of true class t predicted as p.
 */
export async function metricsFromScores(scores: tf.Tensor2D, labels: Int32Array, numClasses: number): Promise<ClassificationMetrics> {
  const n = scores.shape[0];
  if (labels.length !== n) throw new Error(`metrics: ${n} score rows but ${labels.length} labels`);
  const k = Math.min(5, numClasses);
  const top = tf.tidy(() => tf.topk(scores, k).indices);
  const idx = (await top.data()) as Int32Array;
  top.dispose();
  const predictions = new Int32Array(n);
  for (let i = 0; i < n; i++) predictions[i] = idx[i * k]!;
  let top5 = 0;
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < k; j++) {
      if (idx[i * k + j] === labels[i]) {
        top5++;
        break;
      }
    }
  }
  return { ...metricsFromPredictions(predictions, labels, numClasses), top5: n ? top5 / n : 0 };
}

/** top-1, per-class accuracy and confusion matrix from hard predictions (top5 = null). */
export function metricsFromPredictions(predictions: Int32Array, labels: Int32Array, numClasses: number): ClassificationMetrics {
  const n = labels.length;
  const confusion = Array.from({ length: numClasses }, () => new Array<number>(numClasses).fill(0));
  let correct = 0;
  for (let i = 0; i < n; i++) {
    const t = labels[i]!;
    const p = predictions[i]!;
    if (t < 0 || t >= numClasses) throw new Error(`metrics: label ${t} at ${i} outside 0..${numClasses - 1}`);
    if (p >= 0 && p < numClasses) confusion[t]![p]!++;
    if (p === t) correct++;
  }
  const perClass = confusion.map((row, c) => {
    const total = row.reduce((a, b) => a + b, 0);
    return total ? row[c]! / total : null;
  });
  return { top1: n ? correct / n : 0, top5: null, perClass, confusion, count: n };
}
