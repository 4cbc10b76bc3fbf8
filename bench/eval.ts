/**
 * Evaluation benchmarks, one JSON line per measurement:
 *
 *   logreg      our L-BFGS logistic regression vs scikit-learn's (lbfgs, same objective,
 *               C = 1/(l2·n)) on standardised raw CIFAR-10 pixels (10k × 3072, 10 classes):
 *               wall time alternating A/B, medians, ratio, and both objective values
 *               scored in float64 by the same JS code. Skipped when bench/.venv lacks sklearn.
 *   pixels      the raw-pixel linear evaluation with the full default L2 grid (selection on a
 *               validation split, refit): top-1 on the 2k test images and the chosen l2.
 *   pretrained  with RUN_DIR: linear evaluation and kNN of the run's encoder against the
 *               same architecture at its random initialisation (same seed), on the same data.
 *
 *   npx tsx bench/eval.ts [--run RUN_DIR] [--reps N (default 1: scikit-learn needs minutes here)] [--skip logreg,pixels]
 *                         [--train-limit N] [--test-limit N]
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import * as tf from '@tensorflow/tfjs';
import { currentBackend, initBackend } from '../src/engine/backend/index.js';
import { readCifar10 } from '../src/engine/data/cifar.js';
import { evaluateRun } from '../src/engine/eval/evaluate.js';
import { featureStats, linearEval, standardise } from '../src/engine/eval/linear.js';
import { disposeLogReg, fitLogReg } from '../src/engine/eval/logreg.js';
import { pixelFeatures } from '../src/engine/eval/pixels.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const CIFAR10 = path.resolve(ROOT, '../shared/data/cifar-10-batches-bin');
const PYTHON = path.join(ROOT, 'bench/.venv/bin/python');

const { values } = parseArgs({
  options: { run: { type: 'string' }, reps: { type: 'string' }, skip: { type: 'string' }, 'train-limit': { type: 'string' }, 'test-limit': { type: 'string' } },
});
const REPS = Number(values.reps ?? 1);
const skip = new Set((values.skip ?? '').split(',').filter(Boolean));

const median = (v: number[]) => {
  const s = [...v].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
};
const emit = (o: Record<string, unknown>) => console.log(JSON.stringify(o));

/** Objective in float64: mean CE + l2/2·||W||², theta = [d+1, k] with the bias last. */
function objective64(x: Float32Array, y: Int32Array, n: number, d: number, k: number, theta: Float64Array, l2: number): number {
  let f = 0;
  const z = new Float64Array(k);
  for (let i = 0; i < n; i++) {
    for (let c = 0; c < k; c++) z[c] = theta[d * k + c]!;
    for (let j = 0; j < d; j++) {
      const xv = x[i * d + j]!;
      for (let c = 0; c < k; c++) z[c]! += xv * theta[j * k + c]!;
    }
    let m = -Infinity;
    for (let c = 0; c < k; c++) m = Math.max(m, z[c]!);
    let s = 0;
    for (let c = 0; c < k; c++) s += Math.exp(z[c]! - m);
    f += m + Math.log(s) - z[y[i]!]!;
  }
  let reg = 0;
  for (let i = 0; i < d * k; i++) reg += theta[i]! * theta[i]!;
  return f / n + 0.5 * l2 * reg;
}

