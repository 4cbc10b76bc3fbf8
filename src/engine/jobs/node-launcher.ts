import { fork } from 'node:child_process';
import type { Launcher } from './host.js';

export interface NodeWorkerEntry {
  /** the script to fork: the built CLI (out/cli/cli.js) */
  modulePath: string;
  /** arguments that select the worker, e.g. ['worker'] */
  args: string[];
  /** node flags for the child (e.g. a loader in tests) */
  execArgv?: string[];
}

/**
 * Start workers as Node child processes (server mode, CLI, tests): the job
 * protocol runs over the fork IPC channel (JSON), stdout and stderr are piped
 * so their lines reach the job's log.
 */
export function nodeLauncher(entry: NodeWorkerEntry): Launcher {
  return (role, env, events) => {
    const child = fork(entry.modulePath, [...entry.args, `--role=${role}`], {
      env: { ...process.env, ...env },
      execArgv: entry.execArgv ?? [],
      stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
      serialization: 'json',
    });
    child.stdout?.setEncoding('utf8').on('data', (c: string) => events.output('stdout', c));
    child.stderr?.setEncoding('utf8').on('data', (c: string) => events.output('stderr', c));
    child.on('message', (m) => events.message(m));
    child.on('error', (err) => events.output('stderr', `host: ${err.message}\n`));
    // 'close' comes after 'exit' once stdout/stderr are drained, so crash reports hold the last lines.
    child.on('close', (code, signal) => events.exit(code, signal));
    return {
      get pid() {
        return child.pid ?? null;
      },
      send(message) {
        if (child.connected) child.send(message, (err) => err && events.output('stderr', `host: could not send to the worker: ${err.message}\n`));
      },
      kill(signal = 'SIGTERM') {
        child.kill(signal);
      },
    };
  };
}
