import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { evalBatch } from '../../src/engine/augment/index.js';
import { initBackend } from '../../src/engine/backend/index.js';
import { readCifar10 } from '../../src/engine/data/cifar.js';
import { subset } from '../../src/engine/data/types.js';
import { evaluateRun, type EvalEvent } from '../../src/engine/eval/evaluate.js';
import { encoderFeatures } from '../../src/engine/eval/features.js';
import { readEvalReport } from '../../src/engine/eval/report.js';
import { loadEncoder } from '../../src/engine/train/encoder.js';
import { trainSimclr } from '../../src/engine/train/index.js';
import { evalCommand } from '../../src/cli/commands/eval.js';
import { UsageError } from '../../src/cli/args.js';
import { reportRows, parseReportCsv, type ProtocolResult } from '../../src/shared/eval.js';
import { CIFAR100_DIR, CIFAR10_DIR } from '../support/shared-data.js';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'eval-protocols-'));
const dataRoot = path.join(tmp, 'root');
let runDir = '';

beforeAll(async () => {
  await initBackend();
  // A tiny pretraining run: 256 CIFAR-10 images, one epoch. Enough to have a checkpoint;
  // whether pretraining helps is measured in bench/eval.ts, where it can train longer.
  const r = await trainSimclr({
    config: { dataset: CIFAR10_DIR, trainLimit: 256, epochs: 1, batchSize: 64, knn: { every: 0 }, outDir: path.join(tmp, 'runs'), dataRoot, runName: 'tiny', optimizer: { warmupEpochs: 0 } },
  });
  runDir = r.runDir;
});
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

function checkMetrics(r: ProtocolResult, testCount: number, numClasses: number): void {
  const m = r.metrics;
  expect(m.count).toBe(testCount);
  expect(m.confusion.length).toBe(numClasses);
  expect(m.confusion.flat().reduce((a, b) => a + b, 0)).toBe(testCount);
  const diagonal = m.confusion.reduce((a, row, i) => a + row[i]!, 0);
  expect(m.top1).toBeCloseTo(diagonal / testCount, 12);
  if (m.top5 !== null) expect(m.top5).toBeGreaterThanOrEqual(m.top1);
  expect(r.compute.wallSeconds).toBeGreaterThan(0);
}

