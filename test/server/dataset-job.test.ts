import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ApiEnvelope, ApiEvent, JobInfo } from '../../src/shared/api.js';
import { MemorySettings } from '../../src/service/settings-file.js';
import { startServer, type RunningServer } from '../../src/server/serve.js';
import { md5, startServer as startFileServer, tarGz, writeCifar10Folder, type TestServer } from '../data/fixtures.js';
import { shippedWorker, fakeRenderer, httpClient, tmpDir, type Client } from './harness.js';

// The `dataset` job: download a builtin dataset from a local mirror (127.0.0.1) with progress, then open it; and cancel.

const worker = shippedWorker();
let server: RunningServer;
let http: Client;
let mirror: TestServer;
let archiveMd5: string;
const dirs: string[] = [];
const ARCHIVE = 'cifar-10-binary.tar.gz';

function result<T>(e: ApiEnvelope): T {
  if (!e.ok) throw new Error(`call failed: ${JSON.stringify(e.error)}`);
  return e.result as T;
}

function ended(jobId: string, timeoutMs = 20_000) {
  return http.waitFor((e) => e.type === 'job.state' && e.job.id === jobId && e.job.endedAt !== null, timeoutMs, `job ${jobId} to end`).then((e) => (e as Extract<ApiEvent, { type: 'job.state' }>).job);
}

beforeAll(async () => {
  const src = tmpDir('dsjob-src');
  dirs.push(src);
  writeCifar10Folder(path.join(src, 'src', 'cifar-10-batches-bin'), 40, 20);
  const archive = await tarGz(path.join(src, ARCHIVE), path.join(src, 'src'), ['cifar-10-batches-bin']);
  archiveMd5 = md5(archive);
  mirror = await startFileServer({ [ARCHIVE]: fs.readFileSync(archive) });
  const root = tmpDir('dsjob-root');
  const renderer = fakeRenderer();
  dirs.push(root, renderer);
  server = await startServer({ port: 0, dataRoot: root, rendererDir: renderer, worker: worker, settings: new MemorySettings(), log: () => {} });
  http = await httpClient(server);
});

afterAll(async () => {
  await http?.close();
  await server?.close();
  await mirror?.close();
  for (const d of dirs) fs.rmSync(d, { recursive: true, force: true });
});

describe('dataset job', () => {
  it('cancels a download in progress', async () => {
    mirror.stallAfter(64 * 1024, 1); // send 64 KiB, then hold the connection open
    const job = result<JobInfo>(await http.call('jobs.start', { kind: 'dataset', config: { dataset: 'cifar10', mirror: { baseUrl: mirror.url, md5: { [ARCHIVE]: archiveMd5 } } } }));
    expect(job.kind).toBe('dataset');
    const first = await http.waitFor((e) => e.type === 'job.progress' && e.jobId === job.id && e.progress.kind === 'dataset' && e.progress.phase === 'download', 15_000, 'download progress');
    expect(first).toMatchObject({ progress: { file: ARCHIVE, total: fs.statSync(path.join(dirs[0]!, ARCHIVE)).size } });
    result(await http.call('jobs.cancel', { jobId: job.id }));
    expect((await ended(job.id)).state).toBe('cancelled');
    expect(result<{ datasets: unknown[] }>(await http.call('datasets.list', {})).datasets).toEqual([]);
  });

  it('downloads from a mirror with bytes/rate/ETA progress, imports, and the dataset opens afterwards', async () => {
    const job = result<JobInfo>(await http.call('jobs.start', { kind: 'dataset', config: { dataset: 'cifar10', mirror: { baseUrl: mirror.url, md5: { [ARCHIVE]: archiveMd5 } } } }));
    const end = await ended(job.id);
    expect(end.state, JSON.stringify(end.error)).toBe('succeeded');
    expect(end.result).toMatchObject({ datasetId: 'cifar10', summary: { id: 'cifar10' } });
    const progress = http.events.flatMap((e) => (e.type === 'job.progress' && e.jobId === job.id ? [e.progress] : []));
    const download = progress.filter((p) => p.kind === 'dataset' && p.phase === 'download');
    expect(download.length).toBeGreaterThan(0);
    expect(download.at(-1)).toMatchObject({ done: expect.any(Number), total: expect.any(Number), bytesPerSecond: expect.any(Number), etaSeconds: expect.any(Number), fraction: 1 });
    expect(download.at(-1)!.message).toMatch(/^downloading cifar-10-binary\.tar\.gz: .* MiB of .* MiB, .* MiB\/s$/);
    expect(progress.some((p) => p.kind === 'dataset' && (p.phase === 'extract' || p.phase === 'read'))).toBe(true);
    const opened = result<{ id: string; splits: Array<{ name: string; count: number }> }>(await http.call('datasets.open', { dataset: 'cifar10' }));
    expect(opened.id).toBe('cifar10');
    expect(opened.splits.find((s) => s.name === 'train')?.count).toBe(200);
  });

  it('refuses a non-http mirror URL', async () => {
    const bad = await http.call('jobs.start', { kind: 'dataset', config: { dataset: 'cifar10', mirror: { baseUrl: 'file:///etc' } } });
    expect(bad.ok).toBe(false);
  });
});
