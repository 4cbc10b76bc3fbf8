import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { EVAL_JSON, formatReport, readEvalReport, saveResults } from '../../src/engine/eval/report.js';
import { REFERENCES } from '../../src/engine/eval/references.js';
import {
  matchingReferences,
  parseEvalReport,
  parseReportCsv,
  parseReportMarkdown,
  reportRows,
  REPORT_COLUMNS,
  type ProtocolResult,
} from '../../src/shared/eval.js';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'eval-report-'));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

function result(over: Partial<ProtocolResult> & Pick<ProtocolResult, 'protocol'>): ProtocolResult {
  return {
    dataset: { id: 'cifar10', family: 'cifar10', name: 'CIFAR-10', numClasses: 3, trainCount: 100, testCount: 4, inputSize: 32 },
    pretrainDataset: 'cifar10',
    labelFraction: 1,
    metrics: { top1: 0.5, top5: 1, perClass: [1, 0.5, null], confusion: [[1, 0, 0], [1, 1, 0], [0, 0, 0]], count: 3 },
    settings: { l2: 0.01 },
    compute: { wallSeconds: 12.345, epochs: 3, images: 1200, backend: 'tensorflow', device: 'CPU: test' },
    finishedAt: '2026-01-01T00:00:00.000Z',
    ...over,
  };
}

const RUN = { id: 'run-1', arch: 'ResNet-18 x0.25', pretrainDataset: 'cifar10', pretrainEpochs: 5 };

