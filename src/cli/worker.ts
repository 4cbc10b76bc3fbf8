/**
 * Entry of the engine worker child process (`serve` and the tests fork it).
 * Bundled as its own entry point, out/cli/worker.js, beside out/cli/cli.js, so
 * that where a bundler puts shared code can never change what gets forked.
 * The Electron app's utility-process entry is src/main/worker.ts.
 */
import { nodeParentChannel, runWorker, workerEnvFromProcess } from '../engine/jobs/runner.js';
import { createHandlers } from '../service/handlers.js';

if (!process.send) {
  console.error('worker.js is the engine worker that `simclr-workbench serve` forks over an IPC channel; it is not run by hand');
  process.exit(2);
}
// Serves the job protocol until the host sends shutdown (runWorker exits the process).
runWorker(nodeParentChannel(), createHandlers(), workerEnvFromProcess());