function hasSklearn(): boolean {
  try {
    execFileSync(PYTHON, ['-c', 'import sklearn'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

async function benchLogreg(): Promise<void> {
  if (!hasSklearn()) {
    emit({ bench: 'logreg', skipped: 'no scikit-learn in bench/.venv (run bash bench/peers/setup-venv.sh)' });
    return;
  }
  const ds = readCifar10(CIFAR10);
  const set = ds.splits.train;
  const raw = pixelFeatures(set);
  const stats = featureStats(raw);
  const xs = standardise(raw, stats);
  tf.dispose([raw, stats.mean, stats.std]);
  const [n, d] = xs.shape;
  const k = 10;
  const l2 = 0.3;
  const xData = xs.dataSync() as Float32Array;
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'eval-bench-'));
  const xFile = path.join(dir, 'x.f32');
  const yFile = path.join(dir, 'y.i32');
  fs.writeFileSync(xFile, xData);
  fs.writeFileSync(yFile, new Uint8Array(set.labels.buffer));
  const script = `
import json, sys, time
import numpy as np
from sklearn.linear_model import LogisticRegression
n, d, C = int(sys.argv[3]), int(sys.argv[4]), float(sys.argv[5])
X = np.fromfile(sys.argv[1], dtype=np.float32).reshape(n, d).astype(np.float64)
y = np.fromfile(sys.argv[2], dtype=np.int32)
t = time.perf_counter()
m = LogisticRegression(C=C, tol=1e-6, max_iter=1000).fit(X, y)
dt = time.perf_counter() - t
print(json.dumps({'seconds': dt, 'iterations': int(m.n_iter_[0]), 'coef': m.coef_.ravel().tolist(), 'intercept': m.intercept_.tolist()}))
`;
  const ours: number[] = [];
  const theirs: number[] = [];
  let oursTheta = new Float64Array(0);
  let theirsTheta = new Float64Array(0);
  let oursIter = 0;
  let theirsIter = 0;
  try {
    for (let r = 0; r < REPS; r++) {
      // A: ours (fit only, like sklearn's timing; data already on the backend)
      const t0 = performance.now();
      const fit = await fitLogReg(xs, set.labels, { l2, numClasses: k, gradTol: 1e-5 });
      ours.push((performance.now() - t0) / 1000);
      oursIter = fit.iterations;
      oursTheta = new Float64Array((d + 1) * k);
      oursTheta.set(fit.model.weights.dataSync());
      oursTheta.set(fit.model.bias.dataSync(), d * k);
      disposeLogReg(fit.model);
      // B: scikit-learn, timed inside Python around .fit()
      const out = JSON.parse(execFileSync(PYTHON, ['-c', script, xFile, yFile, String(n), String(d), String(1 / (l2 * n))], { encoding: 'utf8', maxBuffer: 1 << 28 })) as {
        seconds: number;
        iterations: number;
        coef: number[];
        intercept: number[];
      };
      theirs.push(out.seconds);
      theirsIter = out.iterations;
      theirsTheta = new Float64Array((d + 1) * k);
      for (let c = 0; c < k; c++) {
        for (let j = 0; j < d; j++) theirsTheta[j * k + c] = out.coef[c * d + j]!;
        theirsTheta[d * k + c] = out.intercept[c]!;
      }
    }
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
    xs.dispose();
  }
  const fOurs = objective64(xData, set.labels, n, d, k, oursTheta, l2);
  const fTheirs = objective64(xData, set.labels, n, d, k, theirsTheta, l2);
  emit({
    bench: 'logreg',
    problem: `CIFAR-10 raw pixels standardised, ${n}x${d}, ${k} classes, l2=${l2}`,
    backend: currentBackend()?.name,
    oursSeconds: median(ours),
    sklearnSeconds: median(theirs),
    ratio: median(ours) / median(theirs),
    oursIterations: oursIter,
    sklearnIterations: theirsIter,
    oursLoss64: fOurs,
    sklearnLoss64: fTheirs,
    lossGap: fOurs - fTheirs,
    reps: REPS,
  });
}

async function benchPixels(): Promise<void> {
  const ds = readCifar10(CIFAR10);
  const train = ds.splits.train;
  const test = ds.splits.test!;
  const xTrain = pixelFeatures(train);
  const xTest = pixelFeatures(test);
  const t0 = performance.now();
  const r = await linearEval({ features: xTrain, labels: train.labels }, { features: xTest, labels: test.labels }, { numClasses: 10 });
  tf.dispose([xTrain, xTest]);
  emit({
    bench: 'pixels',
    train: train.count,
    test: test.count,
    top1: r.metrics.top1,
    top5: r.metrics.top5,
    l2: r.l2,
    validation: r.validation.map((v) => ({ l2: v.l2, top1: +v.top1.toFixed(4), iterations: v.iterations })),
    seconds: (performance.now() - t0) / 1000,
    backend: currentBackend()?.name,
  });
}

async function benchPretrained(runDir: string): Promise<void> {
  const limits = {
    trainLimit: values['train-limit'] ? Number(values['train-limit']) : null,
    testLimit: values['test-limit'] ? Number(values['test-limit']) : null,
  };
  const { results } = await evaluateRun(runDir, { protocols: ['random', 'linear', 'knn'], ...limits, save: false });
  const top = (p: string) => results.find((r) => r.protocol === p)!;
  // kNN of the random-init encoder: same classifier, random features.
  const { results: randomKnn } = await evaluateRunRandomKnn(runDir, limits);
  emit({
    bench: 'pretrained',
    run: path.basename(runDir),
    train: top('linear').dataset.trainCount,
    test: top('linear').dataset.testCount,
    linearPretrained: top('linear').metrics.top1,
    linearRandomInit: top('random').metrics.top1,
    knnPretrained: top('knn').metrics.top1,
    knnRandomInit: randomKnn,
    pretrainedBeatsRandom: top('linear').metrics.top1 > top('random').metrics.top1,
    seconds: results.reduce((a, r) => a + r.compute.wallSeconds, 0),
    backend: currentBackend()?.name,
  });
}

/** kNN on the random-init encoder's features (the eval suite's random protocol is linear only). */
async function evaluateRunRandomKnn(runDir: string, limits: { trainLimit: number | null; testLimit: number | null }): Promise<{ results: number }> {
  const { loadEncoder } = await import('../src/engine/train/encoder.js');
  const { encoderFeatures } = await import('../src/engine/eval/features.js');
  const { knnAccuracy } = await import('../src/engine/eval/knn.js');
  const { subset } = await import('../src/engine/data/types.js');
  const { openDataset } = await import('../src/engine/data/index.js');
  const enc = loadEncoder(runDir, { checkpoint: 'init' });
  const ds = await openDataset(enc.record.dataset.path, { cache: false });
  const first = (s: typeof ds.splits.train, n: number | null) => (n === null || n >= s.count ? s : subset(s, Array.from({ length: n }, (_, i) => i)));
  const train = first(ds.splits.train, limits.trainLimit);
  const test = first(ds.splits.test!, limits.testLimit);
  const a = await encoderFeatures(enc.model, train, enc.pipeline);
  const b = await encoderFeatures(enc.model, test, enc.pipeline);
  const k = enc.record.config.knn.k;
  const acc = await knnAccuracy(a, train.labels, b, test.labels, { k, temperature: enc.record.config.knn.temperature, numClasses: ds.classNames.length });
  tf.dispose([a, b]);
  enc.model.dispose();
  return { results: acc };
}

await initBackend();
if (!skip.has('logreg')) await benchLogreg();
if (!skip.has('pixels')) await benchPixels();
if (values.run) await benchPretrained(values.run);
