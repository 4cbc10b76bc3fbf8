/**
 * GFLOP/s of the kernels training lives on — matMul, conv2d forward and both
 * conv2d gradients — on every backend that loads here (tensorflow, wasm, and
 * cpu on small sizes). One JSON line per measurement, each with a ratio
 * against a peer measured in the same run: a gradient against the same
 * backend's forward conv of the same layer, a backend against tensorflow, and
 * our wasm Conv2DBackpropInput against the one wasm ships. Within a block the
 * ops are timed in alternation (A B C A B C ...) and medians reported, both
 * of wall time (gflops, ratio) and of this process's CPU time
 * (gflops_per_cpu_s, ratio_cpu: steadier when other work shares the cores).
 *
 * Conv layers are ResNet-18-on-CIFAR shapes at batch 32 (batch 4 for the
 * shipped wasm kernel, smaller layers on cpu); wasm runs single-threaded in
 * Node, tensorflow on every core.
 *
 *   npx tsx bench/backend.ts            (about 1-2 minutes on 2 cores)
 *   BENCH_REPS=9 BENCH_BACKENDS=wasm npx tsx bench/backend.ts
 */
import os from 'node:os';
import * as tf from '@tensorflow/tfjs';
import { initBackend, type BackendInfo, type BackendName } from '../src/engine/backend/index.js';
import { originalWasmKernel } from '../src/engine/backend/wasm-training-kernels.js';

const REPS = Number(process.env.BENCH_REPS) || 5;

interface Case {
  op: string;
  shape: string;
  flops: number;
  /** the measured thing; returns a tensor, which is disposed (one element is read back to force completion) */
  run: () => tf.Tensor | void;
  /** op name of the peer in the same block, if any */
  peer?: string;
}

interface Result {
  backend: BackendName;
  op: string;
  shape: string;
  ms: number;
  gflops: number;
  /** per second of this process's CPU time (all threads) */
  gflopsCpu: number;
}

const results: Result[] = [];

interface Timing {
  wall: number;
  cpu: number;
}

/**
 * Wall time and this process's CPU time (user + system, all threads) of one
 * run. On a shared machine the wall clock also counts time spent waiting for
 * a core; CPU time does not, so ratios from it are the steadier ones. Only one
 * element is read back: tensorflow and wasm run kernels synchronously, and
 * copying a whole output out of the wasm heap would bill the op for a memcpy.
 */
function timeOnce(run: Case['run']): Timing {
  const c0 = process.cpuUsage();
  const t0 = performance.now();
  tf.tidy(() => {
    const out = run();
    if (out) tf.reshape(out, [-1]).slice(0, 1).dataSync();
  });
  const wall = performance.now() - t0;
  const c = process.cpuUsage(c0);
  return { wall, cpu: (c.user + c.system) / 1000 };
}

