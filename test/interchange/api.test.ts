import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../../src/engine/backend/index.js';
import { readSafetensors } from '../../src/engine/interchange/safetensors.js';
import { trainSimclr } from '../../src/engine/train/index.js';
import { CIFAR10_DIR, SHARED_DATA } from '../support/shared-data.js';
import { ipcSide, shippedWorker, tmpDir, type IpcSide } from '../server/harness.js';

const root = tmpDir('interchange-api');
let ipc: IpcSide;
let runId = '';

beforeAll(async () => {
  await initBackend();
  const r = await trainSimclr({ config: { dataset: CIFAR10_DIR, trainLimit: 64, epochs: 1, batchSize: 32, knn: { every: 0 }, dataRoot: root, runName: 'api', optimizer: { warmupEpochs: 0 } } });
  runId = r.runId;
  ipc = ipcSide({ entry: shippedWorker(), dataRoot: root, datasetDirs: [SHARED_DATA] });
}, 120_000);
afterAll(async () => {
  await ipc?.client.close();
  fs.rmSync(root, { recursive: true, force: true });
});

describe('runs.exportWeights over the API (the run page button)', () => {
  it('writes <run>/export/<id>.safetensors and its sidecar; an unknown run is not_found', async () => {
    const r = await ipc.client.call('runs.exportWeights', { runId, projection: true });
    expect(r.ok).toBe(true);
    const value = (r as { ok: true; result: { file: string; sidecar: string; tensors: number } }).result;
    expect(value.file).toBe(path.join(root, 'runs', runId, 'export', `${runId}.safetensors`));
    expect(readSafetensors(value.file).tensors.get('projector.fc1.weight')?.shape).toEqual([128, 128]);
    expect(JSON.parse(fs.readFileSync(value.sidecar, 'utf8')).runId).toBe(runId);
    const missing = await ipc.client.call('runs.exportWeights', { runId: 'no-such-run' });
    expect(missing).toMatchObject({ ok: false, error: { code: 'not_found' } });
    const bad = await ipc.client.call('runs.exportWeights', { runId: '../x' });
    expect(bad.ok).toBe(false);
  }, 60_000);
});
