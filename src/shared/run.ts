/**
 * run.json: the record of one training run, written by the trainer when the run
 * starts and rewritten (atomically) when its status changes. Read by the runs
 * list, evaluation, embedding and the UI. See docs/ARCHITECTURE.md for the run
 * directory layout, and the header of src/engine/train/index.ts for
 * metrics.jsonl and the checkpoint format.
 *
 * Imports nothing from Node or Electron.
 */
import { z } from 'zod';
import { withLegacyModelDefaults } from './model-config.js';
import { trainConfigSchema, withLegacyModelSection } from './train-config.js';

export const RUN_STATUSES = ['running', 'completed', 'failed', 'cancelled', 'interrupted'] as const;
export type RunStatus = (typeof RUN_STATUSES)[number];

export const runDatasetSchema = z.object({
  /** dataset id from the reader, e.g. "cifar10" */
  id: z.string(),
  name: z.string(),
  format: z.string(),
  /** the folder or file it was read from, absolute */
  path: z.string(),
  classNames: z.array(z.string()),
  trainCount: z.number().int(),
  testCount: z.number().int(),
  height: z.number().int(),
  width: z.number().int(),
  channels: z.number().int(),
  /** sha256 over the decoded pixels and labels actually used (train then test), hex */
  checksum: z.string(),
});

export const runBackendSchema = z
  .object({
    name: z.string(),
    tfjsVersion: z.string(),
    source: z.string(),
    device: z.string(),
    gpu: z.boolean(),
    threads: z.number(),
    reason: z.string(),
  })
  .loose();

export const runRecordSchema = z.object({
  /** format marker and version of this file */
  format: z.literal('simclr-workbench-run'),
  version: z.literal(1),
  kind: z.literal('simclr'),
  /** directory name under runs/ */
  id: z.string(),
  name: z.string(),
  status: z.enum(RUN_STATUSES),
  /** the training config with every default filled in */
  config: trainConfigSchema,
  /** the augmentation pipeline as resolved from config.pipeline (preset or file contents) */
  pipeline: z.unknown(),
  /** the model architecture as resolved from config.model */
  model: z.record(z.string(), z.unknown()),
  /** peak learning rate after batch-size scaling */
  learningRate: z.number(),
  stepsPerEpoch: z.number().int(),
  dataset: runDatasetSchema,
  seed: z.number().int(),
  backend: runBackendSchema,
  versions: z.record(z.string(), z.string()),
  /** ISO times */
  startedAt: z.string(),
  /** set when the run stops (any status but running) */
  endedAt: z.string().nullable(),
  /** the process writing this run while status is running */
  pid: z.number().int(),
  host: z.string(),
  /** epochs finished and optimiser steps taken so far */
  epochsCompleted: z.number().int(),
  globalStep: z.number().int(),
  /** each time the run was resumed: from which checkpoint, when, by which process */
  resumes: z.array(z.object({ checkpoint: z.string(), epoch: z.number().int(), at: z.string(), pid: z.number().int() })),
  /** message of the error that ended a failed run */
  error: z.string().nullable(),
});

export type RunRecord = z.infer<typeof runRecordSchema>;
export type RunDatasetInfo = z.infer<typeof runDatasetSchema>;

/**
 * Validate a parsed run.json; errors name the file and field. Fields a newer
 * version added to the recorded training config (config.model) and resolved
 * model (model) are filled with the values older runs were built with, not
 * today's defaults, so an old run reloads (and resumes) as the same model.
 */
export function parseRunRecord(raw: unknown, file = 'run.json'): RunRecord {
  const r = runRecordSchema.safeParse(withLegacyFields(raw));
  if (!r.success) {
    const lines = r.error.issues.map((i) => `${i.path.length ? i.path.join('.') : '(root)'}: ${i.message}`);
    throw new Error(`${file}: not a valid run record:\n  ${lines.join('\n  ')}`);
  }
  return r.data;
}

function withLegacyFields(raw: unknown): unknown {
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) return raw;
  const r = raw as Record<string, unknown>;
  return { ...r, config: withLegacyModelSection(r.config), model: withLegacyModelDefaults(r.model) };
}

/** One line of metrics.jsonl. */
export type MetricRecord =
  | {
      type: 'step';
      epoch: number;
      step: number;
      globalStep: number;
      loss: number;
      lr: number;
      contrastiveAcc: number;
      imagesPerSec: number;
      time: string;
    }
  | {
      type: 'epoch';
      epoch: number;
      globalStep: number;
      meanLoss: number;
      meanContrastiveAcc: number;
      seconds: number;
      imagesPerSec: number;
      time: string;
    }
  | { type: 'knn'; epoch: number; globalStep: number; k: number; temperature: number; accuracy: number; testCount: number; seconds: number; time: string }
  /**
   * Written when training resumes from a checkpoint: step/epoch records above
   * this globalStep that precede the line belong to the interrupted attempt
   * (the resuming trainer drops them). `attempt`: 2 for the first resume.
   */
  | { type: 'resume'; epoch: number; globalStep: number; checkpoint: string; attempt?: number; time: string }
  | { type: 'eval'; [key: string]: unknown };
