import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { RunStatus } from '../../shared/run.js';
import { lockHolder, processAlive, RUN_LOCK } from './lock.js';

export { processAlive };

/** How long a run on another host may go without writing metrics before we call it interrupted. */
const REMOTE_STALE_MS = 30 * 60 * 1000;

/**
 * The status a person should see. run.json says 'running' until the trainer
 * rewrites it; a trainer killed with SIGKILL never does, and an imported or
 * copied run.json may claim it for a pid that is something else entirely. So
 * a run is running only while its lock (<run>/.lock) is held by a live
 * trainer; a run from another host (shared disk) falls back to the age of
 * its metrics.
 */
export function honestStatus(record: { status: RunStatus; pid: number; host: string }, metricsFile: string): RunStatus {
  if (record.status !== 'running') return record.status;
  const dir = path.dirname(metricsFile);
  if (record.host === os.hostname()) {
    const holder = lockHolder(dir, RUN_LOCK);
    return holder && holder.pid === record.pid ? 'running' : 'interrupted';
  }
  if (!fs.existsSync(path.join(dir, RUN_LOCK))) return 'interrupted';
  try {
    return Date.now() - fs.statSync(metricsFile).mtimeMs > REMOTE_STALE_MS ? 'interrupted' : 'running';
  } catch {
    return 'interrupted';
  }
}
