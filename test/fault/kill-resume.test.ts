/**
 * Fault injection (issue 23, "keep it proven"): a tiny training run of the
 * shipped CLI is killed with SIGKILL at seeded random moments — between
 * steps, and from inside the writes of run.json, metrics.jsonl and each file
 * of a checkpoint (a test hook writes half the bytes, then kills the
 * process) — and resumed. The resumed run must reproduce the uninterrupted
 * run's losses bit for bit, list every step once, and leave only files that
 * parse. Bounded: about 40 s of CPU (user) time; a minute or two of wall time on 2 cores.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RunStore, summarizeRun } from '../../src/engine/runs/index.js';
import { listCheckpoints, readCheckpoint } from '../../src/engine/train/index.js';
import { parseRunRecord } from '../../src/shared/run.js';
import { shipped } from '../support/shipped.js';
import { CIFAR10_DIR } from '../support/shared-data.js';
import { CLI, runTraining, stepLosses } from '../support/kill-training.js';

const EPOCHS = 3;
const STEPS_PER_EPOCH = 2; // 64 images, batch 32
const TOTAL = EPOCHS * STEPS_PER_EPOCH;
const SEED = 23;

let tmp: string;
let env: NodeJS.ProcessEnv;
let ref: Map<number, number>;

const args = (out: string) => ['train', '--dataset', CIFAR10_DIR, '--train-limit', '64', '--batch', '32', '--epochs', String(EPOCHS), '--knn-every', '0', '--seed', '3', '--out', out, '--json'];

/** mulberry32: the moments are random but the same on every run of the suite. */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
const rand = rng(SEED);
const pick = (lo: number, hi: number) => lo + Math.floor(rand() * (hi - lo + 1));

/** Every file of a finished run reads back: run.json, each metrics line, each checkpoint; no temp or lock is left. */
function expectIntact(runDir: string): void {
  const record = parseRunRecord(JSON.parse(fs.readFileSync(path.join(runDir, 'run.json'), 'utf8')));
  expect(record.status).toBe('completed');
  expect(record.globalStep).toBe(TOTAL);
  const lines = fs.readFileSync(path.join(runDir, 'metrics.jsonl'), 'utf8').split('\n').filter(Boolean);
  const metrics = lines.map((l) => JSON.parse(l) as { type: string; globalStep?: number; loss?: number });
  const steps = metrics.filter((m) => m.type === 'step');
  // each step once (the interrupted attempt's superseded records were dropped), with the reference's loss
  expect(steps.map((m) => m.globalStep)).toEqual(Array.from({ length: TOTAL }, (_, i) => i + 1));
  for (const m of steps) expect(m.loss, `metrics.jsonl step ${m.globalStep}`).toBe(ref.get(m.globalStep!));
  const ck = path.join(runDir, 'checkpoints');
  expect(listCheckpoints(ck)).toEqual(Array.from({ length: EPOCHS }, (_, i) => `epoch-${String(i + 1).padStart(4, '0')}`));
  for (const name of listCheckpoints(ck)) expect(readCheckpoint(path.join(ck, name)).manifest.epoch).toBe(Number(name.slice(6)));
  expect(fs.readFileSync(path.join(ck, 'latest'), 'utf8').trim()).toBe(`epoch-${String(EPOCHS).padStart(4, '0')}`);
  const leftovers = [...fs.readdirSync(runDir), ...fs.readdirSync(ck)].filter((n) => n.endsWith('.tmp') || n.startsWith('.tmp-') || n.startsWith('.old-') || n.includes('lock'));
  expect(leftovers).toEqual([]);
}

