import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readCheckpoint, latestCheckpoint } from '../../src/engine/train/index.js';
import { RunStore } from '../../src/engine/runs/index.js';
import { makeRuns } from './fixtures.js';

let dataRoot: string;
let ids: string[];
let store: RunStore;
const scratch: string[] = [];

function metricLines(id: string): Record<string, unknown>[] {
  return fs
    .readFileSync(path.join(store.dir(id), 'metrics.jsonl'), 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l));
}

/** Copy a run directory under a new id (to damage the copy, not the original). */
function copyRun(id: string, newId: string): string {
  const to = path.join(store.runsRoot, newId);
  fs.cpSync(store.dir(id), to, { recursive: true });
  return to;
}

beforeAll(async () => {
  ({ dataRoot, ids } = await makeRuns([{ temperature: 0.5 }, { temperature: 0.2, batchSize: 16 }]));
  store = new RunStore(dataRoot);
});

afterAll(() => {
  for (const d of [dataRoot, ...scratch]) fs.rmSync(d, { recursive: true, force: true });
});

describe('run store on real training runs', () => {
  it('lists both runs with summaries that match run.json and metrics.jsonl', () => {
    const { runs, skipped } = store.list();
    expect(skipped).toEqual([]);
    expect(runs.map((r) => r.id).sort()).toEqual([...ids].sort());
    for (const id of ids) {
      const s = runs.find((r) => r.id === id)!;
      const record = JSON.parse(fs.readFileSync(path.join(store.dir(id), 'run.json'), 'utf8'));
      const lines = metricLines(id);
      const lastEpoch = lines.filter((l) => l.type === 'epoch').at(-1)!;
      const lastKnn = lines.filter((l) => l.type === 'knn').at(-1)!;
      expect(s.status).toBe('completed');
      expect(s.name).toBe(record.name);
      expect(s.datasetId).toBe(record.dataset.id);
      expect(s.datasetName).toBe(record.dataset.name);
      expect(s.batchSize).toBe(record.config.batchSize);
      expect(s.epochsCompleted).toBe(1);
      expect(s.finalLoss).toBe(lastEpoch.meanLoss);
      expect(s.knnAccuracy).toBe(lastKnn.accuracy);
      expect(s.linearAccuracy).toBeNull();
      expect(s.warnings).toEqual([]);
    }
  });

  it('sorts by a metric in both directions and filters by text', () => {
    const desc = store.list({ sort: 'finalLoss' }).runs.map((r) => r.finalLoss!);
    const asc = store.list({ sort: 'finalLoss', descending: false }).runs.map((r) => r.finalLoss!);
    expect(desc).toEqual([...asc].reverse());
    expect(asc[0]).toBeLessThanOrEqual(asc[1]!);
    expect(store.list({ text: 'RUN-1' }).runs.map((r) => r.id)).toEqual([ids[1]]);
    expect(store.list({ status: 'failed' }).runs).toEqual([]);
  });

  it('renames, tags and annotates through notes.json without touching run.json', () => {
    const id = ids[0]!;
    const runJson = fs.readFileSync(path.join(store.dir(id), 'run.json'));
    store.rename(id, 'baseline t=0.5');
    store.tag(id, ['baseline', 'cifar'], []);
    store.tag(id, ['keep'], ['cifar']);
    store.setNotes(id, 'first try');
    expect(fs.readFileSync(path.join(store.dir(id), 'run.json'))).toEqual(runJson);
    const notes = JSON.parse(fs.readFileSync(path.join(store.dir(id), 'notes.json'), 'utf8'));
    expect(notes).toEqual({ name: 'baseline t=0.5', tags: ['baseline', 'keep'], notes: 'first try' });
    const s = store.list({ tag: 'keep' }).runs;
    expect(s.map((r) => [r.id, r.name])).toEqual([[id, 'baseline t=0.5']]);
    expect(() => store.tag(id, ['has space'])).toThrow(/tags have no spaces/);
  });

  it('clones a config to retrain with', () => {
    const cfg = store.cloneConfig(ids[1]!);
    const record = JSON.parse(fs.readFileSync(path.join(store.dir(ids[1]!), 'run.json'), 'utf8'));
    expect({ ...cfg, runName: record.config.runName }).toEqual(record.config);
    expect(cfg.runName).toContain('(retrain)');
  });

  it('compares runs: aligned series, the config fields that differ, evaluation rows', () => {
    const c = store.compare(ids);
    const paths = c.configDiff.map((d) => d.path);
    expect(paths).toEqual(expect.arrayContaining(['temperature', 'batchSize', 'seed', 'runName']));
    expect(paths).not.toContain('epochs');
    const t = c.configDiff.find((d) => d.path === 'temperature')!;
    expect(t.values).toEqual({ [ids[0]!]: 0.5, [ids[1]!]: 0.2 });
    for (const id of ids) {
      const steps = metricLines(id).filter((l) => l.type === 'step');
      const loss = c.series.find((s) => s.runId === id && s.metric === 'loss')!;
      expect(loss.x).toBe('globalStep');
      expect(loss.points).toEqual(steps.map((l) => [l.globalStep, l.loss]));
      expect(c.series.find((s) => s.runId === id && s.metric === 'knnAccuracy')!.points).toHaveLength(1);
    }
    expect(() => store.compare([ids[0]!])).toThrow(/at least two/);
  });

  it('refuses run ids that could leave the runs folder', () => {
    for (const bad of ['../x', '..', 'a/b', '', '.hidden']) expect(() => store.show(bad)).toThrow(/is not a run id/);
  });
});

