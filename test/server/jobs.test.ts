import fs from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ApiEnvelope, ApiEvent, JobInfo } from '../../src/shared/api.js';
import { MemorySettings } from '../../src/service/settings-file.js';
import { startServer, type RunningServer } from '../../src/server/serve.js';
import { CIFAR10_DIR, SHARED_DATA } from '../support/shared-data.js';
import { shippedWorker, fakeRenderer, httpClient, ipcSide, tmpDir, type Client, type IpcSide } from './harness.js';

const worker = shippedWorker();
let server: RunningServer;
let http: Client;
let ipc: IpcSide;
const dirs: string[] = [];

function result<T>(e: ApiEnvelope): T {
  if (!e.ok) throw new Error(`call failed: ${JSON.stringify(e.error)}`);
  return e.result as T;
}

function ended(client: Client, jobId: string, timeoutMs = 60_000) {
  return client.waitFor((e) => e.type === 'job.state' && e.job.id === jobId && e.job.endedAt !== null, timeoutMs, `job ${jobId} to end`).then((e) => (e as Extract<ApiEvent, { type: 'job.state' }>).job);
}

beforeAll(async () => {
  const root = tmpDir('jobs-root');
  const renderer = fakeRenderer();
  dirs.push(root, renderer);
  server = await startServer({
    port: 0,
    dataRoot: root,
    rendererDir: renderer,
    worker: worker,
    settings: new MemorySettings(),
    workerEnv: { SIMCLR_WORKBENCH_TEST_HOOKS: '1' },
    log: () => {},
  });
  http = await httpClient(server);
  const ipcRoot = tmpDir('jobs-ipc');
  dirs.push(ipcRoot);
  ipc = ipcSide({ entry: worker, dataRoot: ipcRoot, datasetDirs: [SHARED_DATA], testHooks: true });
});

afterAll(async () => {
  await http?.close();
  await server?.close();
  await ipc?.client.close();
  for (const d of dirs) fs.rmSync(d, { recursive: true, force: true });
});

describe('job processes', () => {
  it('reports a job process that dies, with its last log lines, and the interactive worker keeps answering', async () => {
    const before = result<{ name: string }>(await http.call('backend.info', {}));
    const job = result<JobInfo>(await http.call('jobs.start', { kind: 'selftest', config: { steps: 5, stepMs: 20, crashAtStep: 3 } }));
    expect(job.state).toBe('running');
    expect(job.pid).toBeGreaterThan(0);
    const end = await ended(http, job.id);
    expect(end.state).toBe('crashed');
    expect(end.error?.code).toBe('job_crashed');
    expect(end.error?.message).toMatch(new RegExp(`job process \\(pid ${job.pid}\\) was killed by SIGKILL`));
    // the last lines: the engine's own log (over IPC) and its stderr
    expect(end.error?.logTail).toEqual(expect.arrayContaining(['selftest: step 3/5', 'selftest: crashing on purpose at step 3']));
    expect(end.error?.logTail).not.toContain('selftest: step 4/5');
    expect(end.progress).toMatchObject({ step: 2, totalSteps: 5 });
    // the log reached the page live as well
    expect(http.events.some((e) => e.type === 'job.log' && e.jobId === job.id && e.stream === 'stderr' && e.line.includes('crashing on purpose'))).toBe(true);

    // the interactive worker was never involved: it answers at once, from the same process
    expect(result<{ name: string }>(await http.call('backend.info', {}))).toEqual(before);
    const status = result<JobInfo>(await http.call('jobs.status', { jobId: job.id }));
    expect(status).toMatchObject({ state: 'crashed', error: { code: 'job_crashed' } });
    // and the next job runs normally
    const next = result<JobInfo>(await http.call('jobs.start', { kind: 'selftest', config: { steps: 2, stepMs: 1 } }));
    expect((await ended(http, next.id)).state).toBe('succeeded');
  });

  it('reports a job that fails as failed (not crashed), with the engine message', async () => {
    const job = result<JobInfo>(await http.call('jobs.start', { kind: 'selftest', config: { steps: 4, stepMs: 1, failAtStep: 2 } }));
    const end = await ended(http, job.id);
    expect(end).toMatchObject({ state: 'failed', error: { code: 'engine_error', message: 'selftest: failing on purpose at step 2' } });
  });

  it('runs one compute job at a time: the next waits in the queue, and a queued job can be cancelled', async () => {
    const a = result<JobInfo>(await http.call('jobs.start', { kind: 'selftest', config: { steps: 400, stepMs: 25 }, label: 'A' }));
    // (A may wait a moment for the previous test's process to finish exiting)
    await http.waitFor((e) => e.type === 'job.state' && e.job.id === a.id && e.job.state === 'running', 30_000, 'A to run');
    const b = result<JobInfo>(await http.call('jobs.start', { kind: 'selftest', config: { steps: 2, stepMs: 1 }, label: 'B' }));
    const c = result<JobInfo>(await http.call('jobs.start', { kind: 'selftest', config: { steps: 2, stepMs: 1 }, label: 'C' }));
    expect(result<JobInfo>(await http.call('jobs.status', { jobId: a.id })).state).toBe('running');
    expect(b).toMatchObject({ state: 'queued', queuePosition: 0, pid: null });
    expect(c).toMatchObject({ state: 'queued', queuePosition: 1 });

    const cancelledB = result<JobInfo>(await http.call('jobs.cancel', { jobId: b.id }));
    expect(cancelledB).toMatchObject({ state: 'cancelled', pid: null, error: { code: 'cancelled' } });
    expect(result<JobInfo>(await http.call('jobs.status', { jobId: c.id })).queuePosition).toBe(0);

    await http.waitFor((e) => e.type === 'job.progress' && e.jobId === a.id, 30_000, 'progress of A');
    const cancelA = result<JobInfo>(await http.call('jobs.cancel', { jobId: a.id }));
    expect(cancelA.state).toBe('running'); // cancelling: the process stops between steps
    const endA = await ended(http, a.id);
    expect(endA).toMatchObject({ state: 'cancelled', error: { code: 'cancelled' } });
    expect(endA.progress?.kind === 'selftest' ? endA.progress.step : 0).toBeLessThan(400);
    // C started only after A's process was gone
    const endC = await ended(http, c.id);
    expect(endC.state).toBe('succeeded');
    expect(Date.parse(endC.startedAt!)).toBeGreaterThanOrEqual(Date.parse(endA.endedAt!));

    const list = result<{ jobs: JobInfo[] }>(await http.call('jobs.list', {})).jobs;
    expect(list.find((j) => j.id === b.id)?.state).toBe('cancelled');
    expect(list.find((j) => j.id === c.id)?.result).toEqual({ steps: 2 });
  });

  it('refuses unknown jobs and a second cancel', async () => {
    expect(await http.call('jobs.status', { jobId: 'job-nope' })).toMatchObject({ ok: false, error: { code: 'not_found' } });
    const job = result<JobInfo>(await http.call('jobs.start', { kind: 'selftest', config: { steps: 1, stepMs: 1 } }));
    await ended(http, job.id);
    expect(await http.call('jobs.cancel', { jobId: job.id })).toMatchObject({ ok: false, error: { code: 'conflict' } });
  });

  it('keeps the crash hook off unless the host allows it', async () => {
    const plain = ipcSide({ entry: worker, dataRoot: dirs[0]!, testHooks: false });
    try {
      const job = result<JobInfo>(await plain.client.call('jobs.start', { kind: 'selftest', config: { steps: 3, crashAtStep: 1 } }));
      const end = await ended(plain.client, job.id);
      expect(end).toMatchObject({ state: 'failed', error: { code: 'forbidden', message: expect.stringContaining('test hooks') } });
    } finally {
      await plain.client.close();
    }
  });
});