/** Kill a fresh run (by step or by fault hook), resume it, and check the result against the reference. */
async function killAndResume(name: string, kill: { step?: { epoch: number; step: number }; fault?: string }): Promise<void> {
  const out = path.join(tmp, name);
  const faultEnv = kill.fault ? { ...env, SIMCLR_WORKBENCH_TEST_HOOKS: '1', SIMCLR_FAULT_KILL: kill.fault } : env;
  const killed = await runTraining(args(out), faultEnv, kill.step);
  expect(killed.signal, `${name}: the run was not killed\n${killed.stderr}`).toBe('SIGKILL');
  expect(killed.runDir).not.toBe('');
  // steps before the kill already matched the reference
  for (const [step, loss] of stepLosses(killed.events)) expect(loss, `${name} step ${step} before the kill`).toBe(ref.get(step));
  // the killed run shows as interrupted: its lock file is still there, but its holder is dead
  expect(summarizeRun(killed.runDir).status).toBe('interrupted');
  // resume continues from the newest complete checkpoint on disk, whatever `latest` says
  const complete = listCheckpoints(path.join(killed.runDir, 'checkpoints'));
  const resumed = await runTraining(['train', '--resume', killed.runDir, '--json'], env);
  expect(resumed.code, `${name}: resume failed\n${resumed.stderr}`).toBe(0);
  expect(resumed.events[0]).toMatchObject({ type: 'start', resumedFrom: complete.length ? path.join(killed.runDir, 'checkpoints', complete.at(-1)!) : null });
  const losses = stepLosses(resumed.events);
  expect(losses.size).toBeGreaterThan(0);
  for (const [step, loss] of losses) expect(loss, `${name} step ${step} after resume`).toBe(ref.get(step));
  expectIntact(killed.runDir);
}

beforeAll(() => {
  shipped();
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'simclr-fault-'));
  env = { ...process.env, SIMCLR_DATA_ROOT: path.join(tmp, 'data'), SIMCLR_BACKEND: '' };
});
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

describe('kill -9 at seeded random moments, then resume', () => {
  it('the uninterrupted reference run', () => {
    const r = spawnSync(process.execPath, [CLI, ...args(path.join(tmp, 'ref'))], { encoding: 'utf8', env });
    expect(r.status, r.stderr).toBe(0);
    ref = stepLosses(r.stderr.split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l)));
    expect(ref.size).toBe(TOTAL);
  });

  // The moments, drawn once from the seed (printed in the test names).
  const stepAt = pick(1, TOTAL - 1);
  const moments: [string, { step?: { epoch: number; step: number }; fault?: string }][] = [
    [`between steps, after global step ${stepAt}`, { step: { epoch: Math.ceil(stepAt / STEPS_PER_EPOCH), step: ((stepAt - 1) % STEPS_PER_EPOCH) + 1 } }],
    ...(['tensors', 'manifest', 'pointer'] as const).map((file): [string, { fault: string }] => {
      // the pointer after epoch 2: epoch-0002 is complete while `latest` still names epoch-0001
      const epoch = file === 'pointer' ? 2 : pick(1, EPOCHS - 1);
      return [`inside checkpoint epoch-${epoch}'s ${file} write`, { fault: `checkpoint epoch-${String(epoch).padStart(4, '0')} ${file}#1` }];
    }),
    // run.json: write 1 creates the run; 2.. are the per-epoch updates
    ...[pick(2, EPOCHS)].map((n): [string, { fault: string }] => [`inside run.json write ${n}`, { fault: `run record#${n}` }]),
    ...[pick(2, TOTAL)].map((n): [string, { fault: string }] => [`inside metrics.jsonl append ${n}`, { fault: `metrics#${n}` }]),
  ];
  for (const [what, kill] of moments) {
    it(`${what}: resumes bit-exact, every file parses`, async () => {
      expect(ref?.size).toBe(TOTAL);
      await killAndResume(what.replace(/[^a-z0-9]+/gi, '-'), kill);
    });
  }

  it('inside the very first run.json write: no half-made run is left to list or resume, and the next run starts clean', async () => {
    const data = path.join(tmp, 'first-write');
    const out = path.join(data, 'runs');
    const killed = await runTraining(args(out), { ...env, SIMCLR_WORKBENCH_TEST_HOOKS: '1', SIMCLR_FAULT_KILL: 'run record#1' });
    expect(killed.signal).toBe('SIGKILL');
    const store = new RunStore(data);
    expect(store.list()).toEqual({ runs: [], skipped: [] });
    expect(fs.readdirSync(out).filter((n) => !n.startsWith('.'))).toEqual([]); // only the hidden staging folder
    const again = await runTraining(args(out).map((a, i, all) => (all[i - 1] === '--epochs' ? '1' : a)), env);
    expect(again.code, again.stderr).toBe(0);
    expect(fs.readdirSync(out).filter((n) => n.startsWith('.new-'))).toEqual([]); // the killed one's staging was removed
    expect(store.list().runs.map((r) => r.status)).toEqual(['completed']);
  });
});