describe('reproduction report', () => {
  it('round-trips: eval.json <-> object, and Markdown / CSV carry exactly the table of the JSON', () => {
    const dir = path.join(tmp, 'run-a');
    fs.mkdirSync(dir);
    const results = [
      result({ protocol: 'linear', metrics: { top1: 0.61234, top5: 0.9, perClass: [0.5, 0.7, 0.6], confusion: [[1, 0, 0], [0, 1, 0], [0, 0, 1]], count: 3 } }),
      result({ protocol: 'knn', metrics: { top1: 0.5, top5: null, perClass: [1, 0, null], confusion: [[1, 0, 0], [1, 0, 0], [0, 0, 0]], count: 2 } }),
      // Awkward text: commas, quotes and pipes must survive both formats.
      result({ protocol: 'finetune', labelFraction: 0.1, dataset: { id: 'x', family: 'x', name: 'My "odd", | set', numClasses: 3, trainCount: 10, testCount: 3, inputSize: 24 } }),
      result({ protocol: 'supervised', pretrainDataset: null, dataset: { id: 'c100', family: 'cifar100', name: 'CIFAR-100', numClasses: 100, trainCount: 10, testCount: 3, inputSize: 32 } }),
      result({ protocol: 'pixels', pretrainDataset: null }),
    ];
    const report = saveResults(dir, RUN, results, new Date('2026-02-03T04:05:06Z'));
    // Written atomically: the file and the history folder, nothing else (no temp file left behind).
    expect(fs.readdirSync(dir).sort()).toEqual([EVAL_JSON, 'evals']);
    const back = readEvalReport(dir)!;
    expect(back).toEqual(report);
    expect(parseEvalReport(JSON.parse(formatReport(back, 'json')))).toEqual(report);

    const rows = reportRows(report);
    expect(rows.length).toBe(5);
    expect(parseReportCsv(formatReport(report, 'csv'))).toEqual(rows);
    expect(parseReportMarkdown(formatReport(report, 'md'))).toEqual(rows);
    // The table's numbers are the JSON's numbers.
    for (const [i, r] of report.results.entries()) {
      expect(Number(rows[i]!['top-1 %'])).toBeCloseTo(100 * r.metrics.top1, 2);
      expect(rows[i]!['top-5 %']).toBe(r.metrics.top5 === null ? '' : (100 * r.metrics.top5).toFixed(2));
      expect(Number(rows[i]!['wall s'])).toBeCloseTo(r.compute.wallSeconds, 1);
      expect(Number(rows[i]!.images)).toBe(r.compute.images);
    }
    expect(rows[2]!.dataset).toBe('My "odd", | set @24px');
    expect(rows[2]!.labels).toBe('10%');
    // References: the CIFAR-10 linear row sits beside the paper's 94.0, the reference repo's ~91 and
    // solo-learn's 90.74; kNN beside lightly's three kNN runs; the supervised-from-scratch CIFAR-100 row
    // and raw pixels beside none (no published number of their setting is listed).
    expect(rows[0]!['reference top-1 %']).toBe('94.00; 91.00; 90.74');
    expect(rows[1]!['reference top-1 %']).toBe('84.70; 84.80; 87.90');
    expect(rows[1]!.reference).toContain('(200 epochs, batch 128)');
    expect(rows[3]!['reference top-1 %']).toBe('');
    expect(rows[4]!['reference top-1 %']).toBe('');
    // every row says what was evaluated: architecture and pretraining epochs, or what stood in for them
    expect(rows.map((r) => r.encoder)).toEqual(['ResNet-18 x0.25, 5 epochs', 'ResNet-18 x0.25, 5 epochs', 'ResNet-18 x0.25, 5 epochs', 'ResNet-18 x0.25, random init', 'none (raw pixels)']);
    const md = formatReport(report, 'md');
    expect(md).toContain('# Evaluation of run run-1');
    expect(md).toContain('for 5 epochs');
    expect(formatReport(report, 'csv').split('\r\n')[0]).toBe(REPORT_COLUMNS.join(','));
  });

  it('a rerun replaces the earlier result of the same protocol, dataset, size and label fraction', () => {
    const dir = path.join(tmp, 'run-b');
    fs.mkdirSync(dir);
    saveResults(dir, RUN, [result({ protocol: 'linear' }), result({ protocol: 'finetune', labelFraction: 0.01 })]);
    const r2 = saveResults(dir, RUN, [result({ protocol: 'linear', metrics: { top1: 0.9, top5: 1, perClass: [1, 1, 1], confusion: [[1, 0, 0], [0, 1, 0], [0, 0, 1]], count: 3 } })]);
    expect(r2.results.length).toBe(2);
    expect(r2.results.find((r) => r.protocol === 'linear')!.metrics.top1).toBe(0.9);
    expect(readEvalReport(dir)!.results.length).toBe(2);
  });

  it('transfer results match transfer references (ResNet-50 1x, Appendix Table B.5), and only those', () => {
    const r = result({ protocol: 'linear', pretrainDataset: 'cifar10', dataset: { id: 'c100', family: 'cifar100', name: 'CIFAR-100', numClasses: 100, trainCount: 1, testCount: 1, inputSize: 32 } });
    expect(matchingReferences(r, REFERENCES).map((x) => [x.top1, x.where, x.arch])).toEqual([[71.6, 'Appendix Table B.5', 'ResNet-50 (1x)']]);
    expect(matchingReferences({ ...r, protocol: 'finetune' }, REFERENCES).map((x) => x.top1)).toEqual([85.9]);
    expect(matchingReferences({ ...r, protocol: 'linear', pretrainDataset: 'cifar100' }, REFERENCES).map((x) => x.top1)).toEqual([65.78]);
    // CIFAR-10 -> CIFAR-10 transfer numbers never sit beside a run pretrained on CIFAR-10 itself
    const own = result({ protocol: 'finetune' });
    expect(matchingReferences(own, REFERENCES)).toEqual([]);
    expect(matchingReferences({ ...own, pretrainDataset: 'imagenet' }, REFERENCES).map((x) => x.top1)).toEqual([97.7]);
    // nor at another label fraction, nor a from-scratch row beside pretrained numbers
    expect(matchingReferences({ ...r, labelFraction: 0.1 }, REFERENCES)).toEqual([]);
    expect(matchingReferences({ ...own, protocol: 'supervised', pretrainDataset: null }, REFERENCES)).toEqual([]);
    // no citation of Table 8 (the ResNet-50 4x table) remains; every reference is well-formed and unique
    expect(REFERENCES.some((x) => /Table 8\b/.test(x.where))).toBe(false);
    expect(new Set(REFERENCES.map((x) => x.id)).size).toBe(REFERENCES.length);
  });

  it('a damaged eval.json is refused with the file and the field named', () => {
    const dir = path.join(tmp, 'run-c');
    fs.mkdirSync(dir);
    fs.writeFileSync(path.join(dir, EVAL_JSON), JSON.stringify({ schemaVersion: 1, run: RUN, results: [{ protocol: 'linear' }], references: [], updatedAt: 'x' }));
    expect(() => readEvalReport(dir)).toThrow(/eval\.json: results\.0\.dataset/);
    fs.writeFileSync(path.join(dir, EVAL_JSON), '{"schemaVersion": 1,');
    expect(() => readEvalReport(dir)).toThrow(/eval\.json: not valid JSON/);
    expect(() => parseReportCsv('a,b\n1,2\n')).toThrow(/header does not match/);
    expect(() => saveResults(path.join(tmp, 'missing'), RUN, [])).toThrow(/no such run directory/);
  });
});
