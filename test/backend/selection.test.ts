import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';

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
    expect(r.err).toContain('tensorflow, wasm, cpu');
  });

  it('--version prints the package version', () => {
    const r = cli(['--version']);
    expect(r.out.trim()).toMatch(/^\d+\.\d+\.\d+/);
  });
});
