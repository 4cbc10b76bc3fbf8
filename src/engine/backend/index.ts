import os from 'node:os';
import * as tf from '@tensorflow/tfjs';
import { cudaGpuName } from './gpu-probe.js';
import { cpuModel, loadNative, type NativePackage } from './native.js';
import { loadWasm } from './wasm.js';
import { adapterLabel, probeWebgpu, useWebgpu } from './webgpu.js';
import { BACKEND_NAMES, type BackendAttempt, type BackendInfo, type BackendName, type BackendPreference, type WebgpuAdapter } from './types.js';

export * from './types.js';

let current: BackendInfo | null = null;

/** The preference from (in order) the argument, SIMCLR_BACKEND, or 'auto'. */
export function resolvePreference(explicit?: string | null): BackendPreference {
  const raw = (explicit ?? process.env.SIMCLR_BACKEND ?? 'auto').trim().toLowerCase();
  if (raw === 'auto' || (BACKEND_NAMES as readonly string[]).includes(raw)) return raw as BackendPreference;
  throw new Error(`unknown backend "${raw}": use one of auto, ${BACKEND_NAMES.join(', ')} (from ${explicit != null ? '--backend' : 'SIMCLR_BACKEND'})`);
}

async function tryNative(pkg: NativePackage, attempts: BackendAttempt[]): Promise<boolean> {
  try {
    loadNative(pkg);
    if (!(await tf.setBackend('tensorflow'))) throw new Error('tf.setBackend("tensorflow") returned false');
    const { registerNativeKernelFixes } = await import('./native-fixes.js');
    registerNativeKernelFixes();
    attempts.push({ name: 'tensorflow', source: pkg, ok: true, detail: 'loaded' });
    return true;
  } catch (err) {
    attempts.push({ name: 'tensorflow', source: pkg, ok: false, detail: firstLine(err) });
    return false;
  }
}

async function tryWasm(attempts: BackendAttempt[]): Promise<boolean> {
  try {
    await loadWasm();
    if (!(await tf.setBackend('wasm'))) throw new Error('tf.setBackend("wasm") returned false');
    const { registerWasmTrainingKernels } = await import('./wasm-training-kernels.js');
    registerWasmTrainingKernels();
    attempts.push({ name: 'wasm', source: '@tensorflow/tfjs-backend-wasm', ok: true, detail: 'loaded' });
    return true;
  } catch (err) {
    attempts.push({ name: 'wasm', source: '@tensorflow/tfjs-backend-wasm', ok: false, detail: firstLine(err) });
    return false;
  }
}

const WEBGPU_SOURCE = '@tensorflow/tfjs-backend-webgpu';

/**
 * 'auto' takes a hardware adapter only: on SwiftShader & co. the CPU backends are
 * faster. An explicit 'webgpu' takes whatever adapter Dawn offers.
 */
async function tryWebgpu(forced: boolean, attempts: BackendAttempt[]): Promise<WebgpuAdapter | null> {
  try {
    const p = await probeWebgpu();
    if (!p.ok) throw new Error(p.reason);
    if (p.adapter.software && !forced) {
      attempts.push({ name: 'webgpu', source: WEBGPU_SOURCE, ok: false, detail: `software adapter ${adapterLabel(p.adapter)}: slower than the CPU backends, so auto skips it (--backend webgpu forces it)` });
      return null;
    }
    await useWebgpu(p);
    attempts.push({ name: 'webgpu', source: WEBGPU_SOURCE, ok: true, detail: `adapter ${adapterLabel(p.adapter)}` });
    return p.adapter;
  } catch (err) {
    attempts.push({ name: 'webgpu', source: WEBGPU_SOURCE, ok: false, detail: firstLine(err) });
    return null;
  }
}

async function tryCpu(attempts: BackendAttempt[]): Promise<boolean> {
  const ok = await tf.setBackend('cpu');
  attempts.push({ name: 'cpu', source: '@tensorflow/tfjs-backend-cpu', ok, detail: ok ? 'loaded' : 'setBackend failed' });
  return ok;
}

