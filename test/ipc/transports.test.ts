import fs from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ApiEventSchema, apiMethods, isApiMethod, type ApiEnvelope, type ApiEvent, type JobInfo } from '../../src/shared/api.js';
import { MemorySettings } from '../../src/service/settings-file.js';
import { startServer, type RunningServer } from '../../src/server/serve.js';
import { CIFAR10_DIR, SHARED_DATA } from '../support/shared-data.js';
import { shippedWorker, fakeRenderer, httpClient, ipcSide, tmpDir, type Client } from '../server/harness.js';

/**
 * The same scripted session — open a dataset, browse it, preview augmentations,
 * start a tiny training run, watch its progress, cancel it, list runs — through
 * the desktop app's IPC handlers and through the HTTP server. Both transports
 * must give the same answers (after masking ids, times, pids and the data root).
 */

interface Step {
  method: string;
  envelope: ApiEnvelope;
}

const TINY_TRAIN = {
  runName: 'api-sequence',
  dataset: CIFAR10_DIR,
  trainLimit: 320,
  batchSize: 32,
  epochs: 2,
  model: { preset: 'tiny' },
  knn: { every: 0 },
  optimizer: { warmupEpochs: 0 },
  seed: 3,
};

async function script(client: Client): Promise<{ steps: Step[]; job: JobInfo; jobEvents: ApiEvent[] }> {
  const steps: Step[] = [];
  const call = async (method: string, payload: unknown) => {
    const envelope = await client.call(method, payload);
    steps.push({ method, envelope });
    return envelope;
  };
  await call('app.info', {});
  await call('backend.info', {});
  await call('datasets.open', { dataset: { kind: 'path', path: CIFAR10_DIR } });
  await call('datasets.page', { dataset: CIFAR10_DIR, split: 'test', classIndex: 3, limit: 4 });
  await call('datasets.image', { dataset: CIFAR10_DIR, split: 'train', index: 0 });
  await call('augment.preview', { dataset: CIFAR10_DIR, indices: [0, 1], pairs: 1, seed: 7, pipeline: 'SimCLR CIFAR' });
  await call('datasets.page', { dataset: CIFAR10_DIR, limit: 0 }); // invalid: limit must be >= 1

  const started = await call('jobs.start', { kind: 'train', config: TINY_TRAIN, label: 'tiny' });
  if (!started.ok) throw new Error(`jobs.start failed: ${JSON.stringify(started.error)}`);
  const jobId = (started.result as JobInfo).id;
  await client.waitFor((e) => e.type === 'job.progress' && e.jobId === jobId && e.progress.kind === 'train' && e.progress.type === 'step', 120_000, 'a training step');
  await call('jobs.cancel', { jobId });
  const end = await client.waitFor((e) => e.type === 'job.state' && e.job.id === jobId && e.job.endedAt !== null, 60_000, 'the job to end');
  await call('jobs.status', { jobId });
  const runs = await call('runs.list', {});
  const runId = runs.ok ? (runs.result as { runs: { id: string }[] }).runs[0]?.id : undefined;
  await call('runs.show', { runId: runId ?? 'missing' });
  await call('runs.show', { runId: '../../etc' });
  // evaluate the cancelled run (kNN on a few images)
  const evalJob = await call('jobs.start', { kind: 'eval', config: { runId: runId ?? 'missing', protocols: ['knn'], trainLimit: 100, testLimit: 50 } });
  if (evalJob.ok) {
    const id = (evalJob.result as JobInfo).id;
    await client.waitFor((e) => e.type === 'job.state' && e.job.id === id && e.job.endedAt !== null, 60_000, 'the eval job to end');
    await call('jobs.status', { jobId: id });
  }
  await call('jobs.cancel', { jobId }); // already ended: conflict
  return { steps, job: (end as Extract<ApiEvent, { type: 'job.state' }>).job, jobEvents: client.events.filter((e) => 'jobId' in e ? e.jobId === jobId : e.type === 'job.state' && e.job.id === jobId) };
}

