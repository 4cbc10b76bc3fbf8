import { spawn, spawnSync } from 'node:child_process';
import { runTraining } from '../support/kill-training.js';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { listCheckpoints } from '../../src/engine/train/index.js';
import { parseRunRecord, type MetricRecord } from '../../src/shared/run.js';
import { CIFAR10_DIR } from '../support/shared-data.js';

// The CLI as a user runs it (built by `npm run build:cli`), so SIGKILL hits a real training process.
const CLI = path.resolve('bin/simclr-workbench.js');
let tmp: string;
let env: NodeJS.ProcessEnv;
let refLosses: Map<number, number>;

type StepEvent = { type: 'step'; epoch: number; step: number; globalStep: number; loss: number };
type Event = { type: string; runDir?: string; resumedFrom?: string | null } & Partial<Omit<StepEvent, 'type'>>;

const args = () => ['train', '--dataset', CIFAR10_DIR, '--train-limit', '192', '--batch', '32', '--epochs', '3', '--knn-every', '0', '--seed', '3', '--out', path.join(tmp, 'runs'), '--json'];

function parseLines(out: string): Event[] {
  return out
    .split('\n')
    .filter((l) => l.startsWith('{'))
    .map((l) => JSON.parse(l) as Event);
}

function losses(events: Event[]): Map<number, number> {
  return new Map(events.filter((e) => e.type === 'step').map((e) => [e.globalStep!, e.loss!]));
}

/**
 * Start the CLI training run of args() and SIGKILL it as soon as it reports
 * the given step of the given epoch: no handler runs, nothing is cleaned up.
 */
async function trainUntilKilled(epoch: number, step: number): Promise<{ runDir: string; globalStep: number }> {
  const run = await runTraining(args(), env, { epoch, step });
  if (run.signal !== 'SIGKILL') throw new Error(`training exited (${run.code}) before it could be killed:\n${run.stderr}`);
  return { runDir: run.runDir, globalStep: run.killedAt! };
}

