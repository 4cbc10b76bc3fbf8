import type { z } from 'zod';
import type { SelftestConfigSchema } from '../shared/api.js';
import { abortError } from '../engine/abort.js';
import { ApiCallError } from '../engine/jobs/errors.js';
import type { HandlerContext } from '../engine/jobs/runner.js';

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal.aborted) return reject(abortError());
    const t = setTimeout(done, ms);
    function done() {
      signal.removeEventListener('abort', onAbort);
      resolve();
    }
    function onAbort() {
      clearTimeout(t);
      reject(abortError());
    }
    signal.addEventListener('abort', onAbort, { once: true });
  });
}

/**
 * A job that does no compute: it reports progress and log lines step by step
 * and honours cancel, so the job machinery (queue, events, cancel, crash
 * reports) can be checked on any machine in well under a second.
 */
export async function selftestJob(config: z.output<typeof SelftestConfigSchema>, ctx: HandlerContext): Promise<{ steps: number }> {
  const { steps, stepMs } = config;
  if ((config.crashAtStep !== undefined || config.failAtStep !== undefined) && !ctx.env.testHooks) {
    throw new ApiCallError('forbidden', 'selftest: crashAtStep and failAtStep are test hooks; start the host with SIMCLR_WORKBENCH_TEST_HOOKS=1');
  }
  ctx.log(`selftest: ${steps} steps of ${stepMs} ms (pid ${process.pid})`);
  for (let step = 1; step <= steps; step++) {
    await sleep(stepMs, ctx.signal);
    ctx.log(`selftest: step ${step}/${steps}`);
    if (step === config.failAtStep) throw new Error(`selftest: failing on purpose at step ${step}`);
    if (step === config.crashAtStep) {
      process.stderr.write(`selftest: crashing on purpose at step ${step}\n`);
      // Let the log line above leave through the IPC channel, then die the way an
      // out-of-memory kill or a native abort would: no result, no cleanup.
      await new Promise((r) => setTimeout(r, 100));
      process.kill(process.pid, 'SIGKILL');
      await new Promise(() => {});
    }
    ctx.onProgress({ kind: 'selftest', fraction: step / steps, step, totalSteps: steps, message: `step ${step}/${steps}` });
  }
  return { steps };
}
