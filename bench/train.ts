/**
 * SimCLR training throughput: source images per second of one full step
 * (augment both views with the "SimCLR CIFAR" preset, forward the 2N views
 * through ResNet-18 + projection head with batch norm in training mode,
 * NT-Xent, backward, LARS update) — the trainer's own code path (augmentPair,
 * trainStep, the run's optimiser) — against PyTorch on CPU running the same
 * step (bench/peers/torch_simclr.py), on the same real CIFAR-10 images.
 *
 * Each side is a long-lived worker process that has built its model and
 * answers "run <steps>"; the two are called in alternation (A/B, then B/A...),
 * at least 5 rounds, so only one computes at a time, and the medians of the
 * per-step times are compared. Fairness (see bench/peers/torch_simclr.py): the
 * peer runs channels-last, both sides draw the same images per step
 * (pool[(k*B + i) % P] at step k) with the same augmentation ops, and both get
 * the same intra-op thread count (TF_NUM_INTRAOP_THREADS / torch.set_num_threads)
 * and one inter-op thread. The machine's load average is printed with each case:
 * other processes on the machine make every number noisy. One JSON line per
 * case: {bench, model, batch, backend, imagesPerSec, torchImagesPerSec, ratio,
 * phases (median seconds per step: augment, forwardBackward, optimizer, sync)}.
 *
 *   npx tsx bench/train.ts                         (all cases, about 10-15 minutes on 2 cores)
 *   BENCH_CASES=x0.25 BENCH_ROUNDS=5 npx tsx bench/train.ts
 *   BENCH_VENV=/path/to/venv ...                   (a venv with torch instead of bench/.venv)
 *   BENCH_THREADS=1 ...                            (intra-op threads of both sides; default: all cores)
 *   BENCH_PROFILE=1 ...                            (add the tfjs step's kernel time by kernel, tf.profile)
 *
 * Where the tensorflow step's time goes (BENCH_PROFILE=1, December 2026, 2 cores):
 * forward + backward is 96-98% of a step (augment 1-10%, optimiser < 2%); of the
 * kernel time the three conv kernels take 85-91% at x1 (Conv2DBackpropFilter
 * 32-34%, Conv2DBackpropInput 27-29%, Conv2D 26-28%) and 65-74% at x0.25, where the
 * batch-norm custom-gradient nodes ("unnamed scope") take 8-10%. PyTorch spends
 * its time in the same three kernels, so a gap either way is the conv libraries'.
 *
 * Cases: ResNet-18 x1 and x0.25 at batch 256 and 128 on tensorflow; wasm for
 * x0.25 at batch 128 only (single-threaded in Node; the large cases would
 * take many minutes per step).
 */
import { spawn, spawnSync, type ChildProcessWithoutNullStreams } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const ROOT = path.resolve(HERE, '..');

interface Case {
  width: number;
  batch: number;
  backend: 'tensorflow' | 'wasm';
  /** steps per timed call */
  steps: number;
}

const CASES: Case[] = [
  { width: 1, batch: 256, backend: 'tensorflow', steps: 1 },
  { width: 1, batch: 128, backend: 'tensorflow', steps: 1 },
  { width: 0.25, batch: 256, backend: 'tensorflow', steps: 2 },
  { width: 0.25, batch: 128, backend: 'tensorflow', steps: 3 },
  { width: 0.25, batch: 128, backend: 'wasm', steps: 1 },
];
const ROUNDS = Math.max(5, Number(process.env.BENCH_ROUNDS) || 5);
const POOL = 1024;

// ---------------------------------------------------------------- worker side (tfjs)

