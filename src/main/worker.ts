/**
 * Entry of the engine utility process (built to out/main/worker.js and started
 * by utilityLauncher). No Electron import: the channel is process.parentPort.
 */
import { createHandlers } from '../service/handlers.js';
import { runWorker, workerEnvFromProcess, type ParentChannel } from '../engine/jobs/runner.js';

interface ParentPortLike {
  postMessage(message: unknown): void;
  on(event: 'message', listener: (e: { data: unknown }) => void): void;
}

const port = (process as unknown as { parentPort?: ParentPortLike }).parentPort;
if (!port) {
  console.error('worker.js runs inside an Electron utility process (utilityProcess.fork); use `simclr-workbench worker` elsewhere');
  process.exit(2);
}

const channel: ParentChannel = {
  post: (m) => port.postMessage(m),
  onMessage: (l) => port.on('message', (e) => l(e.data)),
  exit: (code) => process.exit(code),
};
runWorker(channel, createHandlers(), workerEnvFromProcess());
