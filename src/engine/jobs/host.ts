import type { ApiError, ApiEvent, JobInfo, JobKind, JobProgress, JobState } from '../../shared/api.js';
import { ApiCallError } from './errors.js';
import { LogTail } from './log-tail.js';
import { SHUTDOWN_WAIT_MS } from './runner.js';
import { FromWorkerSchema, jobMethod, type ToWorker } from './protocol.js';
import { NotFoundError } from '../errors.js';

/** A started worker process, whatever started it (Electron utilityProcess, child_process.fork). */
export interface WorkerProcess {
  readonly pid: number | null;
  /** how it was started (program and arguments), for crash reports */
  readonly commandLine: string;
  send(message: ToWorker): void;
  /** SIGTERM by default; SIGKILL when a cancelled job ignores the cancel */
  kill(signal?: 'SIGTERM' | 'SIGKILL'): void;
}

/** Callbacks a launcher wires to the process. `exit` comes after the output has been delivered. */
export interface WorkerEvents {
  message(message: unknown): void;
  output(stream: 'stdout' | 'stderr', chunk: string): void;
  exit(code: number | null, signal: string | null): void;
}

export type WorkerRole = 'interactive' | 'job';
export type Launcher = (role: WorkerRole, env: Record<string, string>, events: WorkerEvents) => WorkerProcess;

interface PendingCall {
  resolve(value: unknown): void;
  reject(error: ApiCallError): void;
  onProgress?(progress: JobProgress): void;
  onLog?(line: string): void;
}

let counter = 0;
function nextId(prefix: string): string {
  counter += 1;
  return `${prefix}${Date.now().toString(36)}${counter.toString(36)}`;
}

function describeExit(code: number | null, signal: string | null): string {
  return signal ? `was killed by ${signal}` : `exited with code ${code}`;
}

/**
 * One worker process and the calls in flight on it. Calls sent before the
 * worker said `ready` wait for it; if the process ends, every pending call is
 * rejected with the process's last log lines.
 */
class WorkerConnection {
  readonly tail = new LogTail(200);
  private readonly pending = new Map<string, PendingCall>();
  private readonly queued: ToWorker[] = [];
  private proc: WorkerProcess;
  private isReady = false;
  exited: { code: number | null; signal: string | null } | null = null;
  private exitListeners: ((code: number | null, signal: string | null) => void)[] = [];
  /** called once, when the worker says it is ready */
  onReady: (() => void) | null = null;
  private outputListeners: ((stream: 'stdout' | 'stderr', line: string) => void)[] = [];

  constructor(
    launcher: Launcher,
    readonly role: WorkerRole,
    env: Record<string, string>,
  ) {
    this.proc = launcher(role, env, {
      message: (m) => this.onMessage(m),
      output: (stream, chunk) => {
        for (const line of this.tail.write(stream, chunk)) for (const l of this.outputListeners) l(stream, line);
      },
      exit: (code, signal) => this.onExit(code, signal),
    });
  }

  get pid(): number | null {
    return this.proc.pid;
  }

  /** "the engine worker (pid N) exited with code C (started as: ...)" */
  describeExit(code: number | null, signal: string | null): string {
    return `the engine ${this.role === 'job' ? 'job process' : 'worker'} (pid ${this.pid ?? '?'}) ${describeExit(code, signal)} (started as: ${this.proc.commandLine})`;
  }

  onOutput(listener: (stream: 'stdout' | 'stderr', line: string) => void): void {
    this.outputListeners.push(listener);
  }

  onExitOnce(listener: (code: number | null, signal: string | null) => void): void {
    this.exitListeners.push(listener);
  }

  call(method: string, payload: unknown, hooks: Pick<PendingCall, 'onProgress' | 'onLog'> = {}): { id: string; result: Promise<unknown> } {
    const id = nextId('c');
    const result = new Promise<unknown>((resolve, reject) => {
      if (this.exited) {
        reject(new ApiCallError('worker_crashed', this.describeExit(this.exited.code, this.exited.signal), { logTail: this.tail.tail(20) }));
        return;
      }
      this.pending.set(id, { resolve, reject, ...hooks });
      this.send({ type: 'call', id, method, payload });
    });
    return { id, result };
  }

  cancel(id: string): void {
    if (this.pending.has(id)) this.send({ type: 'cancel', id });
  }

