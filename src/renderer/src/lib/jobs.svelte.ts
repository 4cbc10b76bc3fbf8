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
import { connection } from './connection.svelte';
import { jobPhase, type JobPhase } from './job-phase';

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
export function addTrainProgress(h: TrainHistory, e: JobProgress): boolean {
  if (e.kind !== 'train') return false;
  if (e.type === 'step') {
    const last = h.steps[h.steps.length - 1];
    if (last && last.globalStep >= e.globalStep) return false;
    h.steps.push({ globalStep: e.globalStep, epoch: e.epoch, loss: e.loss, lr: e.lr, contrastiveAcc: e.contrastiveAcc, imagesPerSec: e.imagesPerSec });
    return true;
  }
  if (e.type === 'knn') {
    h.knn = [...h.knn.filter(([ep]) => ep !== e.epoch), [e.epoch, e.accuracy]];
    return true;
  }
  if (e.type === 'epoch') {
    h.epochs.push([e.epoch, e.meanLoss]);
    return true;
  }
  return false;
}

/**
 * Fill a history from a run's metric series (runs.show), keeping the live
 * points already there: one point per step, in step order. A run resumed
 * after a crash repeats steps; the later attempt's value wins.
 */
export function seedHistory(h: TrainHistory, series: { metric: string; points: [number, number][] }[]): void {
  const by = (m: string) => series.find((s) => s.metric === m)?.points ?? [];
  const lr = new Map(by('lr'));
  const acc = new Map(by('contrastiveAcc'));
  const ips = new Map(by('imagesPerSec'));
  const epochOf = new Map(by('epoch'));
  const steps = new Map<number, TrainPoint>();
  for (const [x, y] of by('loss')) {
    steps.set(x, { globalStep: x, epoch: epochOf.get(x) ?? 0, loss: y, lr: lr.get(x) ?? NaN, contrastiveAcc: acc.get(x) ?? NaN, imagesPerSec: ips.get(x) ?? NaN });
  }
  for (const p of h.steps) if (!steps.has(p.globalStep)) steps.set(p.globalStep, p);
  h.steps = [...steps.values()].sort((a, b) => a.globalStep - b.globalStep);
  const knn = new Map<number, number>(by('knnAccuracy'));
  for (const [e, a] of h.knn) if (!knn.has(e)) knn.set(e, a);
  h.knn = [...knn.entries()].sort((a, b) => a[0] - b[0]);
  const epochs = new Map<number, number>(by('meanLoss'));
  for (const [e, l] of h.epochs) if (!epochs.has(e)) epochs.set(e, l);
  h.epochs = [...epochs.entries()].sort((a, b) => a[0] - b[0]);
}

class JobsState {
  jobs = $state<Record<string, JobInfo>>({});
  version = $state(0);
  connected = $state(false);
  private logs = new Map<string, string[]>();
  private histories = new Map<string, TrainHistory>();
  private stop: (() => void) | null = null;

  /** jobs the page asked to cancel that have not ended yet */
  cancelling = $state<Record<string, true>>({});
  /** unfinished jobs the server no longer lists (it restarted meanwhile) */
  lost = $state<Record<string, true>>({});

  start(): void {
    if (this.stop) return;
    const stopEvents = api.onEvent((e) => this.onEvent(e));
    // Back from a dropped connection: catch up on every job, and note the ones the server forgot.
    const stopWatch = connection.onChange((from, to) => {
      if (to === 'connected' && from !== 'connecting') void this.refresh();
    });
    this.stop = () => {
      stopEvents();
      stopWatch();
    };
    void this.refresh();
  }

  async refresh(): Promise<void> {
    try {
      const { jobs } = await api.call('jobs.list', {});
      const known = new Set(jobs.map((j) => j.id));
      for (const j of jobs) this.put(j);
      for (const j of Object.values(this.jobs)) if (!known.has(j.id) && !isFinished(j)) this.lost[j.id] = true;
      this.connected = true;
      this.version++;
    } catch {
      this.connected = false;
    }
  }

  /** How a job is shown (see ./job-phase). */
  phase(job: JobInfo): JobPhase {
    return jobPhase(job, { cancelRequested: !!this.cancelling[job.id], lost: !!this.lost[job.id] });
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
    this.cancelling[jobId] = true;
    try {
      this.put(await api.call('jobs.cancel', { jobId }));
    } catch (err) {
      delete this.cancelling[jobId];
      throw err;
    }
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
    if (isFinished(job)) delete this.cancelling[job.id];
    if (!this.logs.has(job.id) && job.logTail.length) this.logs.set(job.id, [...job.logTail]);
    this.version++;
  }

  private onEvent(e: ApiEvent) {
    this.connected = true;
    if (e.type === 'job.state') this.put(e.job);
    else if (e.type === 'job.progress') {
      const job = this.jobs[e.jobId];
      if (job) this.jobs[e.jobId] = { ...job, progress: e.progress, runId: job.runId ?? ('runId' in e.progress ? e.progress.runId : null) };
      if (job?.kind === 'train' || job?.kind === 'resume' || !job) addTrainProgress(this.history(e.jobId), e.progress);
      // Milestones (not every step) go to the log too, so it reads as the run's story.
      if (e.progress.message && 'type' in e.progress && MILESTONES.has(e.progress.type)) this.appendLog(e.jobId, e.progress.message);
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