const VOLATILE_KEY = /(^|[a-z])(At|Time)$|^time$|^pid$|^id$|^runId$|^jobId$|^runDir$|^dir$|^host$|[sS]econds$|PerSec$|^eta|^logTail$|^checksum$|^createdAt$|^file$/;
const FLOAT_KEY = /loss|Loss|^lr$|Acc|accuracy|learningRate|fraction/;

/** Mask what legitimately differs between two sessions: ids, times, pids, data roots, float training metrics. */
function normalize(value: unknown, roots: string[], key = ''): unknown {
  if (VOLATILE_KEY.test(key) && value !== null) return `<${key}>`;
  if (typeof value === 'number' && FLOAT_KEY.test(key)) return '<float>';
  if (typeof value === 'string') {
    let s = value;
    for (const r of roots) s = s.split(r).join('<root>');
    return s.replace(/\d{8}-\d{6}/g, '<stamp>').replace(/job-[a-z0-9]+/g, '<job>').replace(/pid \d+/g, 'pid <n>');
  }
  if (Array.isArray(value)) return value.map((v) => normalize(v, roots, key));
  if (value && typeof value === 'object') {
    const obj = value as Record<string, unknown>;
    // a metric curve of a timing (images/s, seconds): its points are timings too
    if (typeof obj.metric === 'string' && Array.isArray(obj.points) && (VOLATILE_KEY.test(obj.metric) || /PerSec|seconds/.test(obj.metric))) {
      const { points, ...rest } = obj as { points: unknown[] };
      return { ...(normalize(rest, roots, key) as object), points: `<${points.length} timings>` };
    }
    return Object.fromEntries(Object.entries(obj).map(([k, v]) => [k, normalize(v, roots, k)]));
  }
  return value;
}

const worker = shippedWorker();
let server: RunningServer;
const dirs: string[] = [];
let ipcRun: Awaited<ReturnType<typeof script>>;
let httpRun: Awaited<ReturnType<typeof script>>;
let ipcRoot: string;
let httpRoot: string;

beforeAll(async () => {
  ipcRoot = tmpDir('seq-ipc');
  httpRoot = tmpDir('seq-http');
  const renderer = fakeRenderer();
  dirs.push(ipcRoot, httpRoot, renderer);

  // One after the other, so the two training jobs do not compete for the CPU.
  const ipc = ipcSide({ entry: worker, dataRoot: ipcRoot, datasetDirs: [SHARED_DATA] });
  try {
    ipcRun = await script(ipc.client);
  } finally {
    await ipc.client.close();
  }

  server = await startServer({ port: 0, dataRoot: httpRoot, datasetDirs: [SHARED_DATA], rendererDir: renderer, worker: worker, settings: new MemorySettings(), log: () => {} });
  const http = await httpClient(server);
  try {
    httpRun = await script(http);
  } finally {
    await http.close();
  }
}, 300_000);

afterAll(async () => {
  await server?.close();
  for (const d of dirs) fs.rmSync(d, { recursive: true, force: true });
});