function firstLine(err: unknown): string {
  return String(err instanceof Error ? err.message : err).split('\n')[0]!;
}

/**
 * Choose and initialise the compute backend. 'auto' takes the fastest that
 * works: native TensorFlow's GPU build when a CUDA GPU answers and it loads,
 * then WebGPU on a hardware adapter, then native TensorFlow's CPU build, then
 * wasm, then the pure-JS cpu backend. An explicit choice that cannot load is an
 * error, never a silent fallback, so benchmarks and runs say what they ran on.
 */
export async function initBackend(preference?: string | null): Promise<BackendInfo> {
  const pref = resolvePreference(preference);
  if (current && (pref === 'auto' || pref === current.name)) return current;
  const attempts: BackendAttempt[] = [];
  const gpuName = pref === 'auto' || pref === 'tensorflow' ? cudaGpuName() : null;
  let reason = '';
  let source = '';
  let adapter: WebgpuAdapter | null = null;

  if ((pref === 'auto' || pref === 'tensorflow') && gpuName && (await tryNative('@tensorflow/tfjs-node-gpu', attempts))) {
    source = '@tensorflow/tfjs-node-gpu';
    reason = `CUDA GPU found (${gpuName}) and tfjs-node-gpu loaded`;
  }
  if (!source && (pref === 'auto' || pref === 'webgpu')) {
    adapter = await tryWebgpu(pref === 'webgpu', attempts);
    if (adapter) {
      source = WEBGPU_SOURCE;
      reason = pref === 'webgpu' ? `requested; adapter ${adapterLabel(adapter)}` : `hardware WebGPU adapter ${adapterLabel(adapter)}${gpuName ? ' (tfjs-node-gpu did not load)' : ''}`;
    }
  }
  if (!source && (pref === 'auto' || pref === 'tensorflow')) {
    if (await tryNative('@tensorflow/tfjs-node', attempts)) {
      source = '@tensorflow/tfjs-node';
      reason = gpuName ? 'CUDA GPU found but tfjs-node-gpu did not load; native CPU build' : 'native TensorFlow (CPU build) loaded';
    }
  }
  if (!source && (pref === 'auto' || pref === 'wasm')) {
    if (await tryWasm(attempts)) {
      source = '@tensorflow/tfjs-backend-wasm';
      reason = pref === 'wasm' ? 'requested' : 'native TensorFlow unavailable (run `npm run setup:tensorflow`); wasm is the fastest left';
    }
  }
  if (!source && (pref === 'auto' || pref === 'cpu')) {
    if (await tryCpu(attempts)) {
      source = '@tensorflow/tfjs-backend-cpu';
      reason = pref === 'cpu' ? 'requested' : 'no faster backend loaded';
    }
  }
  if (!source) {
    const why = attempts.map((a) => `${a.source}: ${a.detail}`).join('; ');
    throw new Error(`backend "${pref}" could not be initialised: ${why}`);
  }
  if (pref === 'tensorflow') reason = `requested; ${reason}`;
  await tf.ready();
  const name = tf.getBackend() as BackendName;
  const gpu = source.endsWith('-gpu') || (adapter !== null && !adapter.software);
  current = {
    name,
    tfjsVersion: tf.version_core,
    source,
    device: adapter ? `${adapter.software ? 'CPU (software WebGPU)' : 'GPU'}: ${adapterLabel(adapter)}` : gpu ? `GPU: ${gpuName}` : `CPU: ${cpuModel()}`,
    gpu,
    threads: threadsOf(name),
    reason,
    attempts,
    ...(adapter ? { adapter } : {}),
  };
  return current;
}

function threadsOf(name: BackendName): number {
  // TensorFlow's intra-op pool defaults to one thread per core; wasm in Node
  // runs single-threaded (no web workers); the cpu backend is plain JS.
  if (name === 'tensorflow') return Number(process.env.TF_NUM_INTRAOP_THREADS) || os.availableParallelism();
  return 1;
}

export function currentBackend(): BackendInfo | null {
  return current;
}