describe('crashes and concurrent writers', () => {
  it('a half-written metrics line, a broken eval.json and a non-run folder never break listing', () => {
    const dir = copyRun(ids[0]!, 'damaged-run');
    const metrics = path.join(dir, 'metrics.jsonl');
    const before = metricLines(ids[0]!).filter((l) => l.type === 'epoch').at(-1)!;
    fs.appendFileSync(metrics, '{"type":"epoch","epoch":2,"meanLo');
    fs.writeFileSync(path.join(dir, 'eval.json'), '{"protocols": ');
    fs.mkdirSync(path.join(store.runsRoot, 'not-a-run'));
    fs.mkdirSync(path.join(store.runsRoot, '.import-leftover'));
    const { runs, skipped } = store.list();
    const s = runs.find((r) => r.id === 'damaged-run')!;
    expect(s.finalLoss).toBe(before.meanLoss);
    expect(s.warnings.join('\n')).toMatch(/metrics.jsonl: 1 unreadable line/);
    expect(s.warnings.join('\n')).toMatch(/eval.json: not valid JSON/);
    expect(skipped).toEqual([{ id: 'not-a-run', reason: expect.stringContaining('no run.json') }]);
    fs.rmSync(dir, { recursive: true });
    fs.rmSync(path.join(store.runsRoot, 'not-a-run'), { recursive: true });
  });

  it('rebuilds a stale or corrupt index from the directories', () => {
    const indexFile = path.join(store.runsRoot, '.index.json');
    store.list();
    const index = JSON.parse(fs.readFileSync(indexFile, 'utf8'));
    // A stale entry: its stamp no longer matches, so the lie must not show.
    index.entries[ids[0]!].summary.name = 'stale name';
    index.entries[ids[0]!].stamp = 'old';
    fs.writeFileSync(indexFile, JSON.stringify(index));
    expect(store.list().runs.find((r) => r.id === ids[0])!.name).not.toBe('stale name');
    fs.writeFileSync(indexFile, 'garbage{');
    expect(store.list().runs).toHaveLength(2);
    expect(JSON.parse(fs.readFileSync(indexFile, 'utf8')).version).toBe(1);
  });

  it('a run whose writer was killed shows as interrupted, a live one (holding the lock) as running', async () => {
    const dir = copyRun(ids[1]!, 'killed-run');
    const runFile = path.join(dir, 'run.json');
    // A real process that marks the run as its own, then dies by SIGKILL.
    const writer = spawn(process.execPath, ['-e', `
      const fs = require('fs'); const f = ${JSON.stringify(runFile)};
      const r = JSON.parse(fs.readFileSync(f, 'utf8'));
      fs.writeFileSync(f, JSON.stringify({ ...r, status: 'running', endedAt: null, pid: process.pid, host: require('os').hostname() }));
      fs.writeFileSync(require('path').join(require('path').dirname(f), '.lock'), JSON.stringify({ pid: process.pid, host: require('os').hostname(), procStart: null, since: new Date().toISOString(), purpose: 'training', nonce: 'n' }));
      console.log('ready'); setInterval(() => {}, 1000);`]);
    await new Promise<void>((resolve) => writer.stdout.once('data', () => resolve()));
    expect(store.list().runs.find((r) => r.id === 'killed-run')!.status).toBe('running');
    expect(() => store.trash('killed-run')).toThrow(/still running/);
    writer.kill('SIGKILL');
    await new Promise((resolve) => writer.once('exit', resolve));
    expect(store.list().runs.find((r) => r.id === 'killed-run')!.status).toBe('interrupted');
    expect(store.list({ status: 'interrupted' }).runs.map((r) => r.id)).toEqual(['killed-run']);
    fs.rmSync(dir, { recursive: true });
  });
});

