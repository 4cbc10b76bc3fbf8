import { fork } from 'node:child_process';
import type { Launcher } from './host.js';

export interface NodeWorkerEntry {
  /** the script to fork: the built worker entry (out/cli/worker.js) */
  modulePath: string;
  /** arguments before the role flag (none for the worker entry) */
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
    const args = [...entry.args, `--role=${role}`];
    const execArgv = entry.execArgv ?? [];
    const child = fork(entry.modulePath, args, {
      env: { ...process.env, ...env },
      execArgv,
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
      commandLine: [process.execPath, ...execArgv, entry.modulePath, ...args].join(' '),
      send(message) {
        if (child.connected) child.send(message, (err) => err && events.output('stderr', `host: could not send to the worker: ${err.message}\n`));
      },
      kill(signal = 'SIGTERM') {
        child.kill(signal);
      },
    };
  };
}