describe('evaluation protocols on a tiny run', () => {
  it('batched frozen-encoder features equal a direct forward pass of the eval transform', async () => {
    const enc = loadEncoder(runDir);
    const set = subset(readCifar10(CIFAR10_DIR).splits.test!, [0, 1, 2, 3, 4, 5, 6]);
    const batched = await encoderFeatures(enc.model, set, enc.pipeline, { batchSize: 3 });
    const direct = tf.tidy(() => enc.model.encode(evalBatch(set, [0, 1, 2, 3, 4, 5, 6], enc.pipeline), false));
    expect(batched.shape).toEqual([7, enc.model.featureDim]);
    const diff = tf.tidy(() => tf.max(tf.abs(tf.sub(batched, direct))).dataSync()[0]!);
    expect(diff).toBeLessThan(1e-4);
    tf.dispose([batched, direct]);
    enc.model.dispose();
  });

  it('runs every protocol on CIFAR-10 subsets, saves eval.json and metrics lines, leaks no tensors', async () => {
    const before = tf.memory().numTensors;
    const events: EvalEvent[] = [];
    const { results, report } = await evaluateRun(runDir, {
      protocols: ['pixels', 'random', 'linear', 'knn', 'finetune', 'supervised'],
      dataRoot,
      trainLimit: 300,
      testLimit: 100,
      epochs: 1,
      labelFractions: [0.1, 1],
      l2Grid: [0.1, 0.01],
      maxIter: 100,
      onProgress: (e) => events.push(e),
    });
    expect(tf.memory().numTensors).toBe(before);
    expect(results.map((r) => `${r.protocol}:${r.labelFraction}`)).toEqual(['pixels:1', 'random:1', 'linear:1', 'knn:1', 'finetune:0.1', 'finetune:1', 'supervised:0.1', 'supervised:1']);
    for (const r of results) checkMetrics(r, 100, 10);
    const by = (p: string, f = 1) => results.find((r) => r.protocol === p && r.labelFraction === f)!;
    // Raw pixels from 300 images are weak but clearly above chance (10%).
    expect(by('pixels').metrics.top1).toBeGreaterThan(0.15);
    expect(by('knn').metrics.top5).toBeNull();
    expect(by('knn').settings.k).toBe(200);
    expect(by('linear').settings.featuresReused).toBe(false);
    expect(by('knn').settings.featuresReused).toBe(true);
    // The 10% subset is class-balanced: about 30 images (10% of each class, rounded).
    const labelled = by('finetune', 0.1).settings.labelledImages as number;
    expect(labelled).toBeGreaterThanOrEqual(25);
    expect(labelled).toBeLessThanOrEqual(35);
    expect(by('finetune').pretrainDataset).toBe('cifar10');
    expect(by('supervised').pretrainDataset).toBeNull();
    expect(by('finetune').compute.epochs).toBe(1);
    expect(by('finetune').compute.images).toBe(300 + 100);
    expect(events.filter((e) => e.type === 'done').length).toBe(8);
    expect(events.some((e) => e.type === 'train')).toBe(true);
    expect(events.some((e) => e.type === 'linear' && e.valTop1 !== undefined)).toBe(true);

    // Saved: eval.json holds the same results; metrics.jsonl got one eval line per result.
    expect(readEvalReport(runDir)).toEqual(report);
    expect(report!.results.length).toBe(8);
    const evalLines = fs
      .readFileSync(path.join(runDir, 'metrics.jsonl'), 'utf8')
      .split('\n')
      .filter(Boolean)
      .map((l) => JSON.parse(l) as { type: string })
      .filter((l) => l.type === 'eval');
    expect(evalLines.length).toBe(8);
    const linearRow = reportRows(report!).find((r) => r.protocol === 'SimCLR, linear evaluation')!;
    // beside the CIFAR-10 anchors of its own setting (pretrained on CIFAR-10, linear), with the encoder's scale
    expect(linearRow['reference top-1 %']).toBe('94.00; 91.00; 90.74');
    expect(linearRow.encoder).toBe('ResNet-18 x0.25, 1 epoch');
    expect(linearRow.recipe).toBe('lbfgs');
    expect(reportRows(report!).find((r) => r.protocol === 'SimCLR, fine-tuned')!.recipe).toBe('cifar');
    // a supervised-from-scratch row has no reference of its setting here: none is shown
    expect(reportRows(report!).find((r) => r.protocol === 'Supervised from scratch')!['reference top-1 %']).toBe('');
  });

  it('runs the named recipes: paper-b5 fine-tuning and the paper-b6 linear protocol, recorded in the result and the report', async () => {
    const { results, report } = await evaluateRun(runDir, {
      protocols: ['linear', 'finetune'],
      dataRoot,
      trainLimit: 100,
      testLimit: 50,
      epochs: 1,
      recipe: 'paper-b5',
      linearProtocol: 'paper-b6',
      linearEpochs: 1,
      save: false,
    });
    expect(report).toBeNull();
    const [linear, finetune] = results;
    expect(linear!.settings).toMatchObject({ recipe: 'paper-b6', linearProtocol: 'paper-b6', encoder: 'frozen', epochs: 1, baseLr: 0.1, weightDecay: 0 });
    expect(finetune!.settings).toMatchObject({ recipe: 'paper-b5', encoder: 'trained', epochs: 1, baseLr: 0.05, weightDecay: 0, cropScale: [0.08, 1] });
    for (const r of results) checkMetrics(r, 50, 10);
    const rows = reportRows({ schemaVersion: 1, run: { id: 'x', arch: 'ResNet-18 x0.25', pretrainDataset: 'cifar10', pretrainEpochs: 1 }, results, references: [], updatedAt: '' });
    expect(rows.map((r) => r.recipe)).toEqual(['paper-b6', 'paper-b5']);
    await expect(evalCommand.run([runDir, '--protocol', 'finetune', '--recipe', 'paper'])).rejects.toThrow(/--recipe must be one of cifar, paper-b5/);
    await expect(evalCommand.run([runDir, '--protocol', 'linear', '--linear-protocol', 'sgd'])).rejects.toThrow(/--linear-protocol must be one of lbfgs, paper-b6/);
  });

  it('transfers to CIFAR-100 fed at another input size (24 px), matched to transfer references', async () => {
    const { results, report } = await evaluateRun(runDir, {
      protocols: ['linear', 'knn'],
      dataset: CIFAR100_DIR,
      dataRoot,
      inputSize: 24,
      trainLimit: 300,
      testLimit: 100,
      l2Grid: [0.1],
      maxIter: 100,
      knn: { k: 20 },
    });
    for (const r of results) {
      checkMetrics(r, 100, 100);
      expect(r.dataset).toMatchObject({ family: 'cifar100', numClasses: 100, inputSize: 24 });
      expect(r.pretrainDataset).toBe('cifar10');
    }
    const rows = reportRows(report!).filter((r) => r.dataset.startsWith('CIFAR-100'));
    expect(rows.find((r) => r.protocol === 'SimCLR, linear evaluation')!['reference top-1 %']).toBe('71.60');
    // The CIFAR-10 results of the previous test are still there.
    expect(report!.results.filter((r) => r.dataset.family === 'cifar10').length).toBe(8);
  });

  it('the CLI prints the saved report (CSV) and refuses bad arguments with usage errors', async () => {
    const out: string[] = [];
    const spy = vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
      out.push(String(chunk));
      return true;
    });
    try {
      await evalCommand.run([runDir, '--report', '--format', 'csv']);
    } finally {
      spy.mockRestore();
    }
    expect(parseReportCsv(out.join(''))).toEqual(reportRows(readEvalReport(runDir)!));
    // A protocol run through the CLI, not saved, printed as JSON.
    const saved = fs.readFileSync(path.join(runDir, 'eval.json'), 'utf8');
    out.length = 0;
    const errSpy = vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
    const outSpy = vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
      out.push(String(chunk));
      return true;
    });
    const logSpy = vi.spyOn(console, 'error').mockImplementation(() => {});
    try {
      await evalCommand.run([runDir, '--protocol', 'knn', '--train-limit', '200', '--test-limit', '50', '--knn-k', '10', '--no-save', '--format', 'json']);
    } finally {
      outSpy.mockRestore();
      errSpy.mockRestore();
      logSpy.mockRestore();
    }
    const printed = JSON.parse(out.join('')) as { results: ProtocolResult[] };
    expect(printed.results.map((r) => [r.protocol, r.dataset.trainCount, r.dataset.testCount, r.settings.k])).toEqual([['knn', 200, 50, 10]]);
    expect(fs.readFileSync(path.join(runDir, 'eval.json'), 'utf8')).toBe(saved);
    await expect(evalCommand.run([runDir, '--protocol', 'bogus'])).rejects.toThrow(UsageError);
    await expect(evalCommand.run([runDir])).rejects.toThrow(/--protocol is required/);
    await expect(evalCommand.run([runDir, '--protocol', 'knn', '--label-fraction', '2'])).rejects.toThrow(/label-fraction/);
    await expect(evalCommand.run([runDir, '--report', '--format', 'xml'])).rejects.toThrow(/--format/);
  });

  it('bad run directories give clear errors', async () => {
    const opts = { protocols: ['linear' as const], dataRoot };
    await expect(evaluateRun(path.join(tmp, 'nope'), opts)).rejects.toThrow(/no such directory/);
    const file = path.join(tmp, 'a-file');
    fs.writeFileSync(file, 'x');
    await expect(evaluateRun(file, opts)).rejects.toThrow(/not a directory/);
    const empty = path.join(tmp, 'empty');
    fs.mkdirSync(empty);
    await expect(evaluateRun(empty, opts)).rejects.toThrow(/no run\.json here/);
    const broken = path.join(tmp, 'broken');
    fs.mkdirSync(broken);
    fs.writeFileSync(path.join(broken, 'run.json'), '{"format": "simclr-workbench-run"');
    await expect(evaluateRun(broken, opts)).rejects.toThrow(/run\.json: cannot read the run record/);
    const noCheckpoint = path.join(tmp, 'no-checkpoint');
    fs.mkdirSync(noCheckpoint);
    fs.copyFileSync(path.join(runDir, 'run.json'), path.join(noCheckpoint, 'run.json'));
    await expect(evaluateRun(noCheckpoint, opts)).rejects.toThrow(/no complete checkpoint yet/);
    await expect(evaluateRun(runDir, { protocols: [], dataRoot })).rejects.toThrow(/no protocols/);
  });
});
