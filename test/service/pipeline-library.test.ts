import fs from 'node:fs';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { configFromArgs } from '../../src/cli/commands/train.js';
import { JobHost, type Launcher } from '../../src/engine/jobs/host.js';
import { createApiService, type ApiService } from '../../src/service/api-service.js';
import { resolveSavedPipeline } from '../../src/service/pipeline-library.js';
import { MemorySettings } from '../../src/service/settings-file.js';
import { pipelinePreset } from '../../src/shared/pipeline.js';
import { tmpDir } from '../server/harness.js';

/** Workers that say ready and never answer a call: what they were sent is kept; they exit when told to. */
const sent: unknown[] = [];
const silentWorkers: Launcher = (_role, _env, events) => {
  setTimeout(() => events.message({ type: 'ready', pid: 1 }), 0);
  const exit = () => setTimeout(() => events.exit(0, null), 0);
  return {
    pid: 1,
    commandLine: 'fake worker',
    send: (m) => {
      sent.push(m);
      if (m.type === 'shutdown' || m.type === 'cancel') exit();
    },
    kill: exit,
  };
};

let service: ApiService;
let root: string;

beforeEach(() => {
  root = tmpDir('library-root');
  sent.length = 0;
  service = createApiService({
    host: new JobHost({ launcher: silentWorkers, env: () => ({}) }),
    settings: new MemorySettings(),
    dataRoot: () => root,
    datasetDirs: () => [],
    app: { name: 'SimCLR Workbench', version: 'test', shell: 'server' },
  });
});

afterEach(async () => {
  await service.close();
  fs.rmSync(root, { recursive: true, force: true });
});

const call = (method: string, payload: unknown) => service.call(method, payload);

describe('pipeline library', () => {
  it('saves, lists, renames and deletes pipelines in the data root, round-tripping them', async () => {
    const mine = { ...pipelinePreset('SimCLR CIFAR'), name: 'ignored' };
    mine.ops[0]!.p = 0.5;
    expect(await call('pipelines.save', { name: 'strong crops', pipeline: mine })).toMatchObject({ ok: true, result: { name: 'strong crops' } });
    const file = path.join(root, 'pipelines', 'strong crops.json');
    expect(JSON.parse(fs.readFileSync(file, 'utf8')).ops[0].p).toBe(0.5);
    const listed = await call('pipelines.list', {});
    expect(listed.ok && (listed.result as { pipelines: { name: string; pipeline: { ops: { p: number }[]; name: string } }[] }).pipelines.map((p) => [p.name, p.pipeline.name, p.pipeline.ops[0]!.p])).toEqual([['strong crops', 'strong crops', 0.5]]);

    // a second save under the same name is refused unless it replaces on purpose
    expect(await call('pipelines.save', { name: 'strong crops', pipeline: mine })).toMatchObject({ ok: false, error: { code: 'conflict', message: expect.stringMatching(/already saved/) } });
    expect((await call('pipelines.save', { name: 'strong crops', pipeline: mine, overwrite: true })).ok).toBe(true);

    expect(await call('pipelines.rename', { from: 'strong crops', to: 'crops-v2' })).toMatchObject({ ok: true, result: { name: 'crops-v2', pipeline: { name: 'crops-v2' } } });
    expect(fs.existsSync(file)).toBe(false);
    expect(await call('pipelines.delete', { name: 'crops-v2' })).toMatchObject({ ok: true, result: { deleted: true } });
    expect(await call('pipelines.list', {})).toMatchObject({ ok: true, result: { pipelines: [] } });
  });

  it('refuses bad names, preset names, invalid pipelines and unknown ones, each saying why', async () => {
    expect(await call('pipelines.save', { name: '../escape', pipeline: pipelinePreset('SimCLR CIFAR') })).toMatchObject({ ok: false, error: { code: 'bad_request', message: expect.stringMatching(/not a usable pipeline name/) } });
    expect(await call('pipelines.save', { name: 'simclr cifar', pipeline: pipelinePreset('SimCLR CIFAR') })).toMatchObject({ ok: false, error: { message: expect.stringMatching(/preset's name/) } });
    expect((await call('pipelines.save', { name: 'bad', pipeline: { version: 1, ops: [{ op: 'twirl' }] } })).ok).toBe(false);
    expect(fs.existsSync(path.join(root, 'pipelines', 'bad.json'))).toBe(false);
    expect(await call('pipelines.delete', { name: 'nope' })).toMatchObject({ ok: false, error: { code: 'not_found', message: 'no saved pipeline named "nope"' } });
    expect(await call('pipelines.rename', { from: 'nope', to: 'x' })).toMatchObject({ ok: false, error: { code: 'not_found' } });
  });

  it('a saved name in a training job becomes the pipeline itself; presets pass through', async () => {
    const mine = pipelinePreset('SimCLR CIFAR');
    mine.ops[1]!.p = 0.25;
    await call('pipelines.save', { name: 'mine', pipeline: mine });
    const started = await call('jobs.start', { kind: 'train', config: { dataset: 'cifar10', pipeline: 'mine' } });
    expect(started.ok).toBe(true);
    await new Promise((r) => setTimeout(r, 50));
    const msg = sent.find((m) => (m as { type?: string }).type === 'call') as { payload: { pipeline: { name: string; ops: { p: number }[] } } };
    expect(msg.payload.pipeline.name).toBe('mine');
    expect(msg.payload.pipeline.ops[1]!.p).toBe(0.25);
    expect(resolveSavedPipeline(root, 'SimCLR CIFAR')).toBe('SimCLR CIFAR');
    expect(resolveSavedPipeline(root, 'unknown')).toBe('unknown');
  });

  it('the CLI finds a saved pipeline by name (train --pipeline NAME)', async () => {
    await call('pipelines.save', { name: 'cli-one', pipeline: pipelinePreset('SimCLR CIFAR') });
    const before = process.env.SIMCLR_DATA_ROOT;
    process.env.SIMCLR_DATA_ROOT = root;
    try {
      expect((configFromArgs({ pipeline: 'cli-one', dataset: 'cifar10' }).pipeline as { name: string }).name).toBe('cli-one');
      expect(configFromArgs({ pipeline: 'SimCLR CIFAR', dataset: 'cifar10' }).pipeline).toBe('SimCLR CIFAR');
    } finally {
      if (before === undefined) delete process.env.SIMCLR_DATA_ROOT;
      else process.env.SIMCLR_DATA_ROOT = before;
    }
  });
});

describe('job records', () => {
  it('a job on an existing run names the run from the start, before any progress (so its failure shows with the run)', async () => {
    const r = await call('jobs.start', { kind: 'embed', config: { runId: 'some-run', split: 'test', n: 100, method: 'tsne', features: 'h', perplexity: 10, iterations: 10 } });
    expect(r).toMatchObject({ ok: true, result: { runId: 'some-run' } });
    const t = await call('jobs.start', { kind: 'train', config: { dataset: 'cifar10' } });
    expect(t).toMatchObject({ ok: true, result: { runId: null } });
  });
});
