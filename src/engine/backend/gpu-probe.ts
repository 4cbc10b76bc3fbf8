import { spawnSync } from 'node:child_process';
import fs from 'node:fs';

/**
 * Name of a usable CUDA GPU, or null. tfjs-node-gpu aborts the whole process
 * on some machines when CUDA is missing, so we only try it when the NVIDIA
 * driver answers.
 */
export function cudaGpuName(): string | null {
  if (process.env.SIMCLR_DISABLE_GPU === '1') return null;
  if (process.platform === 'linux' && !fs.existsSync('/proc/driver/nvidia/version')) return null;
  const r = spawnSync('nvidia-smi', ['--query-gpu=name', '--format=csv,noheader'], { encoding: 'utf8', timeout: 5000 });
  if (r.status !== 0 || !r.stdout.trim()) return null;
  return r.stdout.trim().split('\n')[0]!.trim();
}
