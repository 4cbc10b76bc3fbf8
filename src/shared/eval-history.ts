/**
 * Every evaluation of a run, kept as a record (eval.json keeps one result per
 * protocol and dataset: the one the Runs table shows). Files live in
 * <run>/evals/<id>.json; the history is read by the UI and can choose which
 * record eval.json shows.
 */
import { z } from 'zod';
import { protocolResultSchema, resultKey } from './eval.js';

export const evalLimitsSchema = z
  .object({
    /** the first N training / test images were used; null: the whole split */
    trainLimit: z.number().int().positive().nullable(),
    testLimit: z.number().int().positive().nullable(),
  })
  .strict();
export type EvalLimits = z.infer<typeof evalLimitsSchema>;

export const evalHistoryEntrySchema = z
  .object({
    /** the file's base name: sortable time + protocol */
    id: z.string().regex(/^[A-Za-z0-9._-]+$/),
    result: protocolResultSchema,
    /** null for records from before limits were kept (migrated from eval.json) */
    limits: evalLimitsSchema.nullable(),
  })
  .strict();
export type EvalHistoryEntry = z.infer<typeof evalHistoryEntrySchema>;

export const evalHistorySchema = z.object({
  entries: z.array(evalHistoryEntrySchema),
  /** ids of the entries eval.json shows now (one per protocol/dataset/labels) */
  selected: z.array(z.string()),
});
export type EvalHistory = z.infer<typeof evalHistorySchema>;

/** Used all the images of both splits (limits known and none set). */
export function isFullData(e: Pick<EvalHistoryEntry, 'limits'>): boolean {
  return e.limits !== null && e.limits.trainLimit === null && e.limits.testLimit === null;
}

export { resultKey };