describe('the same session over IPC and over HTTP', () => {
  it('gives identical answers, call by call', () => {
    expect(ipcRun.steps.map((s) => s.method)).toEqual(httpRun.steps.map((s) => s.method));
    for (let i = 0; i < ipcRun.steps.length; i++) {
      const method = ipcRun.steps[i]!.method;
      const a = normalize(ipcRun.steps[i]!.envelope, [ipcRoot]);
      const b = normalize(httpRun.steps[i]!.envelope, [httpRoot]);
      if (method === 'app.info') {
        // the one field that names the transport's host
        expect((a as { result: { shell: string } }).result.shell).toBe('electron');
        expect((b as { result: { shell: string } }).result.shell).toBe('server');
        continue;
      }
      if (method === 'jobs.start') {
        // A job starts at once or waits its turn while the previous job's process exits: either is right.
        for (const e of [a, b] as { result?: Record<string, unknown> }[]) {
          expect(['queued', 'running']).toContain(e.result?.state);
          for (const k of ['state', 'queuePosition', 'startedAt', 'pid']) if (e.result) e.result[k] = '<start>';
        }
      }
      expect(a, `step ${i} (${method})`).toEqual(b);
    }
  });

  it('answers every call with a response that matches the contract', () => {
    for (const { method, envelope } of [...ipcRun.steps, ...httpRun.steps]) {
      if (!envelope.ok || !isApiMethod(method)) continue;
      expect(apiMethods[method].response.safeParse(envelope.result).success, method).toBe(true);
    }
  });

  it('opened the real CIFAR-10 subset and browsed it', () => {
    const [, , open, page, image, preview, invalid] = httpRun.steps.map((s) => s.envelope);
    expect(open).toMatchObject({ ok: true, result: { format: 'cifar10', classNames: expect.arrayContaining(['airplane', 'cat']) } });
    const splits = (open as { result: { splits: { name: string; count: number }[] } }).result.splits;
    expect(splits.find((s) => s.name === 'train')?.count).toBe(10000);
    expect(page).toMatchObject({ ok: true, result: { split: 'test', classIndex: 3 } });
    const items = (page as { result: { items: { label: number; labelName: string; png: string }[] } }).result.items;
    expect(items).toHaveLength(4);
    for (const it of items) {
      expect(it).toMatchObject({ label: 3, labelName: 'cat' });
      expect(Buffer.from(it.png, 'base64').subarray(1, 4).toString()).toBe('PNG');
    }
    expect(image).toMatchObject({ ok: true, result: { index: 0, width: 32, height: 32, channels: 3 } });
    expect(preview).toMatchObject({ ok: true, result: { seed: 7, outputSize: 32 } });
    const sample = (preview as { result: { samples: { pairs: { ops: { op: string }[] }[][] }[] } }).result.samples[0]!;
    expect(sample.pairs[0]![0]!.ops.map((o) => o.op)).toContain('randomResizedCrop');
    expect(invalid).toMatchObject({ ok: false, error: { code: 'bad_request', issues: [{ path: 'limit' }] } });
  });

  it('trained, reported progress, and cancelled on both', () => {
    for (const run of [ipcRun, httpRun]) {
      expect(run.job).toMatchObject({ kind: 'train', label: 'tiny', state: 'cancelled', error: { code: 'cancelled' } });
      expect(run.job.runId).toMatch(/api-sequence/);
      // typed per job kind: a train job's progress is train events, told apart by `type`
      const types = run.jobEvents.flatMap((e) => (e.type === 'job.progress' && e.progress.kind === 'train' ? [e.progress.type] : []));
      expect(types.length).toBe(run.jobEvents.filter((e) => e.type === 'job.progress').length);
      expect(types[0]).toBe('start');
      expect(types).toContain('step');
      const states = run.jobEvents.flatMap((e) => (e.type === 'job.state' ? [e.job.state] : []));
      expect(states[0]).toBe('running');
      expect(states.at(-1)).toBe('cancelled');
      for (const e of run.jobEvents) expect(ApiEventSchema.safeParse(e).success).toBe(true);
    }
  });

  it('lists the cancelled run, refuses a traversing run id and a second cancel', () => {
    const byMethod = (m: string) => httpRun.steps.filter((s) => s.method === m).map((s) => s.envelope);
    const [list] = byMethod('runs.list');
    expect(list).toMatchObject({ ok: true, result: { runs: [{ name: 'api-sequence', status: 'cancelled' }] } });
    const [show, traversal] = byMethod('runs.show');
    expect(show).toMatchObject({ ok: true, result: { record: { status: 'cancelled', config: { batchSize: 32 } } } });
    expect(traversal).toMatchObject({ ok: false, error: { code: 'bad_request', issues: expect.arrayContaining([{ path: 'runId', message: 'a run id cannot contain ".."' }]) } });
    const evalStatus = byMethod('jobs.status').at(-1);
    // the run was cancelled before its first epoch ended: the engine's reason reaches the UI unchanged
    expect(evalStatus).toMatchObject({
      ok: true,
      result: { kind: 'eval', state: 'failed', error: { code: 'engine_error', message: expect.stringMatching(/runs\/\d{8}-\d{6}-api-sequence: no complete checkpoint yet/) } },
    });
    const cancels = byMethod('jobs.cancel');
    expect(cancels.at(-1)).toMatchObject({ ok: false, error: { code: 'conflict' } });
  });
});
