/**
 * The WebGPU backend through Dawn (npm `webgpu`'s dawn.node) in plain Node.
 * Loaded only where the engine runs (CLI process, engine worker, Electron's
 * utility process); the Electron main process and the renderer never import it.
 *
 *   probeWebgpu()  -> the adapter Dawn offers (vendor, device, software or not), or why none
 *   useWebgpu(p)   -> registers tfjs's 'webgpu' backend on exactly that adapter and switches to it
 */
import fs from 'node:fs';
import * as tf from '@tensorflow/tfjs';
import type { WebgpuAdapter } from './types.js';
import { applyWebgpuFlags } from './webgpu-flags.js';

/** The limits tfjs-backend-webgpu raises from WebGPU's defaults to the adapter's own. */
const LIMITS_USED = [
  'maxComputeWorkgroupStorageSize',
  'maxComputeWorkgroupsPerDimension',
  'maxStorageBufferBindingSize',
  'maxBufferSize',
  'maxComputeWorkgroupSizeX',
  'maxComputeInvocationsPerWorkgroup',
] as const;

// Minimal structural types for what we touch of the WebGPU API (no DOM lib in the engine's tsconfig).
interface GpuAdapterLike {
  info: Record<string, unknown>;
  limits: Record<string, number>;
  features: { has(name: string): boolean };
  requestDevice(desc: unknown): Promise<unknown>;
}
interface GpuLike {
  requestAdapter(opts?: unknown): Promise<GpuAdapterLike | null>;
}

export type WebgpuProbe = { ok: true; adapter: WebgpuAdapter; handle: GpuAdapterLike } | { ok: false; reason: string };

let probed: Promise<WebgpuProbe> | null = null;

/** Vulkan ICD manifests the Vulkan loader would read, for saying why no adapter was found. */
export function vulkanIcds(): string[] {
  if (process.env.VK_ICD_FILENAMES) return process.env.VK_ICD_FILENAMES.split(':').filter(Boolean);
  const dirs = ['/etc/vulkan/icd.d', '/usr/share/vulkan/icd.d', '/usr/local/share/vulkan/icd.d'];
  return dirs.flatMap((d) => (fs.existsSync(d) ? fs.readdirSync(d).filter((f) => f.endsWith('.json')).map((f) => `${d}/${f}`) : []));
}

/** SwiftShader, llvmpipe/lavapipe, WARP and Dawn's fallback adapter compute on the CPU. */
function isSoftware(info: Record<string, unknown>): boolean {
  if (info.isFallbackAdapter === true) return true;
  const text = ['vendor', 'architecture', 'device', 'description'].map((k) => String(info[k] ?? '')).join(' ');
  return /swiftshader|llvmpipe|lavapipe|software|microsoft basic render|warp/i.test(text);
}

function whyNoAdapter(): string {
  if (process.platform !== 'linux') return 'Dawn found no WebGPU adapter (no Metal/D3D12 device answered)';
  const icds = vulkanIcds();
  if (!icds.length) {
    return 'Dawn found no WebGPU adapter: no Vulkan driver manifest (ICD) is installed, e.g. /usr/share/vulkan/icd.d/nvidia_icd.json from the NVIDIA driver; a software adapter: VK_ICD_FILENAMES=/usr/lib/chromium/vk_swiftshader_icd.json';
  }
  return `Dawn found no usable WebGPU adapter among the Vulkan drivers ${icds.join(', ')} (lavapipe is rejected by Dawn; is libvulkan.so.1 installed?)`;
}

async function probe(): Promise<WebgpuProbe> {
  if (process.env.SIMCLR_DISABLE_GPU === '1') return { ok: false, reason: 'SIMCLR_DISABLE_GPU=1' };
  let gpu: GpuLike;
  try {
    // Dawn's Vulkan backend warns when XDG_RUNTIME_DIR is unset (headless servers, CI).
    process.env.XDG_RUNTIME_DIR ??= '/tmp';
    const dawn = (await import('webgpu')) as unknown as { create(flags: string[]): GpuLike; globals: Record<string, unknown> };
    // tfjs-backend-webgpu reads the WebGPU constants (GPUBufferUsage, ...) as globals.
    for (const [k, v] of Object.entries(dawn.globals)) if (!(k in globalThis)) (globalThis as Record<string, unknown>)[k] = v;
    gpu = dawn.create([]);
  } catch (err) {
    return { ok: false, reason: `dawn.node did not load: ${String(err instanceof Error ? err.message : err).split('\n')[0]}` };
  }
  const handle = await gpu.requestAdapter({ powerPreference: 'high-performance' });
  if (!handle) return { ok: false, reason: whyNoAdapter() };
  const info = handle.info;
  const limits = Object.fromEntries(LIMITS_USED.map((k) => [k, Number(handle.limits[k])]));
  const adapter: WebgpuAdapter = {
    vendor: String(info.vendor ?? ''),
    architecture: String(info.architecture ?? ''),
    device: String(info.device ?? ''),
    description: String(info.description ?? ''),
    software: isSoftware(info),
    limits,
  };
  setNavigatorGpu(gpu);
  return { ok: true, adapter, handle };
}

/** tfjs-backend-webgpu looks for navigator.gpu; Node 21+ has a navigator without it. */
function setNavigatorGpu(gpu: GpuLike): void {
  const g = globalThis as { navigator?: object };
  if (!g.navigator) g.navigator = {};
  if (!('gpu' in g.navigator)) Object.defineProperty(g.navigator, 'gpu', { value: gpu, configurable: true });
}

/** The adapter Dawn offers, probed once per process. */
export function probeWebgpu(): Promise<WebgpuProbe> {
  probed ??= probe();
  return probed;
}

export function adapterLabel(a: WebgpuAdapter): string {
  const name = [a.vendor, a.architecture, a.device].filter(Boolean).join(' ');
  return `${name || 'unknown adapter'}${a.description ? ` (${a.description})` : ''}${a.software ? ', software' : ''}`;
}

let registered = false;

/** Register tfjs's 'webgpu' backend on the probed adapter (once) and switch to it. */
export async function useWebgpu(p: Extract<WebgpuProbe, { ok: true }>): Promise<void> {
  if (!registered) {
    // Imported only after navigator.gpu exists; the package then registers its own
    // factory (which would ask Dawn for an adapter again): ours uses the one we inspected.
    const { WebGPUBackend } = await import('@tensorflow/tfjs-backend-webgpu');
    if (tf.findBackendFactory('webgpu')) tf.removeBackend('webgpu');
    tf.registerBackend(
      'webgpu',
      async () => {
        const features = ['timestamp-query'].filter((f) => p.handle.features.has(f));
        const device = await p.handle.requestDevice({ requiredFeatures: features, requiredLimits: p.adapter.limits });
        return new WebGPUBackend(device as ConstructorParameters<typeof WebGPUBackend>[0], p.handle.info as unknown as ConstructorParameters<typeof WebGPUBackend>[1]);
      },
      // below cpu (1): tfjs never picks it on its own; initBackend always names the backend
      0,
    );
    registered = true;
  }
  if (!(await tf.setBackend('webgpu'))) throw new Error('tf.setBackend("webgpu") failed: the device could not be created on the adapter');
  await applyWebgpuFlags(p.adapter);
}