  /** Ask the worker to exit; kill it if it has not after `graceMs`. */
  shutdown(graceMs = 5000): void {
    if (this.exited) return;
    this.send({ type: 'shutdown' });
    const timer = setTimeout(() => this.kill('SIGKILL'), graceMs);
    timer.unref?.();
    this.onExitOnce(() => clearTimeout(timer));
  }

  kill(signal: 'SIGTERM' | 'SIGKILL' = 'SIGTERM'): void {
    if (!this.exited) this.proc.kill(signal);
  }

  private send(message: ToWorker): void {
    if (this.exited) return;
    if (!this.isReady) this.queued.push(message);
    else this.proc.send(message);
  }

  private onMessage(raw: unknown): void {
    const parsed = FromWorkerSchema.safeParse(raw);
    if (!parsed.success) {
      this.tail.push(`host: ignored a malformed message from the worker`);
      return;
    }
    const m = parsed.data;
    if (m.type === 'ready') {
      this.isReady = true;
      for (const q of this.queued.splice(0)) this.proc.send(q);
      this.onReady?.();
      return;
    }
    if (m.type === 'log') {
      this.tail.push(m.line);
      if (m.id) this.pending.get(m.id)?.onLog?.(m.line);
      return;
    }
    const call = this.pending.get(m.id);
    if (!call) return;
    if (m.type === 'progress') call.onProgress?.(m.progress);
    else if (m.type === 'result') {
      this.pending.delete(m.id);
      call.resolve(m.value);
    } else {
      this.pending.delete(m.id);
      call.reject(new ApiCallError(m.error.code, m.error.message, m.error));
    }
  }

  private onExit(code: number | null, signal: string | null): void {
    if (this.exited) return;
    for (const { line } of this.tail.flush()) for (const l of this.outputListeners) l('stderr', line);
    this.exited = { code, signal };
    const logTail = this.tail.tail(20);
    const why = this.describeExit(code, signal);
    for (const [id, call] of this.pending) {
      this.pending.delete(id);
      call.reject(new ApiCallError(this.role === 'job' ? 'job_crashed' : 'worker_crashed', `${why}${logTail.length ? `; last log lines:\n${logTail.join('\n')}` : '; it printed nothing'}`, { logTail }));
    }
    for (const l of this.exitListeners.splice(0)) l(code, signal);
  }
}

interface JobRecord {
  info: JobInfo;
  config: unknown;
  tail: LogTail;
  conn: WorkerConnection | null;
  callId: string | null;
  cancelRequested: boolean;
}

export interface JobHostOptions {
  launcher: Launcher;
  /** environment for new workers (SIMCLR_DATA_ROOT, SIMCLR_BACKEND...), read at each start */
  env: () => Record<string, string>;
  /** compute-heavy jobs at once (default 1) */
  concurrency?: () => number;
  /** how long a cancelled job may take to stop before it is killed */
  cancelGraceMs?: number;
  /** finished jobs kept for jobs.list */
  keepFinished?: number;
}

const LOG_LINES_IN_INFO = 50;

/**
 * Runs engine work in worker processes: one long-lived interactive worker
 * (dataset pages, previews, run lists), restarted on the next call after a
 * crash, and one process per long job (train, eval, embed) taken from a
 * queue. A job crash or cancel only ends that job's process.
 */
export class JobHost {
  private interactive: WorkerConnection | null = null;
  private readonly jobs = new Map<string, JobRecord>();
  private readonly queue: string[] = [];
  private readonly listeners = new Set<(event: ApiEvent) => void>();
  private closed = false;

  constructor(private readonly opts: JobHostOptions) {}

