import fs from 'node:fs';
import os from 'node:os';
import type { RunStatus } from '../../shared/run.js';

/** Is a process with this pid alive on this machine? */
export function processAlive(pid: number): boolean {
  if (!Number.isInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    // EPERM: it exists but belongs to someone else.
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** How long a run on another host may go without writing metrics before we call it interrupted. */
const REMOTE_STALE_MS = 30 * 60 * 1000;

/**
 * The status a person should see. run.json says 'running' until the trainer
 * rewrites it; a trainer killed with SIGKILL never does, so check the process.
 */
export function honestStatus(record: { status: RunStatus; pid: number; host: string }, metricsFile: string): RunStatus {
  if (record.status !== 'running') return record.status;
  if (record.host === os.hostname()) return processAlive(record.pid) ? 'running' : 'interrupted';
  try {
    return Date.now() - fs.statSync(metricsFile).mtimeMs > REMOTE_STALE_MS ? 'interrupted' : 'running';
  } catch {
    return 'interrupted';
  }
}
