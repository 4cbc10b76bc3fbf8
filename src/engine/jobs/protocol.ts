import { z } from 'zod';
import { ApiErrorSchema, JobProgressSchema } from '../../shared/api.js';

/**
 * The job protocol: messages between a host (Electron main, the server, a test)
 * and an engine worker process (Electron utility process or Node child
 * process). Messages are plain JSON values, so they cross both kinds of
 * channel unchanged. Both sides validate what they receive.
 *
 * host -> worker: call (run one method), cancel (abort a call), shutdown
 * worker -> host: ready (once, at start), result or error (one per call),
 *                 progress and log (any number, tagged with the call id)
 */

const CallId = z.string().min(1).max(64);

export const ToWorkerSchema = z.discriminatedUnion('type', [
  z.object({ type: z.literal('call'), id: CallId, method: z.string().min(1).max(64), payload: z.unknown() }),
  z.object({ type: z.literal('cancel'), id: CallId }),
  z.object({ type: z.literal('shutdown') }),
]);
export type ToWorker = z.infer<typeof ToWorkerSchema>;

export const FromWorkerSchema = z.discriminatedUnion('type', [
  z.object({ type: z.literal('ready'), pid: z.number().int() }),
  z.object({ type: z.literal('result'), id: CallId, value: z.unknown() }),
  z.object({ type: z.literal('error'), id: CallId, error: ApiErrorSchema }),
  z.object({ type: z.literal('progress'), id: CallId, progress: JobProgressSchema }),
  z.object({ type: z.literal('log'), id: CallId.nullable(), line: z.string() }),
]);
export type FromWorker = z.infer<typeof FromWorkerSchema>;

/** Worker methods for long jobs: `job.<kind>`, run one per process. */
export function jobMethod(kind: string): string {
  return `job.${kind}`;
}