function median(v: number[]): number {
  const s = [...v].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

/** Warm every case once, then REPS rounds of A B C ..., medians per case. */
function block(info: BackendInfo, cases: Case[], reps = REPS): void {
  for (const c of cases) timeOnce(c.run);
  const times = cases.map(() => [] as Timing[]);
  for (let r = 0; r < reps; r++) cases.forEach((c, i) => times[i]!.push(timeOnce(c.run)));
  const local = new Map<string, Result>();
  cases.forEach((c, i) => {
    const ms = median(times[i]!.map((t) => t.wall));
    const cpuMs = median(times[i]!.map((t) => t.cpu));
    const res: Result = { backend: info.name, op: c.op, shape: c.shape, ms, gflops: c.flops / ms / 1e6, gflopsCpu: c.flops / cpuMs / 1e6 };
    local.set(c.op, res);
    results.push(res);
    const peer = c.peer ? local.get(c.peer) : undefined;
    const tfPeer = info.name !== 'tensorflow' ? results.find((r) => r.backend === 'tensorflow' && r.op === c.op && r.shape === c.shape) : undefined;
    const line: Record<string, unknown> = {
      bench: 'backend',
      backend: info.name,
      threads: info.threads,
      op: c.op,
      shape: c.shape,
      gflop: +(c.flops / 1e9).toPrecision(4),
      ms_median: +ms.toFixed(2),
      ms_runs: times[i]!.map((t) => +t.wall.toFixed(1)),
      gflops: +res.gflops.toPrecision(4),
      cpu_ms_median: +cpuMs.toFixed(2),
      gflops_per_cpu_s: +res.gflopsCpu.toPrecision(4),
    };
    if (peer) {
      Object.assign(line, {
        peer: `${info.name} ${peer.op}`,
        ratio: +(res.gflops / peer.gflops).toPrecision(3),
        ratio_cpu: +(res.gflopsCpu / peer.gflopsCpu).toPrecision(3),
      });
    }
    if (tfPeer) Object.assign(line, { vs_tensorflow: +(res.gflops / tfPeer.gflops).toPrecision(3) });
    console.log(JSON.stringify(line));
  });
}

/** Square matMuls, plus a*b^T at the first size (what matMul's gradient runs), against the plain one. */
function matMulCases(sizes: number[]): Case[][] {
  return sizes.map((n, i) => {
    const a = tf.randomNormal([n, n]);
    const b = tf.randomNormal([n, n]);
    const shape = `${n}x${n}x${n}`;
    const plain: Case = { op: 'matMul', shape, flops: 2 * n ** 3, run: () => tf.matMul(a, b) };
    if (i > 0) return [plain];
    return [plain, { op: 'matMul a.b^T', shape, flops: 2 * n ** 3, peer: 'matMul', run: () => tf.matMul(a, b, false, true) }];
  });
}

interface Layer {
  name: string;
  n: number;
  hw: number;
  ci: number;
  co: number;
  k: number;
  stride: number;
}

function convCases(l: Layer, extra: (x: tf.Tensor4D, w: tf.Tensor4D, dy: tf.Tensor4D) => Case[] = () => []): Case[] {
  const x = tf.randomNormal([l.n, l.hw, l.hw, l.ci]) as tf.Tensor4D;
  const w = tf.randomNormal([l.k, l.k, l.ci, l.co], 0, 0.1) as tf.Tensor4D;
  const outHw = Math.ceil(l.hw / l.stride);
  const dy = tf.randomNormal([l.n, outHw, outHw, l.co]) as tf.Tensor4D;
  const shape = `${l.name}: x[${x.shape}] w[${w.shape}] stride ${l.stride} same`;
  const flops = 2 * l.n * outHw * outHw * l.k * l.k * l.ci * l.co;
  const attrs = { strides: l.stride, pad: 'same', dataFormat: 'NHWC', dimRoundingMode: undefined } as unknown as tf.NamedAttrMap;
  return [
    { op: 'conv2d.forward', shape, flops, run: () => tf.conv2d(x, w, l.stride, 'same') },
    {
      op: 'conv2d.backpropInput',
      shape,
      flops,
      peer: 'conv2d.forward',
      run: () => tf.engine().runKernel('Conv2DBackpropInput', { dy, filter: w }, { ...attrs, inputShape: x.shape }) as tf.Tensor,
    },
    {
      op: 'conv2d.backpropFilter',
      shape,
      flops,
      peer: 'conv2d.forward',
      run: () => tf.engine().runKernel('Conv2DBackpropFilter', { x, dy }, { ...attrs, filterShape: w.shape }) as tf.Tensor,
    },
    ...extra(x, w, dy).map((c) => ({ ...c, shape, flops })),
  ];
}

/** ResNet-18 on CIFAR: a conv2_x layer, the stride-2 conv opening conv3_x, and its 1x1 shortcut. */
const layers = (n: number): Layer[] => [
  { name: 'resnet18-cifar conv2_x', n, hw: 32, ci: 64, co: 64, k: 3, stride: 1 },
  { name: 'resnet18-cifar conv3_1', n, hw: 32, ci: 64, co: 128, k: 3, stride: 2 },
  { name: 'resnet18-cifar shortcut3', n, hw: 32, ci: 64, co: 128, k: 1, stride: 2 },
];

/**
 * The same kinds of layer, one image at half the width and resolution, for the
 * plain-JS cpu backend (its Conv2DBackpropFilter runs at ~0.01 GFLOP/s).
 */
const smallLayers: Layer[] = [
  { name: 'small 3x3 s1', n: 1, hw: 16, ci: 32, co: 32, k: 3, stride: 1 },
  { name: 'small 3x3 s2', n: 1, hw: 16, ci: 32, co: 64, k: 3, stride: 2 },
  { name: 'small 1x1 s2', n: 1, hw: 16, ci: 32, co: 64, k: 1, stride: 2 },
];

async function main(): Promise<void> {
  const t0 = performance.now();
  const load = os.loadavg()[0]!;
  console.log(JSON.stringify({ bench: 'backend', cores: os.availableParallelism(), loadavg_1m: +load.toFixed(2), reps: REPS }));
  if (load > os.availableParallelism()) console.error(`# note: load average ${load.toFixed(1)} on ${os.availableParallelism()} cores; wall-clock numbers include waiting for a core, see ratio_cpu`);
  const order = (process.env.BENCH_BACKENDS?.split(',') ?? ['tensorflow', 'wasm', 'cpu']) as BackendName[];
  for (const name of order) {
    let info: BackendInfo;
    try {
      info = await initBackend(name);
    } catch (err) {
      console.log(JSON.stringify({ bench: 'backend', backend: name, skipped: String(err instanceof Error ? err.message : err).split('\n')[0] }));
      continue;
    }
    console.error(`# ${info.name} (${info.source}, ${info.device}, ${info.threads} thread(s))`);
    tf.engine().startScope();
    if (name === 'cpu') {
      // The plain-JS backend is two orders slower: small sizes, fewer rounds.
      for (const cases of matMulCases([256])) block(info, cases, 3);
      for (const l of smallLayers) block(info, convCases(l), 3);
    } else {
      for (const cases of matMulCases([1024, 2048])) block(info, cases);
      for (const l of layers(32)) block(info, convCases(l));
      if (name === 'wasm') {
        // The shipped kernel is ~15x slower: a smaller batch keeps this short.
        const shipped = originalWasmKernel('Conv2DBackpropInput');
        const l = layers(4)[0]!;
        if (shipped) {
          block(
            info,
            convCases(l, (x, w, dy) => [
              {
                op: 'conv2d.backpropInput (wasm as shipped)',
                flops: 0,
                shape: '',
                peer: 'conv2d.backpropInput',
                run: () => {
                  const attrs = { strides: l.stride, pad: 'same', dataFormat: 'NHWC', dimRoundingMode: undefined, inputShape: x.shape };
                  const out = shipped({ inputs: { dy, filter: w }, backend: tf.backend(), attrs: attrs as unknown as tf.NamedAttrMap }) as tf.TensorInfo;
                  tf.backend().disposeData(out.dataId);
                },
              },
            ]).filter((c) => c.op !== 'conv2d.backpropFilter'),
            3,
          );
        }
      }
    }
    tf.engine().endScope();
  }
  console.error(`# done in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
}

await main();
