/**
 * Issue 23 item 13: cancelling many queued jobs sends one queue event per
 * change, not the whole queue again per cancel (299 cancels made 44,875 events).
 */
import fs from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ApiEnvelope, ApiEvent, JobInfo } from '../../src/shared/api.js';
import { MemorySettings } from '../../src/service/settings-file.js';
import { startServer, type RunningServer } from '../../src/server/serve.js';
import { fakeRenderer, httpClient, shippedWorker, tmpDir, type Client } from './harness.js';

let server: RunningServer;
let http: Client;
const dirs: string[] = [];

function result<T>(e: ApiEnvelope): T {
  if (!e.ok) throw new Error(`call failed: ${JSON.stringify(e.error)}`);
  return e.result as T;
}

beforeAll(async () => {
  const root = tmpDir('queue-root');
  const renderer = fakeRenderer();
  dirs.push(root, renderer);
  server = await startServer({ port: 0, dataRoot: root, rendererDir: renderer, worker: shippedWorker(), settings: new MemorySettings(), log: () => {} });
  http = await httpClient(server);
});

afterAll(async () => {
  await http?.close();
  await server?.close();
  for (const d of dirs) fs.rmSync(d, { recursive: true, force: true });
});

describe('queue events', () => {
  it('120 queued jobs cancelled one by one: one job.state and one jobs.queue event per change, positions right', async () => {
    const a = result<JobInfo>(await http.call('jobs.start', { kind: 'selftest', config: { steps: 2000, stepMs: 25 } }));
    const n = 120;
    const queued: JobInfo[] = [];
    for (let i = 0; i < n; i++) queued.push(result<JobInfo>(await http.call('jobs.start', { kind: 'selftest', config: { steps: 1, stepMs: 1 } })));
    expect(queued.map((q) => q.queuePosition)).toEqual(Array.from({ length: n }, (_, i) => i));
    await http.waitFor((e) => e.type === 'jobs.queue' && e.queue.length === n, 10_000, 'the full queue');
    const from = http.events.length;
    // cancel from the front: every remaining job's position changes each time
    for (const q of queued) result<JobInfo>(await http.call('jobs.cancel', { jobId: q.id }));
    await http.waitFor((e) => e.type === 'jobs.queue' && e.queue.length === 0, 10_000, 'the empty queue');
    const events = http.events.slice(from).filter((e) => e.type === 'job.state' || e.type === 'jobs.queue');
    const states = events.filter((e): e is Extract<ApiEvent, { type: 'job.state' }> => e.type === 'job.state' && e.job.id !== a.id);
    const queues = events.filter((e): e is Extract<ApiEvent, { type: 'jobs.queue' }> => e.type === 'jobs.queue');
    expect(states.map((e) => e.job.state)).toEqual(Array(n).fill('cancelled'));
    expect(queues).toHaveLength(n);
    // after the k-th cancel the queue is the jobs after it, in order
    queues.forEach((e, k) => expect(e.queue).toEqual(queued.slice(k + 1).map((q) => q.id)));
    result<JobInfo>(await http.call('jobs.cancel', { jobId: a.id }));
  }, 120_000);
});
