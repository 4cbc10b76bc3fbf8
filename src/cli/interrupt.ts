import { isAbortError } from '../engine/abort.js';

/** Exit code of a command stopped by Ctrl+C (128 + SIGINT), as shells use. */
const INTERRUPTED = 130;

/**
 * Run a long command so that the first Ctrl+C (or SIGTERM) asks it to stop
 * cleanly (the engine finishes its current step, writes what it must, and
 * rejects with an AbortError: exit 130), and a second one quits at once.
 */
export async function interruptible(what: string, body: (signal: AbortSignal) => Promise<number | void>): Promise<number> {
  const controller = new AbortController();
  const onSignal = (sig: NodeJS.Signals) => {
    if (controller.signal.aborted) process.exit(INTERRUPTED);
    process.stderr.write(`\n${sig}: stopping ${what} after the current step (again to quit at once)\n`);
    controller.abort();
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  try {
    return (await body(controller.signal)) ?? 0;
  } catch (err) {
    if (isAbortError(err)) {
      process.stderr.write(`${what}: cancelled\n`);
      return INTERRUPTED;
    }
    throw err;
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
}
