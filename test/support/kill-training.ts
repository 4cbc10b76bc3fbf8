/**
 * Run the shipped CLI's `train ... --json` (progress read from stderr) and optionally SIGKILL it as soon as
 * it reports a given step (no handler runs, nothing is cleaned up), or let a
 * fault hook in the environment kill it from inside (SIMCLR_FAULT_KILL, see
 * src/engine/fs/atomic.ts). Shared by test/train/resume.test.ts and test/fault.
 */
import { spawn } from 'node:child_process';
import path from 'node:path';

export const CLI = path.resolve('bin/simclr-workbench.js');

export type TrainEventLine = { type: string; runDir?: string; resumedFrom?: string | null; epoch?: number; step?: number; globalStep?: number; loss?: number; status?: string };

export interface TrainingRun {
  events: TrainEventLine[];
  /** from the start event ('' when killed before it) */
  runDir: string;
  code: number | null;
  signal: NodeJS.Signals | null;
  stderr: string;
  /** globalStep of the step event the run was killed at (killAt only) */
  killedAt: number | null;
}

export function runTraining(args: string[], env: NodeJS.ProcessEnv, killAt?: { epoch: number; step: number }): Promise<TrainingRun> {
  const child = spawn(process.execPath, [CLI, ...args], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  const events: TrainEventLine[] = [];
  let runDir = '';
  let killedAt: number | null = null;
  let buffered = '';
  let stderr = '';
  // --json: progress as JSON lines on stderr (the result is one JSON document on stdout)
  child.stdout.resume();
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
    stderr += chunk;
    buffered += chunk;
    let nl;
    while ((nl = buffered.indexOf('\n')) >= 0) {
      const line = buffered.slice(0, nl);
      buffered = buffered.slice(nl + 1);
      if (!line.startsWith('{')) continue;
      const e = JSON.parse(line) as TrainEventLine;
      events.push(e);
      if (e.type === 'start') runDir = e.runDir!;
      if (killAt && killedAt === null && e.type === 'step' && e.epoch === killAt.epoch && e.step === killAt.step) {
        child.kill('SIGKILL');
        killedAt = e.globalStep!;
      }
    }
  });
  return new Promise((resolve) => child.once('close', (code, signal) => resolve({ events, runDir, code, signal, stderr, killedAt })));
}

export function stepLosses(events: TrainEventLine[]): Map<number, number> {
  return new Map(events.filter((e) => e.type === 'step').map((e) => [e.globalStep!, e.loss!]));
}
