import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { SWIFTSHADER_ENV, webgpuSkipReason } from './webgpu-env.js';

// Each backend choice runs in its own CLI process: tfjs keeps one global engine.
function cli(args: string[], env: Record<string, string> = {}) {
  const r = spawnSync(process.execPath, ['bin/simclr-workbench.js', ...args], { encoding: 'utf8', env: { ...process.env, ...env } });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

describe('backend selection (CLI)', () => {
  it('auto picks native tensorflow when the binding is built', () => {
    const r = cli(['backend', '--json']);
    expect(r.code).toBe(0);
    const info = JSON.parse(r.out);
    expect(info.name).toBe('tensorflow');
    expect(info.source).toBe('@tensorflow/tfjs-node');
    expect(info.device).toMatch(/^CPU: /);
    expect(info.threads).toBeGreaterThanOrEqual(1);
  });

  it('the --backend flag and SIMCLR_BACKEND override it', () => {
    expect(JSON.parse(cli(['backend', '--json', '--backend', 'wasm']).out).name).toBe('wasm');
    expect(JSON.parse(cli(['backend', '--json'], { SIMCLR_BACKEND: 'cpu' }).out).name).toBe('cpu');
  });

  it('an unknown backend is refused with the allowed names', () => {
    const r = cli(['backend', '--backend', 'cuda']);
    expect(r.code).not.toBe(0);
    expect(r.err).toContain('unknown backend "cuda"');
    expect(r.err).toContain('tensorflow, webgpu, wasm, cpu');
  });

  it('--version prints the package version', () => {
    const r = cli(['--version']);
    expect(r.out.trim()).toMatch(/^\d+\.\d+\.\d+/);
  });
});

describe.skipIf(webgpuSkipReason !== null)('webgpu backend selection (CLI, SwiftShader)', () => {
  it('--backend webgpu takes the software adapter and names it, its driver and the limits it uses', () => {
    const r = cli(['backend', '--json', '--backend', 'webgpu'], SWIFTSHADER_ENV);
    expect(r.code, r.err).toBe(0);
    const info = JSON.parse(r.out);
    expect(info.name).toBe('webgpu');
    expect(info.gpu).toBe(false);
    expect(info.adapter.software).toBe(true);
    expect(info.adapter.architecture).toMatch(/swiftshader/i);
    expect(info.adapter.limits.maxStorageBufferBindingSize).toBeGreaterThan(0);
    expect(info.reason).toMatch(/^requested; adapter .*swiftshader/i);
    const text = cli(['backend', '--backend', 'webgpu'], SWIFTSHADER_ENV).out;
    expect(text).toMatch(/^adapter +vendor google, architecture swiftshader/m);
    expect(text).toMatch(/^limits +maxComputeWorkgroupStorageSize=\d+/m);
  });

  it('auto skips a software adapter, says why, and takes a CPU backend', () => {
    const info = JSON.parse(cli(['backend', '--json'], SWIFTSHADER_ENV).out);
    expect(info.name).not.toBe('webgpu');
    const skip = info.attempts.find((a: { name: string }) => a.name === 'webgpu');
    expect(skip.ok).toBe(false);
    expect(skip.detail).toMatch(/software adapter .*auto skips it/);
  });

  it('with no adapter at all, --backend webgpu fails and names the missing driver', () => {
    const r = cli(['backend', '--backend', 'webgpu'], { VK_ICD_FILENAMES: '/nonexistent/icd.json' });
    expect(r.code).not.toBe(0);
    expect(r.err).toMatch(/backend "webgpu" could not be initialised: .*no usable WebGPU adapter among the Vulkan drivers \/nonexistent\/icd\.json/);
    expect(r.out).toBe('');
  });
});