describe('the interactive worker', () => {
  it('comes back after it crashes: the call in flight fails with its log, the next call starts a new one', async () => {
    const first = await ipc.client.call('backend.info', {});
    expect(first.ok).toBe(true);
    const pid = ipc.host.interactivePid();
    expect(pid).toBeGreaterThan(0);
    process.kill(pid!, 'SIGKILL');
    const crashed = await ipc.client.waitFor((e) => e.type === 'worker.state' && e.state === 'crashed', 20_000, 'worker.state crashed');
    expect(crashed).toMatchObject({ message: expect.stringMatching(/killed by SIGKILL \(started as: \S+ .*worker\.js --role=interactive\); it restarts on the next request/) });
    const again = await ipc.client.call('backend.info', {});
    expect(again).toEqual(first);
    expect(ipc.host.interactivePid()).not.toBe(pid);
    const back = await ipc.client.waitFor((e) => e.type === 'worker.state' && e.state === 'ready', 5_000, 'worker.state ready');
    expect(back).toMatchObject({ message: `the engine worker is back (pid ${ipc.host.interactivePid()})` });
  });

  it('fails the call that was in flight when it died, naming the crash', async () => {
    await ipc.client.call('backend.info', {});
    const pid = ipc.host.interactivePid()!;
    const crashesBefore = ipc.client.events.filter((e) => e.type === 'worker.state' && e.state === 'crashed').length;
    // Importing the CIFAR-10 subset into a fresh data root takes far longer than the 20 ms
    // before the kill (waiting longer raced with a fast import on an idle machine).
    const pending = ipc.client.call('datasets.open', { dataset: CIFAR10_DIR });
    await new Promise((r) => setTimeout(r, 20));
    process.kill(pid, 'SIGKILL');
    const r = await pending;
    expect(r).toMatchObject({ ok: false, error: { code: 'worker_crashed', message: expect.stringMatching(new RegExp(`\\(pid ${pid}\\) was killed by SIGKILL \\(started as: .*worker\\.js --role=interactive\\)`)) } });
    await ipc.client.waitFor(() => ipc.client.events.filter((e) => e.type === 'worker.state' && e.state === 'crashed').length > crashesBefore, 20_000, 'the crash event');
    expect((await ipc.client.call('runs.list', {})).ok).toBe(true);
  });
});
