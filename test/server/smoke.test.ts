/**
 * Smoke test of what `npm start` serves where there is no Electron binary:
 * `node bin/simclr-workbench.js serve` over the shipped out/ build, one call of
 * every API family with the printed token, and a tiny training job followed to
 * its end over the WebSocket. Before the worker had its own bundle entry, every
 * engine call here answered 502 worker_crashed ("exited with code 0").
 */
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ApiEnvelope, JobInfo } from '../../src/shared/api.js';
import { shipped } from '../support/shipped.js';
import { CIFAR10_DIR } from '../support/shared-data.js';
import { httpClient, SERVE_URL, tmpDir, type Client } from './harness.js';


let child: ChildProcess;
let output = '';
let client: Client;
const dataRoot = tmpDir('smoke');

beforeAll(async () => {
  child = spawn(process.execPath, [shipped().bin, 'serve', '--port', '0', '--data-root', dataRoot], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, SIMCLR_DATA_ROOT: dataRoot } });
  child.stdout!.setEncoding('utf8').on('data', (c: string) => (output += c));
  child.stderr!.setEncoding('utf8').on('data', (c: string) => (output += c));
  const deadline = Date.now() + 60_000;
  while (!SERVE_URL.test(output) && Date.now() < deadline && child.exitCode === null) await new Promise((r) => setTimeout(r, 50));
  const m = SERVE_URL.exec(output);
  if (!m) throw new Error(`serve printed no URL:\n${output}`);
  client = await httpClient({ port: Number(m[2]), token: m[3]! });
}, 90_000);

afterAll(async () => {
  await client?.close();
  if (child && child.exitCode === null) {
    child.kill('SIGTERM');
    await new Promise((r) => child.once('exit', r));
  }
  fs.rmSync(dataRoot, { recursive: true, force: true });
});

async function ok<T>(method: string, payload: unknown): Promise<T> {
  const env: ApiEnvelope = await client.call(method, payload);
  expect(env, `${method}: ${JSON.stringify(env).slice(0, 400)}\nserver log:\n${output}`).toMatchObject({ ok: true });
  return (env as { result: T }).result;
}

describe('npm start without Electron: the shipped server answers every API family', () => {
  it('backend, datasets, augmentation', async () => {
    const backend = await ok<{ name: string; reason: string }>('backend.info', {});
    expect(['tensorflow', 'wasm', 'cpu', 'webgpu']).toContain(backend.name);
    expect(backend.reason.length).toBeGreaterThan(0);
    const list = await ok<{ datasets: unknown[] }>('datasets.list', {});
    expect(Array.isArray(list.datasets)).toBe(true);
    const open = await ok<{ format: string; splits: { name: string; count: number }[] }>('datasets.open', { dataset: { kind: 'path', path: CIFAR10_DIR } });
    expect(open.format).toBe('cifar10');
    expect(open.splits.find((s) => s.name === 'train')?.count).toBe(10000);
    const page = await ok<{ items: { label: number; png: string }[] }>('datasets.page', { dataset: CIFAR10_DIR, split: 'test', classIndex: 3, limit: 4 });
    expect(page.items).toHaveLength(4);
    for (const item of page.items) {
      expect(item.label).toBe(3);
      expect(Buffer.from(item.png, 'base64').subarray(1, 4).toString()).toBe('PNG');
    }
    const preview = await ok<{ samples: { pairs: { ops: { op: string }[] }[][] }[] }>('augment.preview', { dataset: CIFAR10_DIR, indices: [0], pairs: 1, seed: 1, pipeline: 'SimCLR CIFAR' });
    expect(preview.samples[0]!.pairs[0]![0]!.ops.map((o) => o.op)).toContain('randomResizedCrop');
  });

  it('trains a tiny model to completion, then lists, shows and embeds-lists the run', async () => {
    const config = { runName: 'smoke', dataset: CIFAR10_DIR, trainLimit: 256, batchSize: 64, epochs: 1, model: { preset: 'tiny' }, knn: { every: 0 }, optimizer: { warmupEpochs: 0 }, seed: 1 };
    const job = await ok<JobInfo>('jobs.start', { kind: 'train', config, label: 'smoke' });
    const end = await client.waitFor((e) => e.type === 'job.state' && e.job.id === job.id && e.job.endedAt !== null, 240_000, 'the training job to end');
    const status = await ok<JobInfo>('jobs.status', { jobId: job.id });
    expect(status.state, JSON.stringify(end)).toBe('succeeded');
    const steps = client.events.filter((e) => e.type === 'job.progress' && e.jobId === job.id && (e.progress as { type?: string }).type === 'step');
    expect(steps.length).toBe(4); // 256 images / batch 64, one epoch
    const runs = await ok<{ runs: { id: string; name: string; status: string }[] }>('runs.list', {});
    const run = runs.runs.find((r) => r.name === 'smoke');
    expect(run?.status).toBe('completed');
    const show = await ok<{ record: { status: string; config: { batchSize: number } } }>('runs.show', { runId: run!.id });
    expect(show.record).toMatchObject({ status: 'completed', config: { batchSize: 64 } });
    const embeddings = await ok<{ projections: unknown[]; errors: string[] }>('embeddings.list', { runId: run!.id });
    expect(embeddings).toEqual({ projections: [], errors: [] });
  }, 300_000);
});
