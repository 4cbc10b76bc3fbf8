import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import { afterAll, describe, expect, it } from 'vitest';
import { TOKEN_HEADER } from '../../src/shared/api.js';
import { openBrowser } from '../../src/cli/commands/serve.js';
import { shipped } from '../support/shipped.js';
import { tmpDir } from './harness.js';

const app = shipped();
const dirs: string[] = [];

afterAll(() => {
  for (const d of dirs) fs.rmSync(d, { recursive: true, force: true });
});

describe('simclr-workbench serve (bin/simclr-workbench.js over the shipped out/cli)', () => {
  it('prints a tokenised loopback URL, answers on it, and stops cleanly on Ctrl+C', async () => {
    const root = tmpDir('serve-cmd');
    dirs.push(root);
    const child = spawn(process.execPath, [app.bin, 'serve', '--port', '0', '--data-root', root], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.setEncoding('utf8').on('data', (c: string) => (out += c));
    child.stderr.setEncoding('utf8').on('data', (c: string) => (out += c));
    const deadline = Date.now() + 30_000;
    while (!/token=\S+/.test(out) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    const url = /(http:\/\/127\.0\.0\.1:\d+\/#token=(\S+))/.exec(out);
    expect(url, out).not.toBeNull();
    const base = new URL(url![1]!);
    const res = await fetch(`${base.origin}/api/jobs.start`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', [TOKEN_HEADER]: url![2]! },
      body: JSON.stringify({ kind: 'selftest', config: { steps: 1000, stepMs: 50 } }),
    });
    const started = (await res.json()) as { ok: boolean; result: { pid: number } };
    expect(started.ok).toBe(true);
    const jobPid = started.result.pid;
    expect(jobPid).toBeGreaterThan(0);

    child.kill('SIGINT');
    const code = await new Promise<number | null>((resolve) => child.on('exit', (c) => resolve(c)));
    expect(code).toBe(0);
    expect(out).toContain('stopping: cancelling jobs');
    // the running job's process did not outlive the server
    expect(() => process.kill(jobPid, 0)).toThrow();
  });

  it('ships the worker as its own entry, which refuses to run by hand, and keeps it out of --help', () => {
    const help = spawnSync(process.execPath, [app.bin, '--help'], { encoding: 'utf8' });
    expect(help.stdout).toContain('serve');
    expect(help.stdout).not.toMatch(/^\s+worker\s/m);
    const worker = spawnSync(process.execPath, [app.worker], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
    expect(worker.status).toBe(2);
    expect(worker.stderr).toContain('that `simclr-workbench serve` forks');
  });

  it('--open never fails where no browser can be started', async () => {
    const lines: string[] = [];
    const path = process.env.PATH;
    process.env.PATH = '/nonexistent';
    try {
      expect(() => openBrowser('http://127.0.0.1:1/#token=x', (l) => lines.push(l))).not.toThrow();
    } finally {
      process.env.PATH = path;
    }
    const deadline = Date.now() + 5_000;
    while (lines.length === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    expect(lines[0]).toMatch(/no browser could be opened/);
  });
});