describe('trash and restore', () => {
  it('moves a run to the trash and back', () => {
    const dir = copyRun(ids[0]!, 'to-trash');
    const files = fs.readdirSync(dir).sort();
    store.trash('to-trash');
    expect(fs.existsSync(dir)).toBe(false);
    expect(store.list().runs.map((r) => r.id)).not.toContain('to-trash');
    expect(store.listTrash().map((t) => t.id)).toEqual(['to-trash']);
    store.restore('to-trash');
    expect(fs.readdirSync(dir).sort()).toEqual(files);
    expect(store.list().runs.map((r) => r.id)).toContain('to-trash');
    expect(() => store.restore('to-trash')).toThrow(/no run "to-trash" in the trash/);
    store.trash('to-trash');
    copyRun(ids[0]!, 'to-trash');
    expect(() => store.restore('to-trash')).toThrow(/exists again/);
    fs.rmSync(dir, { recursive: true });
    expect(store.emptyTrash()).toEqual(['to-trash']);
    expect(store.listTrash()).toEqual([]);
  });
});

describe('export and import', () => {
  it('round-trips a run through one archive into another data root', async () => {
    const id = ids[1]!;
    const out = fs.mkdtempSync(path.join(os.tmpdir(), 'simclr-export-'));
    scratch.push(out);
    const file = path.join(out, 'run.tar.gz');
    const { bytes } = await store.exportRun(id, file);
    expect(bytes).toBe(fs.statSync(file).size);
    const other = new RunStore(path.join(out, 'root'));
    const imported = await other.importRun(file);
    expect(imported).toBe(id);
    for (const f of ['run.json', 'metrics.jsonl']) {
      expect(fs.readFileSync(path.join(other.dir(id), f))).toEqual(fs.readFileSync(path.join(store.dir(id), f)));
    }
    // The checkpoint arrives whole: its tensors pass their checksums.
    const ckpt = latestCheckpoint(path.join(other.dir(id), 'checkpoints'));
    expect(ckpt).not.toBeNull();
    const a = readCheckpoint(ckpt!);
    const b = readCheckpoint(latestCheckpoint(path.join(store.dir(id), 'checkpoints'))!);
    expect([...a.values.keys()].sort()).toEqual([...b.values.keys()].sort());
    for (const [name, v] of a.values) expect(v.data).toEqual(b.values.get(name)!.data);
    // Importing again keeps both.
    expect(await other.importRun(file)).toBe(`${id}-imported-1`);
    expect(other.list().runs).toHaveLength(2);
  });

  it('refuses damaged or foreign archives with a message, leaving nothing behind', async () => {
    const out = fs.mkdtempSync(path.join(os.tmpdir(), 'simclr-import-'));
    scratch.push(out);
    const good = path.join(out, 'good.tar.gz');
    await store.exportRun(ids[0]!, good);
    const truncated = path.join(out, 'truncated.tar.gz');
    fs.writeFileSync(truncated, fs.readFileSync(good).subarray(0, 200));
    const target = new RunStore(path.join(out, 'root'));
    await expect(target.importRun(truncated)).rejects.toThrow(/truncated.tar.gz: not a readable .tar.gz run archive/);
    // An archive of a folder that is not a run.
    fs.mkdirSync(path.join(out, 'src', 'stuff'), { recursive: true });
    fs.writeFileSync(path.join(out, 'src', 'stuff', 'a.txt'), 'x');
    const foreign = path.join(out, 'foreign.tar.gz');
    spawnSync('tar', ['czf', foreign, '-C', path.join(out, 'src'), 'stuff']);
    await expect(target.importRun(foreign)).rejects.toThrow(/foreign.tar.gz: .*no run.json/);
    await expect(target.importRun(path.join(out, 'missing.tar.gz'))).rejects.toThrow(/no such file/);
    expect(fs.readdirSync(target.runsRoot)).toEqual([]);
  });
});
