import fs from 'node:fs';
import path from 'node:path';
import { parseRunRecord, type RunRecord } from '../../shared/run.js';
import { runAnnotationsSchema, type RunAnnotations, type RunSummary } from '../../shared/runs.js';
import { readJsonFile } from '../fs/atomic.js';
import { honestStatus } from './liveness.js';
import { lastOfType, readMetricsTail } from './metrics.js';

export const RUN_FILE = 'run.json';
export const NOTES_FILE = 'notes.json';
export const METRICS_FILE = 'metrics.jsonl';
export const EVAL_FILE = 'eval.json';

export function readRunRecord(dir: string): RunRecord {
  const file = path.join(dir, RUN_FILE);
  const raw = readJsonFile(file);
  if (raw === null) throw new Error(`${dir}: no ${RUN_FILE} (not a run directory)`);
  return parseRunRecord(raw, file);
}

export function readAnnotations(dir: string): RunAnnotations {
  const file = path.join(dir, NOTES_FILE);
  const raw = readJsonFile(file);
  if (raw === null) return { tags: [], notes: '' };
  const r = runAnnotationsSchema.safeParse(raw);
  if (!r.success) throw new Error(`${file}: ${r.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`).join('; ')}`);
  return r.data;
}

/**
 * Top-1 accuracies per protocol from eval.json, read loosely: the evaluation
 * module owns that file's schema; we only need {protocol: {top1}} pairs,
 * under "protocols" or "results", as an object or an array of {protocol, top1}.
 */
/**
 * The plain protocol name stands for the run's own dataset with every label;
 * a transfer or label-fraction row is named after them, so it never hides it.
 */
function evalKey(r: Record<string, unknown>): string {
  const ds = r.dataset as { family?: unknown; name?: unknown } | undefined;
  const frac = typeof r.labelFraction === 'number' ? r.labelFraction : 1;
  const transfer = typeof r.pretrainDataset === 'string' && typeof ds?.family === 'string' && r.pretrainDataset !== ds.family;
  if (!transfer && frac >= 1) return String(r.protocol);
  const parts = [...(transfer ? [String(ds?.name ?? ds?.family)] : []), ...(frac < 1 ? [`${+(frac * 100).toFixed(2)}% labels`] : [])];
  return `${String(r.protocol)} (${parts.join(', ')})`;
}

export function evalAccuracies(dir: string): Record<string, number> {
  const raw = readJsonFile(path.join(dir, EVAL_FILE)) as Record<string, unknown> | null;
  const out: Record<string, number> = {};
  if (!raw || typeof raw !== 'object') return out;
  for (const key of ['protocols', 'results']) {
    const v = raw[key];
    if (Array.isArray(v)) {
      for (const row of v) {
        const r = row as Record<string, unknown>;
        // eval.json (src/shared/eval.ts) has {protocol, metrics: {top1}, dataset, labelFraction} rows
        const top1 = typeof r.top1 === 'number' ? r.top1 : (r.metrics as { top1?: unknown } | undefined)?.top1;
        if (typeof r.protocol === 'string' && typeof top1 === 'number') out[evalKey(r)] = top1;
      }
    } else if (v && typeof v === 'object') {
      for (const [name, row] of Object.entries(v as Record<string, unknown>)) {
        const top1 = (row as Record<string, unknown> | null)?.top1;
        if (typeof top1 === 'number') out[name] = top1;
      }
    }
  }
  return out;
}

export function modelLabel(record: RunRecord): string {
  const m = record.model as { depth?: unknown; width?: unknown };
  const preset = record.config.model.preset;
  if (typeof m.depth === 'number' && typeof m.width === 'number') return `${preset} (ResNet-${m.depth} x${m.width})`;
  return preset;
}

/** Everything the run list shows for one run directory. Never throws for a broken metrics or eval file. */
export function summarizeRun(dir: string): RunSummary {
  const record = readRunRecord(dir);
  const warnings: string[] = [];
  let notes: RunAnnotations = { tags: [], notes: '' };
  try {
    notes = readAnnotations(dir);
  } catch (err) {
    warnings.push((err as Error).message);
  }
  const metricsFile = path.join(dir, METRICS_FILE);
  const tail = readMetricsTail(metricsFile);
  if (tail.badLines.length) warnings.push(`${METRICS_FILE}: ${tail.badLines.length} unreadable line(s) skipped`);
  const epoch = lastOfType(tail.records, 'epoch');
  const knn = lastOfType(tail.records, 'knn');
  let evals: Record<string, number> = {};
  try {
    evals = evalAccuracies(dir);
  } catch (err) {
    warnings.push((err as Error).message);
  }
  return {
    id: path.basename(dir),
    name: notes.name ?? record.name,
    status: honestStatus(record, metricsFile),
    datasetId: record.dataset.id,
    datasetName: record.dataset.name,
    model: modelLabel(record),
    epochs: record.config.epochs,
    epochsCompleted: record.epochsCompleted,
    batchSize: record.config.batchSize,
    optimizer: record.config.optimizer.name,
    backend: record.backend.name,
    startedAt: record.startedAt,
    endedAt: record.endedAt,
    tags: notes.tags,
    finalLoss: typeof epoch?.meanLoss === 'number' ? epoch.meanLoss : null,
    knnAccuracy: typeof knn?.accuracy === 'number' ? knn.accuracy : null,
    linearAccuracy: evals.linear ?? null,
    warnings,
  };
}

export function fileStamp(file: string): string {
  try {
    const s = fs.statSync(file);
    return `${s.size}:${s.mtimeMs}`;
  } catch {
    return '-';
  }
}
