import { createHandlers } from '../../engine/jobs/handlers.js';
import { nodeParentChannel, runWorker, workerEnvFromProcess } from '../../engine/jobs/runner.js';
import { UsageError, type Command } from '../cli-args.js';

/**
 * Hidden: the engine worker the server forks (child_process.fork of this CLI).
 * It serves the job protocol over the IPC channel until told to shut down.
 */
export const workerCommand: Command = {
  async run() {
    if (!process.send) throw new UsageError('worker: this is started by `simclr-workbench serve` over an IPC channel, not by hand');
    runWorker(nodeParentChannel(), createHandlers(), workerEnvFromProcess());
    // Stay alive until the host sends shutdown (runWorker exits the process).
    await new Promise<never>(() => {});
  },
};
