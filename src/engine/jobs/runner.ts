import type { z } from 'zod';
import { zodIssues, type JobProgress } from '../../shared/api.js';
import { ApiCallError, toApiError } from './errors.js';
import { FromWorkerSchema, ToWorkerSchema, type FromWorker } from './protocol.js';

/** What a handler gets besides its payload. */
export interface HandlerContext {
  /** aborted when the host cancels this call */
  signal: AbortSignal;
  onProgress(progress: JobProgress): void;
  /** one line for the job's log (shown live and in crash reports) */
  log(line: string): void;
  /** settings the host passed through the environment */
  env: WorkerEnv;
}

export interface WorkerEnv {
  dataRoot: string;
  /** SIMCLR_BACKEND as the host set it (undefined: auto) */
  backend: string | undefined;
  /** SIMCLR_WORKBENCH_TEST_HOOKS=1: allow the selftest job's crash switch */
  testHooks: boolean;
}

/** One worker method: the schema of its payload and the engine call behind it. */
export interface Handler<S extends z.ZodType = z.ZodType> {
  request: S;
  run(payload: z.output<S>, ctx: HandlerContext): Promise<unknown>;
}

export type HandlerTable = Record<string, Handler>;

export function handler<S extends z.ZodType>(request: S, run: (payload: z.output<S>, ctx: HandlerContext) => Promise<unknown>): Handler {
  return { request, run } as Handler;
}

/** The worker's end of the channel: Node's process.send or Electron's parentPort. */
export interface ParentChannel {
  post(message: FromWorker): void;
  onMessage(listener: (message: unknown) => void): void;
  /** the host went away (Node IPC only) */
  onDisconnect?(listener: () => void): void;
  exit(code: number): void;
}

/** How long a worker told to shut down waits for its cancelled calls to wind up. */
export const SHUTDOWN_WAIT_MS = 8000;

/**
 * Serve the job protocol on `channel` until the host sends shutdown: each
 * call runs its handler with its own AbortController; cancel aborts it.
 * Calls run concurrently (a dataset page can be answered while a preview is
 * computing between awaits); compute-heavy jobs get a process each from the host.
 */
export function runWorker(channel: ParentChannel, handlers: HandlerTable, env: WorkerEnv, opts: { shutdownWaitMs?: number } = {}): void {
  const running = new Map<string, AbortController>();
  const settling = new Set<Promise<void>>();
  const post = (msg: FromWorker) => {
    // Validate what leaves too: a handler returning undefined fields is fine (JSON drops them),
    // but a malformed protocol message would be a bug on this side.
    const checked = FromWorkerSchema.safeParse(msg);
    channel.post(checked.success ? msg : { type: 'log', id: null, line: `worker: dropped an invalid outgoing message: ${checked.error.message}` });
  };

  async function call(id: string, method: string, payload: unknown): Promise<void> {
    const h = handlers[method];
    if (!h) {
      post({ type: 'error', id, error: { code: 'not_found', message: `worker: no method "${method}"` } });
      return;
    }
    const controller = new AbortController();
    running.set(id, controller);
    try {
      const parsed = h.request.safeParse(payload);
      if (!parsed.success) throw new ApiCallError('bad_request', `${method}: invalid payload`, { issues: zodIssues(parsed.error) });
      const value = await h.run(parsed.data, {
        signal: controller.signal,
        onProgress: (progress) => post({ type: 'progress', id, progress }),
        log: (line) => post({ type: 'log', id, line }),
        env,
      });
      post({ type: 'result', id, value: value ?? null });
    } catch (err) {
      const error = controller.signal.aborted && !(err instanceof ApiCallError) ? { code: 'cancelled' as const, message: `${method}: cancelled` } : toApiError(err);
      post({ type: 'error', id, error });
    } finally {
      running.delete(id);
    }
  }

  channel.onMessage((raw) => {
    const msg = ToWorkerSchema.safeParse(raw);
    if (!msg.success) {
      post({ type: 'log', id: null, line: `worker: ignored a malformed message (${zodIssues(msg.error).map((i) => `${i.path}: ${i.message}`).join('; ')})` });
      return;
    }
    const m = msg.data;
    if (m.type === 'call') {
      const p = call(m.id, m.method, m.payload);
      settling.add(p);
      void p.finally(() => settling.delete(p));
    }
    else if (m.type === 'cancel') running.get(m.id)?.abort();
    else if (m.type === 'shutdown') {
      // Let cancelled calls finish their bookkeeping (a trainer writes status "cancelled" to run.json),
      // bounded so a stuck handler cannot hold the shutdown (the host kills after its own grace).
      for (const c of running.values()) c.abort();
      const waited = new Promise((resolve) => setTimeout(resolve, opts.shutdownWaitMs ?? SHUTDOWN_WAIT_MS));
      void Promise.race([Promise.allSettled([...settling]), waited]).then(() => channel.exit(0));
    }
  });
  channel.onDisconnect?.(() => channel.exit(0));
  post({ type: 'ready', pid: process.pid });
}

export function workerEnvFromProcess(): WorkerEnv {
  return {
    dataRoot: process.env.SIMCLR_DATA_ROOT || '',
    backend: process.env.SIMCLR_BACKEND || undefined,
    testHooks: process.env.SIMCLR_WORKBENCH_TEST_HOOKS === '1',
  };
}

/** The worker's channel in a Node child process started with child_process.fork. */
export function nodeParentChannel(): ParentChannel {
  if (!process.send) throw new Error('not started with an IPC channel (this process is started by the app or `serve`, not by hand)');
  return {
    post: (m) => void process.send!(m),
    onMessage: (l) => void process.on('message', l),
    onDisconnect: (l) => void process.on('disconnect', l),
    exit: (code) => process.exit(code),
  };
}
