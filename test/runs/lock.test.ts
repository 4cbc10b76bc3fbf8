/**
 * Issue 23 items 5, 6, 11: one writer per run directory, stale locks taken
 * over, "running" only while the lock is held, trash never deletes.
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RunStore } from '../../src/engine/runs/index.js';
import { acquireLock, lockHolder, processStartTime, RunLocked } from '../../src/engine/runs/lock.js';
import { lockRunForResume } from '../../src/engine/train/run-dir.js';
import { shipped } from '../support/shipped.js';
import { makeRuns } from './fixtures.js';

let dataRoot: string;
let id: string;
let store: RunStore;

beforeAll(async () => {
  ({ dataRoot, ids: [id!] } = await makeRuns([{}]));
  store = new RunStore(dataRoot);
});

afterAll(() => fs.rmSync(dataRoot, { recursive: true, force: true }));

function copyRun(newId: string): string {
  const to = path.join(store.runsRoot, newId);
  fs.cpSync(store.dir(id), to, { recursive: true });
  return to;
}

/** A process that holds `dir`'s lock (as a trainer would) until killed. */
async function holdLock(dir: string): Promise<ReturnType<typeof spawn>> {
  const child = spawn(process.execPath, ['-e', `
    const fs = require('fs'), os = require('os');
    const stat = fs.readFileSync('/proc/self/stat', 'utf8');
    const procStart = stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19];
    fs.writeFileSync(${JSON.stringify(path.join(dir, '.lock'))}, JSON.stringify({ pid: process.pid, host: os.hostname(), procStart, since: new Date().toISOString(), purpose: 'training', nonce: 'held' }), { flag: 'wx' });
    console.log('ready'); setInterval(() => {}, 1000);`]);
  await new Promise<void>((resolve, reject) => {
    child.stdout!.once('data', () => resolve());
    child.once('exit', (c) => reject(new Error(`lock holder exited ${c}`)));
  });
  return child;
}

describe('run-dir lock', () => {
  it('refuses a second writer with who holds it, and takes over a lock whose holder died', async () => {
    const dir = copyRun('locked');
    const holder = await holdLock(dir);
    try {
      let err: unknown;
      try {
        acquireLock(dir, 'a test');
      } catch (e) {
        err = e;
      }
      expect(err).toBeInstanceOf(RunLocked);
      expect((err as Error).message).toMatch(new RegExp(`locked by training \\(pid ${holder.pid} on ${os.hostname()}`));
      expect(() => lockRunForResume(dir)).toThrow(/still running or in use \(training \(pid \d+.*stop it before resuming/);
      expect(() => store.trash('locked')).toThrow(/still running .*cancel it first/);
    } finally {
      holder.kill('SIGKILL');
      await new Promise((r) => holder.once('exit', r));
    }
    // kill -9 left the lock file behind: stale, so it is taken over.
    expect(fs.existsSync(path.join(dir, '.lock'))).toBe(true);
    const lock = acquireLock(dir, 'a test');
    expect(lockHolder(dir)?.pid).toBe(process.pid);
    lock.release();
    expect(fs.existsSync(path.join(dir, '.lock'))).toBe(false);
  });

  it('treats a live pid with another start time as a reused pid: stale', () => {
    const dir = copyRun('reused-pid');
    expect(processStartTime(process.pid)).toMatch(/^\d+$/);
    fs.writeFileSync(path.join(dir, '.lock'), JSON.stringify({ pid: process.ppid, host: os.hostname(), procStart: '1', since: '', purpose: 'training', nonce: 'x' }));
    expect(lockHolder(dir)).toBeNull();
    acquireLock(dir, 'a test').release();
  });

  it('an imported run.json that claims running (pid 1, this host) is interrupted: it can be resumed and trashed', () => {
    const dir = copyRun('imported-running');
    const file = path.join(dir, 'run.json');
    const rec = JSON.parse(fs.readFileSync(file, 'utf8'));
    fs.writeFileSync(file, JSON.stringify({ ...rec, status: 'running', endedAt: null, pid: 1, host: os.hostname() }));
    expect(store.list().runs.find((r) => r.id === 'imported-running')!.status).toBe('interrupted');
    lockRunForResume(dir).release();
    expect(store.trash('imported-running')).toBe('imported-running');
    store.emptyTrash(['imported-running']);
  });

  it('20 parallel `runs tag` processes keep all 20 tags', async () => {
    const app = shipped();
    const env = { ...process.env, SIMCLR_DATA_ROOT: dataRoot };
    const results = await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        new Promise<{ code: number | null; err: string }>((resolve) => {
          const child = spawn(process.execPath, [app.bin, 'runs', 'tag', id, `+t${i}`], { env, stdio: ['ignore', 'ignore', 'pipe'] });
          let err = '';
          child.stderr.setEncoding('utf8').on('data', (c: string) => (err += c));
          child.on('exit', (code) => resolve({ code, err }));
        }),
      ),
    );
    for (const r of results) expect(r.code, r.err).toBe(0);
    expect(store.show(id).annotations.tags.sort()).toEqual(Array.from({ length: 20 }, (_, i) => `t${i}`).sort());
    expect(fs.readdirSync(store.dir(id)).filter((n) => n.includes('lock') || n.endsWith('.tmp'))).toEqual([]);
  }, 120_000);
});

describe('trash', () => {
  it('trashing an id that is already in the trash keeps both copies, and restore brings back the newest', () => {
    const dir = copyRun('twice');
    fs.writeFileSync(path.join(dir, 'marker'), 'first');
    expect(store.trash('twice')).toBe('twice');
    const again = copyRun('twice');
    fs.writeFileSync(path.join(again, 'marker'), 'second');
    const entry = store.trash('twice');
    expect(entry).toBe('twice.trash-2');
    const trash = store.listTrash().filter((t) => t.id.startsWith('twice'));
    expect(trash.map((t) => t.id).sort()).toEqual(['twice', 'twice.trash-2']);
    expect(fs.readFileSync(path.join(store.trashRoot, 'twice', 'marker'), 'utf8')).toBe('first');
    // restore by run id: the newest copy, under its own id
    expect(store.restore('twice')).toBe('twice');
    expect(fs.readFileSync(path.join(store.dir('twice'), 'marker'), 'utf8')).toBe('second');
    expect(fs.existsSync(path.join(store.dir('twice'), '.trashed.json'))).toBe(false);
    // the older copy is still there and restorable once the id is free again
    store.trash('twice');
    expect(store.listTrash().filter((t) => t.id.startsWith('twice'))).toHaveLength(2);
    expect(store.restore('twice')).toBe('twice');
    store.trash('twice');
  });
});