async function worker(args: string[]): Promise<void> {
  const get = (k: string) => args[args.indexOf(`--${k}`) + 1]!;
  const backendName = get('backend');
  const width = Number(get('width'));
  const batch = Number(get('batch'));
  const tf = await import('@tensorflow/tfjs');
  const { initBackend } = await import('../src/engine/backend/index.js');
  const { augmentPair, pipelinePreset, Rng } = await import('../src/engine/augment/index.js');
  const { readCifar10, subset } = await import('../src/engine/data/index.js');
  const { createModel } = await import('../src/engine/models/index.js');
  const { ntXent } = await import('../src/engine/loss/index.js');
  const { parseTrainConfig, resolveLearningRate } = await import('../src/shared/train-config.js');
  const { modelConfigOf } = await import('../src/engine/train/model-config.js');
  const { createTrainOptimizer } = await import('../src/engine/train/optimizer.js');
  const { CIFAR10_DIR } = await import('../test/support/shared-data.js');

  const info = await initBackend(backendName);
  const set = subset(
    readCifar10(CIFAR10_DIR).splits.train,
    Array.from({ length: POOL }, (_, i) => i),
  );
  const cfg = parseTrainConfig({ dataset: 'cifar10', model: { preset: 'standard', width }, batchSize: batch, epochs: 100, optimizer: { name: 'lars', warmupEpochs: 0 } });
  const pipeline = pipelinePreset('SimCLR CIFAR');
  const model = createModel(modelConfigOf(cfg, pipeline.outputSize), 0);
  const optimizer = createTrainOptimizer(cfg, model, { peakLr: resolveLearningRate(cfg), stepsPerEpoch: 100, totalSteps: 10_000 });
  const rng = Rng.fromSeed(1);
  const vars = model.trainableVariables();
  let globalStep = 0;
  let batchNumber = 0;

  // The trainer's step (src/engine/train/simclr.ts: prepare + trainStep), split into timed phases.
  // CPU backends execute ops eagerly, so wall time between the calls is the time of each phase.
  const step = async () => {
    const t0 = performance.now();
    // the same images as the PyTorch peer's step of the same number
    const k = batchNumber++;
    const indices = Array.from({ length: batch }, (_, i) => (k * batch + i) % POOL);
    const { view1, view2 } = augmentPair(set, indices, pipeline, rng);
    const views = tf.concat([view1, view2], 0) as import('@tensorflow/tfjs').Tensor4D;
    tf.dispose([view1, view2]);
    const t1 = performance.now();
    let acc: import('@tensorflow/tfjs').Scalar | null = null;
    const { value, grads } = tf.variableGrads(() => {
      const r = ntXent(model.forward(views, true).z, cfg.temperature);
      acc = tf.keep(r.accuracy);
      return r.loss;
    }, vars);
    views.dispose();
    const t2 = performance.now();
    optimizer.apply(grads, optimizer.learningRate(globalStep++));
    tf.dispose(grads);
    const t3 = performance.now();
    const loss = (await value.data())[0]!;
    await acc!.data();
    tf.dispose([value, acc!]);
    const t4 = performance.now();
    return { seconds: (t4 - t0) / 1000, loss, phases: { augment: (t1 - t0) / 1000, forwardBackward: (t2 - t1) / 1000, optimizer: (t3 - t2) / 1000, sync: (t4 - t3) / 1000 } };
  };

  console.log(JSON.stringify({ ready: true, backend: info.name, threads: info.threads, params: model.numParams() }));
  const rl = createInterface({ input: process.stdin });
  for await (const line of rl) {
    const [cmd, n] = line.trim().split(/\s+/);
    if (cmd === 'quit' || !cmd) break;
    if (cmd === 'profile') {
      // one step under tf.profile: kernel time summed by kernel name (where the time goes)
      const info = await tf.profile(async () => {
        await step();
      });
      const byKernel = new Map<string, number>();
      for (const k of info.kernels) byKernel.set(k.name, (byKernel.get(k.name) ?? 0) + (typeof k.kernelTimeMs === 'number' ? k.kernelTimeMs : 0));
      const total = [...byKernel.values()].reduce((a, b) => a + b, 0);
      const top = [...byKernel.entries()].sort((a, b) => b[1] - a[1]).slice(0, 10);
      console.log(JSON.stringify({ kernelMs: Number(total.toFixed(1)), top: top.map(([name, ms]) => ({ name, ms: Number(ms.toFixed(1)), share: Number((ms / total).toFixed(3)) })) }));
      continue;
    }
    const results = [];
    for (let i = 0; i < Number(n); i++) results.push(await step());
    console.log(JSON.stringify({ stepSeconds: results.map((r) => r.seconds), phases: results.map((r) => r.phases), loss: results.at(-1)!.loss, numTensors: tf.memory().numTensors }));
  }
  model.dispose();
  optimizer.dispose();
}

// ---------------------------------------------------------------- driver side

interface Reply {
  stepSeconds: number[];
  phases?: Record<string, number>[];
  error?: string;
}

/** A line-protocol child: send "run N", read one JSON line back. */
class Peer {
  private lines: AsyncIterator<string>;
  constructor(
    readonly name: string,
    private readonly child: ChildProcessWithoutNullStreams,
  ) {
    this.lines = createInterface({ input: child.stdout })[Symbol.asyncIterator]();
    child.stderr.on('data', (d: Buffer) => {
      const text = d.toString();
      if (!/^(I0000|WARNING: All log)/m.test(text) && process.env.BENCH_VERBOSE) process.stderr.write(`[${name}] ${text}`);
    });
  }
  async next(): Promise<Record<string, unknown>> {
    for (;;) {
      const r = await this.lines.next();
      if (r.done) throw new Error(`${this.name} exited`);
      if (r.value.startsWith('{')) return JSON.parse(r.value) as Record<string, unknown>;
    }
  }
  async run(steps: number): Promise<Reply> {
    this.child.stdin.write(`run ${steps}\n`);
    return (await this.next()) as unknown as Reply;
  }
  /** write one command line; the reply is read with next() */
  send(command: string): void {
    this.child.stdin.write(`${command}\n`);
  }
  close(): void {
    this.child.stdin.end('quit\n');
  }
}

