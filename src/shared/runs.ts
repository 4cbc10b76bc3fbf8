/**
 * The run history as the UI, the server and the CLI see it: summaries for the
 * list, user annotations, filters, and the result of comparing runs.
 * run.json itself is described in ./run.ts (written by the trainer only).
 */
import { z } from 'zod';
import { RUN_STATUSES } from './run.js';

/** User edits live in notes.json beside run.json, so they never race the trainer's writes. */
export const runAnnotationsSchema = z
  .object({
    /** display name chosen by the user (run.json keeps the original) */
    name: z.string().min(1).max(120).optional(),
    tags: z.array(z.string().min(1).max(40).regex(/^[^\s,]+$/, 'tags have no spaces or commas')).max(50).default([]),
    notes: z.string().max(20_000).default(''),
  })
  .strict();
export type RunAnnotations = z.infer<typeof runAnnotationsSchema>;

export const runSummarySchema = z.object({
  id: z.string(),
  name: z.string(),
  /** status after checking the writing process is alive: a dead 'running' run shows 'interrupted' */
  status: z.enum(RUN_STATUSES),
  datasetId: z.string(),
  datasetName: z.string(),
  model: z.string(),
  epochs: z.number(),
  epochsCompleted: z.number(),
  batchSize: z.number(),
  optimizer: z.string(),
  backend: z.string(),
  startedAt: z.string(),
  endedAt: z.string().nullable(),
  tags: z.array(z.string()),
  /** last epoch's mean NT-Xent loss */
  finalLoss: z.number().nullable(),
  /** last kNN monitor accuracy (0..1) */
  knnAccuracy: z.number().nullable(),
  /** linear evaluation top-1 (0..1) from eval.json, when evaluated */
  linearAccuracy: z.number().nullable(),
  /** problems found while reading the run (unreadable metrics line, bad eval.json...) */
  warnings: z.array(z.string()),
});
export type RunSummary = z.infer<typeof runSummarySchema>;

export const RUN_SORT_KEYS = ['startedAt', 'name', 'status', 'datasetId', 'model', 'finalLoss', 'knnAccuracy', 'linearAccuracy', 'epochsCompleted'] as const;

export const runListQuerySchema = z
  .object({
    status: z.enum(RUN_STATUSES).optional(),
    dataset: z.string().optional(),
    model: z.string().optional(),
    tag: z.string().optional(),
    /** case-insensitive substring of id, name or notes */
    text: z.string().max(200).optional(),
    sort: z.enum(RUN_SORT_KEYS).default('startedAt'),
    descending: z.boolean().default(true),
  })
  .strict();
export type RunListQuery = z.input<typeof runListQuerySchema>;

/** One metric of one run, as [x, y] points; x is the global step or the epoch. */
export interface MetricSeries {
  runId: string;
  metric: string;
  x: 'globalStep' | 'epoch';
  points: [number, number][];
}

export interface ConfigDifference {
  /** dotted path into the resolved config, e.g. "optimizer.baseLr" or "pipeline.ops[2].p" */
  path: string;
  /** value per run id; undefined where the field is absent */
  values: Record<string, unknown>;
}

export interface RunComparison {
  runs: RunSummary[];
  series: MetricSeries[];
  configDiff: ConfigDifference[];
  /** evaluation rows per run (protocol -> top-1) from eval.json */
  evaluations: Record<string, Record<string, number>>;
}
