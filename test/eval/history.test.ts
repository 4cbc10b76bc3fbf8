import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { EVALS_DIR, historyWithSelection, readHistory } from '../../src/engine/eval/history.js';
import { EVAL_JSON, readEvalReport, saveResults, selectResult } from '../../src/engine/eval/report.js';
import type { ProtocolResult } from '../../src/shared/eval.js';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'eval-history-'));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

const RUN = { id: 'run-1', arch: 'ResNet-18 x0.25', pretrainDataset: 'cifar10', pretrainEpochs: 5 };

function result(top1: number, finishedAt: string, counts: { train: number; test: number }, protocol: ProtocolResult['protocol'] = 'linear'): ProtocolResult {
  return {
    protocol,
    dataset: { id: 'cifar10', family: 'cifar10', name: 'CIFAR-10', numClasses: 2, trainCount: counts.train, testCount: counts.test, inputSize: 32 },
    pretrainDataset: 'cifar10',
    labelFraction: 1,
    metrics: { top1, top5: null, perClass: [top1, top1], confusion: [[1, 0], [0, 1]], count: counts.test },
    settings: { l2: 0.01 },
    compute: { wallSeconds: 1, epochs: 1, images: 10, backend: 'cpu', device: 'CPU: test' },
    finishedAt,
  };
}

function runDir(name: string): string {
  const dir = path.join(tmp, name);
  fs.mkdirSync(dir);
  return dir;
}

const FULL = { trainLimit: null, testLimit: null };
const top1Shown = (dir: string) => readEvalReport(dir)!.results.find((r) => r.protocol === 'linear')!.metrics.top1;

describe('evaluation history', () => {
  it('keeps every evaluation, with its limits; eval.json shows the newest unless only an older one used all the data', () => {
    const dir = runDir('a');
    saveResults(dir, RUN, [result(0.393, '2026-01-01T00:00:00.000Z', { train: 10000, test: 2000 })], undefined, FULL);
    // a second evaluation on a slice of the data (the 39.30% -> 31.40% of the issue)
    saveResults(dir, RUN, [result(0.314, '2026-01-02T00:00:00.000Z', { train: 512, test: 200 })], undefined, { trainLimit: 512, testLimit: 200 });
    const { entries } = readHistory(dir);
    expect(entries.map((e) => e.result.metrics.top1)).toEqual([0.393, 0.314]);
    expect(entries.map((e) => e.limits)).toEqual([FULL, { trainLimit: 512, testLimit: 200 }]);
    expect(entries[1]!.result.dataset.trainCount).toBe(512);
    // the full-data number stays in the table
    expect(top1Shown(dir)).toBe(0.393);
    // a newer full-data evaluation replaces it
    saveResults(dir, RUN, [result(0.41, '2026-01-03T00:00:00.000Z', { train: 10000, test: 2000 })], undefined, FULL);
    expect(top1Shown(dir)).toBe(0.41);
    const h = historyWithSelection(dir, readEvalReport(dir));
    expect(h.entries).toHaveLength(3);
    expect(h.selected).toEqual([h.entries[2]!.id]);
  });

  it('a limited result replaces a limited one (nothing better to keep)', () => {
    const dir = runDir('b');
    saveResults(dir, RUN, [result(0.2, '2026-01-01T00:00:00.000Z', { train: 100, test: 50 })], undefined, { trainLimit: 100, testLimit: 50 });
    saveResults(dir, RUN, [result(0.3, '2026-01-02T00:00:00.000Z', { train: 200, test: 50 })], undefined, { trainLimit: 200, testLimit: 50 });
    expect(top1Shown(dir)).toBe(0.3);
  });

  it('the user can choose which record the table shows; an unknown record is refused by name', () => {
    const dir = runDir('c');
    saveResults(dir, RUN, [result(0.5, '2026-01-01T00:00:00.000Z', { train: 100, test: 50 })], undefined, { trainLimit: 100, testLimit: null });
    saveResults(dir, RUN, [result(0.6, '2026-01-02T00:00:00.000Z', { train: 100, test: 50 }), result(0.7, '2026-01-02T00:00:00.000Z', { train: 100, test: 50 }, 'knn')], undefined, { trainLimit: 100, testLimit: null });
    const first = readHistory(dir).entries[0]!;
    selectResult(dir, first.id);
    expect(top1Shown(dir)).toBe(0.5);
    // the other protocol's row is untouched
    expect(readEvalReport(dir)!.results.find((r) => r.protocol === 'knn')!.metrics.top1).toBe(0.7);
    expect(historyWithSelection(dir, readEvalReport(dir)).selected).toContain(first.id);
    expect(() => selectResult(dir, 'nope')).toThrow(/no evaluation record "nope" in .*evals/);
  });

  it('a run evaluated before the history existed starts its history with eval.json (limits unknown); damaged records are skipped and named', () => {
    const dir = runDir('d');
    saveResults(dir, RUN, [result(0.45, '2026-01-01T00:00:00.000Z', { train: 1000, test: 100 })]);
    // as an old run: eval.json only
    fs.rmSync(path.join(dir, EVALS_DIR), { recursive: true });
    const before = fs.readFileSync(path.join(dir, EVAL_JSON), 'utf8');
    const h = historyWithSelection(dir, readEvalReport(dir));
    expect(h.entries.map((e) => [e.result.metrics.top1, e.limits])).toEqual([[0.45, null]]);
    expect(h.selected).toEqual([h.entries[0]!.id]);
    expect(fs.readFileSync(path.join(dir, EVAL_JSON), 'utf8')).toBe(before);
    // migration happens once: a second read does not duplicate
    expect(historyWithSelection(dir, readEvalReport(dir)).entries).toHaveLength(1);

    fs.writeFileSync(path.join(dir, EVALS_DIR, 'zz-broken.json'), '{"id": "zz-broken"');
    const read = readHistory(dir);
    expect(read.entries).toHaveLength(1);
    expect(read.problems[0]).toMatch(/zz-broken\.json: not an evaluation record/);
  });
});
