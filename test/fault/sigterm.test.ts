/**
 * Issue 23 item 10: SIGTERM to `serve` while a training job runs: the server
 * waits (bounded) for the trainer to record "cancelled" before it exits, so
 * run.json is not left claiming "running".
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { TOKEN_HEADER } from '../../src/shared/api.js';
import { parseRunRecord } from '../../src/shared/run.js';
import { shipped } from '../support/shipped.js';
import { CIFAR10_DIR } from '../support/shared-data.js';

const root = fs.mkdtempSync(path.join(os.tmpdir(), 'simclr-sigterm-'));
afterAll(() => fs.rmSync(root, { recursive: true, force: true }));

describe('serve: SIGTERM during training', () => {
  it('the run ends as cancelled in run.json, and the server exits', async () => {
    const child = spawn(process.execPath, [shipped().bin, 'serve', '--port', '0', '--data-root', root, '--dataset-dir', CIFAR10_DIR], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.setEncoding('utf8').on('data', (c: string) => (out += c));
    child.stderr.setEncoding('utf8').on('data', (c: string) => (out += c));
    const deadline = Date.now() + 30_000;
    while (!/#token=\S+/.test(out) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    const m = /(http:\/\/127\.0\.0\.1:\d+)\/#token=(\S+)/.exec(out);
    expect(m, out).not.toBeNull();
    const call = async (method: string, body: unknown) =>
      (await (await fetch(`${m![1]}/api/${method}`, { method: 'POST', headers: { 'content-type': 'application/json', [TOKEN_HEADER]: m![2]! }, body: JSON.stringify(body) })).json()) as { ok: boolean; result: Record<string, unknown> };
    const job = await call('jobs.start', { kind: 'train', config: { dataset: CIFAR10_DIR, trainLimit: 256, batchSize: 32, epochs: 50, knn: { every: 0 } } });
    expect(job.ok, JSON.stringify(job)).toBe(true);
    // wait until the run directory exists and training has stepped
    let runDir = '';
    const until = Date.now() + 60_000;
    while (Date.now() < until) {
      const runs = fs.existsSync(path.join(root, 'runs')) ? fs.readdirSync(path.join(root, 'runs')).filter((n) => !n.startsWith('.')) : [];
      if (runs.length) {
        runDir = path.join(root, 'runs', runs[0]!);
        if (fs.existsSync(path.join(runDir, 'metrics.jsonl')) && fs.readFileSync(path.join(runDir, 'metrics.jsonl'), 'utf8').includes('"step"')) break;
      }
      await new Promise((r) => setTimeout(r, 100));
    }
    expect(runDir, out).not.toBe('');
    child.kill('SIGTERM');
    const code = await new Promise<number | null>((resolve) => child.once('exit', (c) => resolve(c)));
    expect(code, out).toBe(0);
    const record = parseRunRecord(JSON.parse(fs.readFileSync(path.join(runDir, 'run.json'), 'utf8')));
    expect(record.status).toBe('cancelled');
    expect(record.endedAt).not.toBeNull();
    expect(fs.existsSync(path.join(runDir, '.lock'))).toBe(false);
  }, 120_000);
});