function median(v: number[]): number {
  const s = [...v].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

function writePool(file: string): void {
  // The first POOL training images, raw uint8 NHWC, for the PyTorch peer (the tfjs worker reads the same).
  const buf = fs.readFileSync(path.join(ROOT, '../shared/data/cifar-10-batches-bin/data_batch_1.bin'));
  const out = new Uint8Array(POOL * 3072);
  for (let n = 0; n < POOL; n++) {
    const rec = buf.subarray(n * 3073 + 1, (n + 1) * 3073);
    for (let p = 0; p < 1024; p++) for (let c = 0; c < 3; c++) out[n * 3072 + p * 3 + c] = rec[c * 1024 + p]!;
  }
  fs.writeFileSync(file, out);
}

async function driver(): Promise<void> {
  const filter = process.env.BENCH_CASES;
  const cases = CASES.filter((c) => !filter || filter.split(',').some((f) => `x${c.width}-b${c.batch}-${c.backend}`.includes(f)));
  const setup = spawnSync('bash', [path.join(HERE, 'peers/setup-venv.sh')], { encoding: 'utf8' });
  if (setup.status !== 0) throw new Error(`bench/peers/setup-venv.sh failed: ${setup.stderr}`);
  const python = setup.stdout.trim().split('\n').at(-1)!;
  const poolFile = path.join(os.tmpdir(), `simclr-bench-pool-${process.pid}.bin`);
  writePool(poolFile);
  const threads = Number(process.env.BENCH_THREADS) || os.availableParallelism();
  const pinned = { ...process.env, TF_NUM_INTRAOP_THREADS: String(threads), TF_NUM_INTEROP_THREADS: '1', OMP_NUM_THREADS: String(threads) };
  try {
    for (const c of cases) {
      const tfjs = new Peer(
        `tfjs-${c.backend}`,
        spawn(process.execPath, [...process.execArgv, fileURLToPath(import.meta.url), '--worker', '--backend', c.backend, '--width', String(c.width), '--batch', String(c.batch)], { cwd: ROOT, env: pinned }),
      );
      const torch = new Peer(
        'torch',
        spawn(python, [path.join(HERE, 'peers/torch_simclr.py'), '--depth', '18', '--width', String(c.width), '--batch', String(c.batch), '--pool', poolFile, '--threads', String(threads)], { cwd: ROOT, env: pinned }),
      );
      try {
        const [tReady, pReady] = await Promise.all([tfjs.next(), torch.next()]);
        // warm-up: first-call kernel selection and allocations, not timed
        await tfjs.run(1);
        await torch.run(1);
        const a: number[] = [];
        const b: number[] = [];
        const phasesA: Record<string, number[]> = {};
        const phasesB: Record<string, number[]> = {};
        const collect = (into: Record<string, number[]>, r: Reply) => {
          for (const p of r.phases ?? []) for (const [k, v] of Object.entries(p)) (into[k] ??= []).push(v);
        };
        for (let r = 0; r < ROUNDS; r++) {
          const order = r % 2 === 0 ? [tfjs, torch] : [torch, tfjs];
          for (const peer of order) {
            const reply = await peer.run(c.steps);
            if (reply.error) throw new Error(`${peer.name}: ${reply.error}`);
            (peer === tfjs ? a : b).push(...reply.stepSeconds);
            collect(peer === tfjs ? phasesA : phasesB, reply);
          }
        }
        let profile: Record<string, unknown> | undefined;
        if (process.env.BENCH_PROFILE) {
          tfjs.send('profile');
          profile = await tfjs.next();
        }
        const ips = c.batch / median(a);
        const torchIps = c.batch / median(b);
        const med = (o: Record<string, number[]>) => Object.fromEntries(Object.entries(o).map(([k, v]) => [k, Number(median(v).toFixed(4))]));
        console.log(
          JSON.stringify({
            bench: 'train',
            model: `resnet18-x${c.width}`,
            batch: c.batch,
            backend: c.backend,
            imagesPerSec: Number(ips.toFixed(2)),
            torchImagesPerSec: Number(torchIps.toFixed(2)),
            ratio: Number((ips / torchIps).toFixed(3)),
            stepsTimed: a.length,
            phases: med(phasesA),
            torchPhases: med(phasesB),
            threads: { tfjs: tReady.threads, torch: pReady.threads },
            loadAverage: os.loadavg().map((l) => Number(l.toFixed(2))),
            torch: pReady.torch,
            ...(profile ? { profile } : {}),
          }),
        );
      } catch (err) {
        console.log(JSON.stringify({ bench: 'train', model: `resnet18-x${c.width}`, batch: c.batch, backend: c.backend, error: (err as Error).message }));
      } finally {
        tfjs.close();
        torch.close();
      }
    }
  } finally {
    fs.rmSync(poolFile, { force: true });
  }
}

if (process.argv.includes('--worker')) await worker(process.argv.slice(2));
else await driver();
