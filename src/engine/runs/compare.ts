import path from 'node:path';
import type { ConfigDifference, MetricSeries, RunComparison, RunSummary } from '../../shared/runs.js';
import { readMetrics } from './metrics.js';
import { evalAccuracies, METRICS_FILE, readRunRecord } from './summary.js';

/** Flatten nested objects/arrays into dotted paths: {a:{b:[1]}} -> {"a.b[0]": 1}. */
export function flatten(value: unknown, prefix = '', out: Record<string, unknown> = {}): Record<string, unknown> {
  if (Array.isArray(value)) {
    if (value.length === 0) out[prefix] = [];
    value.forEach((v, i) => flatten(v, `${prefix}[${i}]`, out));
  } else if (value && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>);
    if (entries.length === 0 && prefix) out[prefix] = {};
    for (const [k, v] of entries) flatten(v, prefix ? `${prefix}.${k}` : k, out);
  } else {
    out[prefix] = value;
  }
  return out;
}

/** Fields whose values differ between runs (absent counts as a value). */
export function configDiff(configs: Record<string, unknown>): ConfigDifference[] {
  const flat = Object.fromEntries(Object.entries(configs).map(([id, c]) => [id, flatten(c)]));
  const ids = Object.keys(flat);
  const paths = new Set(ids.flatMap((id) => Object.keys(flat[id]!)));
  const diffs: ConfigDifference[] = [];
  for (const p of [...paths].sort()) {
    const values = Object.fromEntries(ids.map((id) => [id, flat[id]![p]]));
    const distinct = new Set(ids.map((id) => JSON.stringify(values[id])));
    if (distinct.size > 1) diffs.push({ path: p, values });
  }
  return diffs;
}

const STEP_METRICS = ['loss', 'lr', 'contrastiveAcc', 'imagesPerSec'] as const;
const EPOCH_METRICS = ['meanLoss', 'meanContrastiveAcc'] as const;

/** Metric series of one run, aligned on global step (step metrics) or epoch (epoch and kNN metrics). */
export function runSeries(runId: string, dir: string): MetricSeries[] {
  const { records } = readMetrics(path.join(dir, METRICS_FILE));
  const series: MetricSeries[] = [];
  const add = (metric: string, x: MetricSeries['x'], type: string, field: string, xField: string) => {
    const points: [number, number][] = [];
    for (const r of records) {
      if (r.type === type && typeof r[field] === 'number' && typeof r[xField] === 'number') points.push([r[xField] as number, r[field] as number]);
    }
    if (points.length) series.push({ runId, metric, x, points });
  };
  for (const m of STEP_METRICS) add(m, 'globalStep', 'step', m, 'globalStep');
  for (const m of EPOCH_METRICS) add(m, 'epoch', 'epoch', m, 'epoch');
  add('knnAccuracy', 'epoch', 'knn', 'accuracy', 'epoch');
  return series;
}

/** Everything the compare view needs for a set of runs (directories keyed by id). */
export function compareRuns(dirs: Record<string, string>, summaries: RunSummary[]): RunComparison {
  const configs: Record<string, unknown> = {};
  const evaluations: Record<string, Record<string, number>> = {};
  const series: MetricSeries[] = [];
  for (const [id, dir] of Object.entries(dirs)) {
    const record = readRunRecord(dir);
    configs[id] = { ...record.config, model: { ...record.config.model, resolved: record.model }, pipeline: record.pipeline, learningRate: record.learningRate, backend: record.backend.name, dataset: record.dataset.id };
    evaluations[id] = evalAccuracies(dir);
    series.push(...runSeries(id, dir));
  }
  return { runs: summaries, series, configDiff: configDiff(configs), evaluations };
}
