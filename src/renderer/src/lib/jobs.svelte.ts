/**
 * Jobs as the UI sees them: the latest record of every job, its log, and for
 * training jobs the metric history the live charts draw. Fed by the API's
 * events (job.state, job.progress, job.log); `refresh()` catches up after a
 * reload or a dropped connection.
 *
 * Histories are plain arrays (not deeply reactive, they can hold thousands of
 * points); `version` changes whenever one grows, and charts depend on it.
 */
import { FINISHED_JOB_STATES, type ApiEvent, type JobInfo, type JobProgress } from '../../../shared/api';
import { api } from './api';

export interface TrainPoint {
  globalStep: number;
  epoch: number;
  loss: number;
  lr: number;
  contrastiveAcc: number;
  imagesPerSec: number;
}

export interface TrainHistory {
  steps: TrainPoint[];
  /** [epoch, accuracy] */
  knn: [number, number][];
  /** [epoch, mean loss] */
  epochs: [number, number][];
}

const MAX_LOG_LINES = 2000;
/** progress event types worth a log line (train: start, epoch, knn, checkpoint, end; eval: start, done) */
const MILESTONES = new Set(['start', 'epoch', 'knn', 'checkpoint', 'end', 'done', 'data']);

export function isFinished(job: Pick<JobInfo, 'state'>): boolean {
  return FINISHED_JOB_STATES.includes(job.state);
}

/** Add one training progress event to a history (exported for tests). */
export function addTrainProgress(h: TrainHistory, p: JobProgress): boolean {
  const e = p as Record<string, unknown>;
  if (e.type === 'step' && typeof e.globalStep === 'number') {
    const last = h.steps[h.steps.length - 1];
    if (last && last.globalStep >= e.globalStep) return false;
    h.steps.push({
      globalStep: e.globalStep,
      epoch: Number(e.epoch),
      loss: Number(e.loss),
      lr: Number(e.lr),
      contrastiveAcc: Number(e.contrastiveAcc),
      imagesPerSec: Number(e.imagesPerSec),
    });
    return true;
  }
  if (e.type === 'knn' && typeof e.accuracy === 'number') {
    h.knn = [...h.knn.filter(([ep]) => ep !== e.epoch), [Number(e.epoch), e.accuracy]];
    return true;
  }
  if (e.type === 'epoch' && typeof e.meanLoss === 'number') {
    h.epochs.push([Number(e.epoch), e.meanLoss]);
    return true;
  }
  return false;
}

class JobsState {
  jobs = $state<Record<string, JobInfo>>({});
  version = $state(0);
  connected = $state(false);
  private logs = new Map<string, string[]>();
  private histories = new Map<string, TrainHistory>();
  private stop: (() => void) | null = null;

  start(): void {
    if (this.stop) return;
    this.stop = api.onEvent((e) => this.onEvent(e));
    void this.refresh();
  }

  async refresh(): Promise<void> {
    try {
      const { jobs } = await api.call('jobs.list', {});
      for (const j of jobs) this.put(j);
      this.connected = true;
    } catch {
      this.connected = false;
    }
  }

  /** A copy, so a view holding the previous answer sees the change. */
  log(jobId: string): string[] {
    return [...(this.logs.get(jobId) ?? this.jobs[jobId]?.logTail ?? [])];
  }

  history(jobId: string): TrainHistory {
    let h = this.histories.get(jobId);
    if (!h) {
      h = { steps: [], knn: [], epochs: [] };
      this.histories.set(jobId, h);
    }
    return h;
  }

  /** Start a job and track it from its first event. */
  async startJob(request: Parameters<typeof api.call<'jobs.start'>>[1]): Promise<JobInfo> {
    const job = await api.call('jobs.start', request);
    this.put(job);
    return job;
  }

  async cancel(jobId: string): Promise<void> {
    this.put(await api.call('jobs.cancel', { jobId }));
  }

  /** Jobs of some kinds, newest first. */
  list(kinds?: JobInfo['kind'][]): JobInfo[] {
    return Object.values(this.jobs)
      .filter((j) => !kinds || kinds.includes(j.kind))
      .sort((a, b) => b.createdAt.localeCompare(a.createdAt));
  }

  private put(job: JobInfo) {
    const before = this.jobs[job.id];
    // Progress events can be newer than a record fetched a moment earlier.
    this.jobs[job.id] = { ...job, progress: job.progress ?? before?.progress ?? null };
    if (!this.logs.has(job.id) && job.logTail.length) this.logs.set(job.id, [...job.logTail]);
    this.version++;
  }

  private onEvent(e: ApiEvent) {
    this.connected = true;
    if (e.type === 'job.state') this.put(e.job);
    else if (e.type === 'job.progress') {
      const job = this.jobs[e.jobId];
      if (job) this.jobs[e.jobId] = { ...job, progress: e.progress, runId: job.runId ?? (typeof e.progress.runId === 'string' ? e.progress.runId : null) };
      if (job?.kind === 'train' || job?.kind === 'resume' || !job) addTrainProgress(this.history(e.jobId), e.progress);
      // Milestones (not every step) go to the log too, so it reads as the run's story.
      const type = (e.progress as { type?: unknown }).type;
      if (e.progress.message && typeof type === 'string' && MILESTONES.has(type)) this.appendLog(e.jobId, e.progress.message);
      this.version++;
    } else if (e.type === 'job.log') {
      this.appendLog(e.jobId, e.stream === 'log' ? e.line : `[${e.stream}] ${e.line}`);
    } else if (e.type === 'jobs.queue') {
      // one event per queue change: the positions of every queued job
      for (const job of Object.values(this.jobs)) {
        const at = e.queue.indexOf(job.id);
        if (job.state === 'queued' && job.queuePosition !== (at >= 0 ? at : null)) this.jobs[job.id] = { ...job, queuePosition: at >= 0 ? at : null };
      }
      this.version++;
    }
  }

  private appendLog(jobId: string, line: string) {
    const lines = this.logs.get(jobId) ?? [...(this.jobs[jobId]?.logTail ?? [])];
    lines.push(line);
    if (lines.length > MAX_LOG_LINES) lines.splice(0, lines.length - MAX_LOG_LINES);
    this.logs.set(jobId, lines);
    this.version++;
  }
}

export const jobs = new JobsState();
