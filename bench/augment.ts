/**
 * Augmentation throughput: source images per second of the "SimCLR CIFAR"
 * preset producing two views each (augmentPair, exactly the trainer's call),
 * batch 256 of real CIFAR-10 images, on tensorflow and wasm. The backends are
 * timed in alternation (tf, wasm, tf, wasm, ...) and medians reported, one
 * JSON line per backend, each with the ratio against tensorflow and (once the
 * trainer measures it) against the same backend's SimCLR training throughput;
 * the goal is augmentation at least 5x faster than training.
 *
 *   npx tsx bench/augment.ts                       (about 1 minute on 2 cores)
 *   BENCH_REPS=9 BENCH_BATCHES=5 npx tsx bench/augment.ts
 */
import * as tf from '@tensorflow/tfjs';
import { augmentPair, pipelinePreset, Rng } from '../src/engine/augment/index.js';
import { initBackend, type BackendInfo, type BackendName } from '../src/engine/backend/index.js';
import { readCifar10 } from '../src/engine/data/cifar.js';
import type { ImageSet } from '../src/engine/data/types.js';
import { CIFAR10_DIR } from '../test/support/shared-data.js';
import { ntXent } from '../src/engine/loss/index.js';
import { createModel } from '../src/engine/models/index.js';
import { createOptimizer } from '../src/engine/optim/index.js';
import { resolveModelConfig } from '../src/shared/model-config.js';

const TRAIN_STEPS = 2;

const REPS = Number(process.env.BENCH_REPS) || 5;
const BATCHES = Number(process.env.BENCH_BATCHES) || 3;
const BATCH = 256;
const PRESET = 'SimCLR CIFAR' as const;
const GOAL = 5;

/**
 * The peer: SimCLR training throughput (images/s, two views each) of the same
 * backend, measured in this process.
 */
async function trainingImagesPerSecond(backend: BackendName, set: ImageSet): Promise<number | null> {
  // The trainer's step (forward over 2N views, NT-Xent, backward, LARS) on the
  // default "tiny" preset at the same batch, views augmented beforehand so only
  // training is timed: one warm-up step, then the median of TRAIN_STEPS.
  if (backend === 'cpu') return null; // minutes per step: not a useful peer
  const model = createModel(resolveModelConfig('tiny'), 0);
  const opt = createOptimizer({ kind: 'lars' }, model.trainableParams());
  const rng = Rng.fromSeed(1);
  const idx = Array.from({ length: BATCH }, (_, i) => i % set.count);
  const times: number[] = [];
  try {
    for (let s = 0; s <= TRAIN_STEPS; s++) {
      const { view1, view2 } = augmentPair(set, idx, pipelinePreset(PRESET), rng);
      const views = tf.concat([view1, view2]);
      tf.dispose([view1, view2]);
      const t0 = performance.now();
      const { value, grads } = tf.variableGrads(() => ntXent(model.forward(views, true).z, 0.5).loss, model.trainableVariables());
      opt.apply(grads, 0.1);
      await value.data();
      if (s > 0) times.push(performance.now() - t0);
      tf.dispose([views, value, ...Object.values(grads)]);
    }
  } finally {
    opt.dispose();
    model.dispose();
  }
  return (1000 * BATCH) / median(times);
}

/**
 * One timed run of BATCHES consecutive augmentPair calls: images/s by the
 * wall clock, and process CPU ms per batch (steadier on a shared machine; with
 * several TensorFlow threads it can exceed the wall time).
 */
function timeRun(set: ImageSet, rng: Rng, pipeline: ReturnType<typeof pipelinePreset>, batchIndices: () => number[]): { ips: number; cpuMs: number } {
  const c0 = process.cpuUsage();
  const t0 = performance.now();
  for (let b = 0; b < BATCHES; b++) {
    const { view1, view2 } = augmentPair(set, batchIndices(), pipeline, rng);
    // CPU backends run ops eagerly, so the views are complete here; the trainer consumes them in place
    tf.dispose([view1, view2]);
  }
  const wall = performance.now() - t0;
  const cpu = process.cpuUsage(c0);
  return { ips: (BATCHES * BATCH) / (wall / 1000), cpuMs: (cpu.user + cpu.system) / 1000 / BATCHES };
}

function median(v: number[]): number {
  const s = [...v].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

async function main(): Promise<void> {
  const set = readCifar10(CIFAR10_DIR).splits.train;
  const pipeline = pipelinePreset(PRESET);
  const shuffle = Rng.fromSeed(1);
  const batchIndices = () => Array.from({ length: BATCH }, () => shuffle.int(set.count));

  const infos = new Map<BackendName, BackendInfo>();
  for (const name of ['tensorflow', 'wasm'] as const) {
    try {
      infos.set(name, await initBackend(name));
    } catch (err) {
      console.log(JSON.stringify({ bench: 'augment', backend: name, error: String((err as Error).message).split('\n')[0] }));
    }
  }
  const names = [...infos.keys()];
  const rngs = new Map(names.map((n) => [n, Rng.fromSeed(7)]));
  const runs = new Map(names.map((n) => [n, [] as number[]]));
  const cpuRuns = new Map(names.map((n) => [n, [] as number[]]));

  // warm-up (kernel set-up, first allocations), then alternate the backends
  for (const name of names) {
    await tf.setBackend(name);
    timeRun(set, rngs.get(name)!, pipeline, batchIndices);
  }
  for (let r = 0; r < REPS; r++) {
    for (const name of names) {
      await tf.setBackend(name);
      const { ips, cpuMs } = timeRun(set, rngs.get(name)!, pipeline, batchIndices);
      runs.get(name)!.push(ips);
      cpuRuns.get(name)!.push(cpuMs);
    }
  }

  const medians = new Map(names.map((n) => [n, median(runs.get(n)!)]));
  for (const name of names) {
    await tf.setBackend(name);
    const info = infos.get(name)!;
    const ips = medians.get(name)!;
    const train = await trainingImagesPerSecond(name, set);
    const line: Record<string, unknown> = {
      bench: 'augment',
      preset: PRESET,
      backend: name,
      threads: info.threads,
      device: info.device,
      batch: BATCH,
      views: 2,
      images_per_s: +ips.toFixed(1),
      views_per_s: +(2 * ips).toFixed(1),
      ms_per_batch: +((1000 * BATCH) / ips).toFixed(1),
      cpu_ms_per_batch: +median(cpuRuns.get(name)!).toFixed(1),
      runs_images_per_s: runs.get(name)!.map((v) => +v.toFixed(1)),
      batches_per_run: BATCHES,
      train_images_per_s: train,
      ratio_vs_train: train ? +(ips / train).toFixed(2) : null,
      goal: `augmentation >= ${GOAL}x training on the same backend`,
    };
    if (name !== 'tensorflow' && medians.has('tensorflow')) Object.assign(line, { vs_tensorflow: +(ips / medians.get('tensorflow')!).toFixed(3) });
    console.log(JSON.stringify(line));
  }
}

await main();