describe('resume after SIGKILL (CLI)', () => {
  beforeAll(() => {
    if (!fs.existsSync(path.resolve('out/cli/cli.js'))) throw new Error('out/cli/cli.js is missing: run `npm run build:cli` first');
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'simclr-resume-'));
    env = { ...process.env, SIMCLR_DATA_ROOT: path.join(tmp, 'data'), SIMCLR_BACKEND: '' };
  });
  afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

  it('a run killed mid-epoch and resumed has the same per-step losses as an uninterrupted run', async () => {
    // Reference: the same config, uninterrupted.
    const ref = spawnSync(process.execPath, [CLI, ...args()], { encoding: 'utf8', env });
    expect(ref.status, ref.stderr).toBe(0);
    // --json: progress as JSON lines on stderr, the result as one JSON document on stdout.
    refLosses = losses(parseLines(ref.stderr));
    expect(JSON.parse(ref.stdout)).toMatchObject({ status: 'completed', epochsCompleted: 3, globalStep: 18 });
    expect(refLosses.size).toBe(18); // 3 epochs x 6 steps

    // Killed with SIGKILL at step 3 of epoch 2: no handler runs, nothing is cleaned up.
    const { runDir, globalStep: killedAt } = await trainUntilKilled(2, 3);
    expect(killedAt).toBe(9);
    const killed = parseRunRecord(JSON.parse(fs.readFileSync(path.join(runDir, 'run.json'), 'utf8')));
    expect(killed.status).toBe('running'); // nobody could rewrite it; readers show 'interrupted' (dead pid)
    expect(killed.epochsCompleted).toBe(1);
    expect(listCheckpoints(path.join(runDir, 'checkpoints'))).toEqual(['epoch-0001']);

    // Resume: continues from epoch-0001, i.e. global step 7.
    const res = spawnSync(process.execPath, [CLI, 'train', '--resume', runDir, '--json'], { encoding: 'utf8', env });
    expect(res.status, res.stderr).toBe(0);
    const events = parseLines(res.stderr);
    expect(events[0]).toMatchObject({ type: 'start', resumedFrom: path.join(runDir, 'checkpoints', 'epoch-0001') });
    const resumed = losses(events);
    expect([...resumed.keys()]).toEqual(Array.from({ length: 12 }, (_, i) => i + 7));
    for (const [step, loss] of resumed) expect(Math.abs(loss - refLosses.get(step)!), `global step ${step}`).toBeLessThan(1e-5);
    // (and the steps before the kill matched too: same seed, same stream)
    const killedMetrics = fs
      .readFileSync(path.join(runDir, 'metrics.jsonl'), 'utf8')
      .split('\n')
      .filter(Boolean)
      .map((l) => JSON.parse(l) as MetricRecord);
    const resumeAt = killedMetrics.findIndex((m) => m.type === 'resume');
    expect(killedMetrics[resumeAt]).toMatchObject({ type: 'resume', epoch: 1, globalStep: 6, checkpoint: 'epoch-0001' });
    for (const m of killedMetrics.slice(0, resumeAt)) if (m.type === 'step') expect(Math.abs(m.loss - refLosses.get(m.globalStep)!)).toBeLessThan(1e-5);

    const done = parseRunRecord(JSON.parse(fs.readFileSync(path.join(runDir, 'run.json'), 'utf8')));
    expect(done.status).toBe('completed');
    expect(done.epochsCompleted).toBe(3);
    expect(done.globalStep).toBe(18);
    expect(done.resumes).toHaveLength(1);
    expect(done.resumes[0]).toMatchObject({ checkpoint: 'epoch-0001', epoch: 1 });
    expect(listCheckpoints(path.join(runDir, 'checkpoints'))).toEqual(['epoch-0001', 'epoch-0002', 'epoch-0003']);
  });

  it('resume skips a checkpoint damaged on disk and continues from the newest intact one', async () => {
    expect(refLosses?.size).toBe(18);
    // Killed at step 1 of epoch 3, so epoch-0001 and epoch-0002 exist.
    const { runDir } = await trainUntilKilled(3, 1);
    const checkpoints = path.join(runDir, 'checkpoints');
    expect(listCheckpoints(checkpoints)).toEqual(['epoch-0001', 'epoch-0002']);
    // Damage the newest checkpoint's tensors (same size, different bytes).
    const tensors = path.join(checkpoints, 'epoch-0002', 'tensors.bin');
    const bytes = fs.readFileSync(tensors);
    for (let i = 0; i < bytes.length; i += 97) bytes[i] = bytes[i]! ^ 0xff;
    fs.writeFileSync(tensors, bytes);

    const res = spawnSync(process.execPath, [CLI, 'train', '--resume', runDir, '--json'], { encoding: 'utf8', env });
    expect(res.status, res.stderr).toBe(0);
    expect(res.stderr).toMatch(/skipping damaged checkpoint epoch-0002/);
    const events = parseLines(res.stderr);
    expect(events[0]).toMatchObject({ type: 'start', resumedFrom: path.join(checkpoints, 'epoch-0001') });
    const resumed = losses(events);
    expect([...resumed.keys()]).toEqual(Array.from({ length: 12 }, (_, i) => i + 7));
    for (const [step, loss] of resumed) expect(Math.abs(loss - refLosses.get(step)!), `global step ${step}`).toBeLessThan(1e-5);
    const done = parseRunRecord(JSON.parse(fs.readFileSync(path.join(runDir, 'run.json'), 'utf8')));
    expect(done.status).toBe('completed');
    expect(done.resumes[0]).toMatchObject({ checkpoint: 'epoch-0001', epoch: 1 });
  });

  it('SIGINT cancels between steps: exit 130, status cancelled', async () => {
    const child = spawn(process.execPath, [CLI, ...args()], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let runDir = '';
    let sent = false;
    child.stderr.setEncoding('utf8');
    let buffered = '';
    child.stderr.on('data', (chunk: string) => {
      buffered += chunk;
      for (const e of parseLines(buffered.slice(0, buffered.lastIndexOf('\n') + 1))) {
        if (e.type === 'start') runDir = e.runDir!;
        if (e.type === 'step' && !sent) {
          sent = true;
          child.kill('SIGINT');
        }
      }
      buffered = buffered.slice(buffered.lastIndexOf('\n') + 1);
    });
    const code = await new Promise<number | null>((r) => child.once('close', (c) => r(c)));
    expect(code).toBe(130);
    const rec = parseRunRecord(JSON.parse(fs.readFileSync(path.join(runDir, 'run.json'), 'utf8')));
    expect(rec.status).toBe('cancelled');
    expect(rec.globalStep).toBe(0);
    const steps = fs.readFileSync(path.join(runDir, 'metrics.jsonl'), 'utf8').split('\n').filter((l) => l.includes('"step"'));
    expect(steps.length).toBeLessThanOrEqual(2); // the step in flight finishes, no more
  });

  it('config errors name the field and exit with status 2', () => {
    const r = spawnSync(process.execPath, [CLI, 'train', '--dataset', CIFAR10_DIR, '--epochs', '0', '--optimizer', 'adam'], { encoding: 'utf8', env });
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/epochs: /);
    expect(r.stderr).toMatch(/optimizer\.name: .*lars/);
    const missing = spawnSync(process.execPath, [CLI, 'train', '--epochs', '2'], { encoding: 'utf8', env });
    expect(missing.status).toBe(2);
    expect(missing.stderr).toMatch(/--dataset/);
    const bad = spawnSync(process.execPath, [CLI, 'train', '--dataset', 'x', '--batch', 'many'], { encoding: 'utf8', env });
    expect(bad.status).toBe(2);
    expect(bad.stderr).toMatch(/--batch expects a number, got "many"/);
    const file = path.join(tmp, 'bad.json');
    fs.writeFileSync(file, JSON.stringify({ dataset: CIFAR10_DIR, knn: { k: 0 }, lr: 1 }));
    const cfg = spawnSync(process.execPath, [CLI, 'train', '--config', file], { encoding: 'utf8', env });
    expect(cfg.status).toBe(2);
    expect(cfg.stderr).toContain(file);
    expect(cfg.stderr).toMatch(/knn\.k: /);
    expect(cfg.stderr).toMatch(/unknown field "lr"/);
  });
});