  subscribe(listener: (event: ApiEvent) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  private emit(event: ApiEvent): void {
    for (const l of this.listeners) {
      try {
        l(event);
      } catch {
        // a broken listener (closed socket, destroyed window) must not stop the others
      }
    }
  }

  // ------------------------------------------------------------ interactive worker

  private interactiveWorker(): WorkerConnection {
    if (this.closed) throw new ApiCallError('internal', 'the job host is shut down');
    if (this.interactive && !this.interactive.exited) return this.interactive;
    const conn = new WorkerConnection(this.opts.launcher, 'interactive', this.opts.env());
    if (this.interactiveCrashed) {
      conn.onReady = () => {
        this.interactiveCrashed = false;
        this.emit({ type: 'worker.state', state: 'ready', message: `the engine worker is back (pid ${conn.pid ?? '?'})` });
      };
    }
    conn.onExitOnce((code, signal) => {
      if (this.interactive === conn) this.interactive = null;
      if (this.closed || this.expectedExit.has(conn)) return;
      this.interactiveCrashed = true;
      const logTail = conn.tail.tail(20);
      this.emit({ type: 'worker.state', state: 'crashed', message: `${conn.describeExit(code, signal)}; it restarts on the next request`, logTail });
    });
    this.interactive = conn;
    return conn;
  }

  private readonly expectedExit = new WeakSet<WorkerConnection>();
  private interactiveCrashed = false;

  /** Run a worker method on the interactive worker. */
  async callInteractive(method: string, payload: unknown): Promise<unknown> {
    return this.interactiveWorker().call(method, payload).result;
  }

  /** pid of the interactive worker, null until the first call */
  interactivePid(): number | null {
    return this.interactive && !this.interactive.exited ? this.interactive.pid : null;
  }

  /** Stop the interactive worker (e.g. after the data root or backend changed); the next call starts a fresh one. */
  restartInteractive(): void {
    const conn = this.interactive;
    if (!conn) return;
    this.interactive = null;
    this.expectedExit.add(conn);
    conn.shutdown();
  }

  // ------------------------------------------------------------ jobs

  start(kind: JobKind, config: unknown, label?: string): JobInfo {
    if (this.closed) throw new ApiCallError('internal', 'the job host is shut down');
    const id = nextId('job-');
    const info: JobInfo = {
      id,
      kind,
      label: label ?? kind,
      state: 'queued',
      createdAt: new Date().toISOString(),
      startedAt: null,
      endedAt: null,
      queuePosition: null,
      pid: null,
      progress: null,
      result: null,
      error: null,
      // Jobs on an existing run (eval, embed, resume) name it from the start, so a failure
      // before the first progress event is still shown with its run.
      runId: config && typeof config === 'object' && typeof (config as { runId?: unknown }).runId === 'string' ? (config as { runId: string }).runId : null,
      logTail: [],
    };
    this.jobs.set(id, { info, config, tail: new LogTail(500), conn: null, callId: null, cancelRequested: false });
    this.queue.push(id);
    this.pump();
    if (this.jobs.get(id)!.info.state === 'queued') this.emit({ type: 'job.state', job: this.status(id) });
    this.prune();
    return this.status(id);
  }

  status(jobId: string): JobInfo {
    const job = this.jobs.get(jobId);
    if (!job) throw new NotFoundError('job', jobId, `no job "${jobId}" (jobs are kept until the app or server restarts)`);
    const queuePosition = this.queue.indexOf(jobId);
    if (job.conn?.pid != null) job.info.pid = job.conn.pid;
    return { ...job.info, queuePosition: queuePosition >= 0 ? queuePosition : null, logTail: job.tail.tail(LOG_LINES_IN_INFO) };
  }

  list(): JobInfo[] {
    return [...this.jobs.keys()].map((id) => this.status(id));
  }

  cancel(jobId: string): JobInfo {
    const job = this.jobs.get(jobId);
    if (!job) return this.status(jobId);
    if (job.info.state === 'queued') {
      this.queue.splice(this.queue.indexOf(jobId), 1);
      this.finish(job, 'cancelled', { code: 'cancelled', message: 'cancelled before it started' });
      this.emitQueue();
    } else if (job.info.state === 'running') {
      if (!job.cancelRequested && job.conn && job.callId) {
        job.cancelRequested = true;
        job.tail.push('host: cancel requested');
        job.conn.cancel(job.callId);
        const conn = job.conn;
        const timer = setTimeout(() => {
          job.tail.push(`host: the job did not stop within ${this.opts.cancelGraceMs ?? 10_000} ms; killing it`);
          conn.kill('SIGKILL');
        }, this.opts.cancelGraceMs ?? 10_000);
        timer.unref?.();
        conn.onExitOnce(() => clearTimeout(timer));
      }
    } else {
      throw new ApiCallError('conflict', `job "${jobId}" already ended (${job.info.state})`);
    }
    return this.status(jobId);
  }

  private running(): number {
    let n = 0;
    // a job whose process is still exiting counts until it is gone
    for (const j of this.jobs.values()) if (j.info.state === 'running' || j.conn !== null) n++;
    return n;
  }

  private pump(): void {
    const limit = Math.max(1, this.opts.concurrency?.() ?? 1);
    while (!this.closed && this.queue.length > 0 && this.running() < limit) {
      const id = this.queue.shift()!;
      this.launch(this.jobs.get(id)!);
    }
    this.emitQueue();
  }

  private lastQueue = '';

  /**
   * The queue changed: one event with its order, not one per queued job
   * (cancelling 299 queued jobs one by one re-sent the whole queue each time: 44,875 events).
   */
  private emitQueue(): void {
    const key = this.queue.join(',');
    if (key === this.lastQueue) return;
    this.lastQueue = key;
    this.emit({ type: 'jobs.queue', queue: [...this.queue] });
  }

  private launch(job: JobRecord): void {
    const { info } = job;
    const conn = new WorkerConnection(this.opts.launcher, 'job', { ...this.opts.env(), SIMCLR_JOB_ID: info.id });
    job.conn = conn;
    info.state = 'running';
    info.startedAt = new Date().toISOString();
    info.pid = conn.pid;
    conn.onOutput((stream, line) => {
      job.tail.push(line);
      this.emit({ type: 'job.log', jobId: info.id, stream, line });
    });
    const { id, result } = conn.call(jobMethod(info.kind), job.config, {
      onProgress: (progress) => {
        info.progress = progress;
        if ('runId' in progress && !info.runId) info.runId = progress.runId;
        this.emit({ type: 'job.progress', jobId: info.id, progress });
      },
      onLog: (line) => {
        job.tail.push(line);
        this.emit({ type: 'job.log', jobId: info.id, stream: 'log', line });
      },
    });
    job.callId = id;
    this.emit({ type: 'job.state', job: this.status(info.id) });
    result.then(
      (value) => {
        const runId = value && typeof value === 'object' && typeof (value as { runId?: unknown }).runId === 'string' ? (value as { runId: string }).runId : null;
        if (runId) info.runId = runId;
        info.result = value ?? null;
        this.finish(job, 'succeeded', null);
        conn.shutdown();
      },
      (err: ApiCallError) => {
        if (err.code === 'job_crashed') {
          if (job.cancelRequested) this.finish(job, 'cancelled', { code: 'cancelled', message: 'cancelled (the process was stopped)' });
          else this.finish(job, 'crashed', { code: 'job_crashed', message: err.message, logTail: job.tail.tail(20) });
        } else {
          this.finish(job, err.code === 'cancelled' ? 'cancelled' : 'failed', err.toJSON());
          conn.shutdown();
        }
      },
    );
    conn.onExitOnce(() => {
      job.conn = null;
      this.pump();
    });
  }

  private finish(job: JobRecord, state: JobState, error: ApiError | null): void {
    job.info.state = state;
    job.info.error = error;
    job.info.endedAt = new Date().toISOString();
    this.emit({ type: 'job.state', job: this.status(job.info.id) });
  }

  private prune(): void {
    const keep = this.opts.keepFinished ?? 200;
    const finished = [...this.jobs.values()].filter((j) => j.info.endedAt !== null);
    for (const j of finished.slice(0, Math.max(0, finished.length - keep))) this.jobs.delete(j.info.id);
  }

  /** Stop everything: running jobs are cancelled, then killed; the interactive worker exits. */
  async close(graceMs = SHUTDOWN_WAIT_MS + 2000): Promise<void> {
    if (this.closed) return;
    for (const id of [...this.queue]) this.cancel(id);
    const exits: Promise<void>[] = [];
    const conns = [...this.jobs.values()].map((j) => j.conn).filter((c): c is WorkerConnection => c !== null);
    for (const j of this.jobs.values()) if (j.info.state === 'running') this.cancel(j.info.id);
    this.closed = true;
    if (this.interactive) conns.push(this.interactive);
    for (const c of conns) {
      if (c.exited) continue;
      this.expectedExit.add(c);
      exits.push(new Promise((resolve) => c.onExitOnce(() => resolve())));
      c.shutdown(graceMs);
    }
    await Promise.all(exits);
  }
}
