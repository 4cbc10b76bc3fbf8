/**
 * The states a job is shown in, and what each looks like and offers. One
 * table, read by every place that draws a job (Train monitor, evaluation and
 * embedding panels, dataset downloads), so a cancelled job never looks like
 * a failure and a finished bar never keeps animating.
 *
 * The host reports queued/running/succeeded/failed/cancelled/crashed; the page
 * adds what only it knows: a cancel it asked for (cancelling) and a job the
 * server forgot because it restarted (interrupted).
 */
import type { JobInfo } from '../../../shared/api';

export type JobPhase = 'queued' | 'running' | 'cancelling' | 'cancelled' | 'failed' | 'completed' | 'interrupted';

export interface PhaseLook {
  label: string;
  /** colour family of the badge and message */
  tone: 'neutral' | 'active' | 'ok' | 'warn' | 'danger';
  /** the job is still going: the bar may animate, Cancel is offered */
  live: boolean;
  /** the job's error is a failure to show in red (not a requested stop) */
  showsErrorAsFailure: boolean;
}

export const PHASES: Record<JobPhase, PhaseLook> = {
  queued: { label: 'queued', tone: 'neutral', live: true, showsErrorAsFailure: false },
  running: { label: 'running', tone: 'active', live: true, showsErrorAsFailure: false },
  cancelling: { label: 'cancelling…', tone: 'warn', live: true, showsErrorAsFailure: false },
  cancelled: { label: 'cancelled', tone: 'neutral', live: false, showsErrorAsFailure: false },
  failed: { label: 'failed', tone: 'danger', live: false, showsErrorAsFailure: true },
  completed: { label: 'completed', tone: 'ok', live: false, showsErrorAsFailure: false },
  interrupted: { label: 'interrupted', tone: 'warn', live: false, showsErrorAsFailure: true },
};

export interface PhaseInputs {
  /** the page asked to cancel this job */
  cancelRequested?: boolean;
  /** the server no longer knows this job (it restarted while the job ran) */
  lost?: boolean;
}

export function jobPhase(job: Pick<JobInfo, 'state'>, extra: PhaseInputs = {}): JobPhase {
  switch (job.state) {
    case 'queued':
    case 'running':
      if (extra.lost) return 'interrupted';
      if (extra.cancelRequested) return 'cancelling';
      return job.state;
    case 'succeeded':
      return 'completed';
    case 'cancelled':
      return 'cancelled';
    case 'crashed':
      return 'interrupted';
    default:
      return 'failed';
  }
}

/** The line under a job's bar while it has no message of its own. */
export function phaseMessage(phase: JobPhase, job: Pick<JobInfo, 'queuePosition'>): string {
  switch (phase) {
    case 'queued':
      return `queued (position ${(job.queuePosition ?? 0) + 1}), waiting for the job before it`;
    case 'cancelling':
      return 'cancelling: the job stops at its next safe point…';
    case 'cancelled':
      return 'cancelled as asked';
    case 'interrupted':
      return 'interrupted: the job stopped without finishing (its process or the server went away)';
    case 'running':
      return 'starting…';
    default:
      return '';
  }
}
