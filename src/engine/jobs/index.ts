/**
 * The job protocol and its hosts: how engine work runs outside the UI process.
 *
 *   runWorker(channel, createHandlers(), env)   the worker side: serves calls, progress, log, cancel
 *   new JobHost({ launcher, env })              the host side: one interactive worker + a queue of
 *                                               job processes (one per train/eval/embed job)
 *   nodeLauncher({ modulePath, args })          workers as child_process.fork (server, CLI, tests);
 *                                               the app passes a utilityProcess launcher (src/main)
 *
 * Both transports (Electron IPC in src/main, HTTP + WebSocket in src/server/serve.ts)
 * call ApiService.call(method, payload) (src/service) and forward its events.
 * Messages are plain JSON (see ./protocol.ts), so the same worker code runs in an
 * Electron utility process and a Node child process.
 */
export { ApiCallError, toApiError } from './errors.js';
export { JobHost, type JobHostOptions, type Launcher, type WorkerEvents, type WorkerProcess, type WorkerRole } from './host.js';
export { nodeLauncher, type NodeWorkerEntry } from './node-launcher.js';
export { FromWorkerSchema, ToWorkerSchema, jobMethod, type FromWorker, type ToWorker } from './protocol.js';
export { nodeParentChannel, runWorker, workerEnvFromProcess, type HandlerContext, type ParentChannel, type WorkerEnv } from './runner.js';
