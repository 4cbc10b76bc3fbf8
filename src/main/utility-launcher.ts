import { utilityProcess } from 'electron';
import type { Launcher } from '../engine/jobs/host.js';

/**
 * Engine workers as Electron utility processes (Node.js in a separate
 * process, child of the app): the job protocol runs over parentPort
 * messages; stdout/stderr are piped into the job's log.
 */
export function utilityLauncher(modulePath: string): Launcher {
  return (role, env, events) => {
    const child = utilityProcess.fork(modulePath, [`--role=${role}`], {
      serviceName: role === 'interactive' ? 'SimCLR engine (interactive)' : 'SimCLR engine (job)',
      stdio: 'pipe',
      env: { ...process.env, ...env } as Record<string, string>,
    });
    let open = 0;
    let exitCode: number | null | undefined;
    let reported = false;
    const finish = () => {
      if (exitCode === undefined || open > 0 || reported) return;
      reported = true;
      events.exit(exitCode, null);
    };
    for (const [name, stream] of [
      ['stdout', child.stdout],
      ['stderr', child.stderr],
    ] as const) {
      if (!stream) continue;
      open++;
      stream.setEncoding('utf8');
      stream.on('data', (c: string) => events.output(name, c));
      stream.on('end', () => {
        open--;
        finish();
      });
    }
    child.on('message', (m: unknown) => events.message(m));
    child.on('error', (type, location) => events.output('stderr', `host: utility process ${type} at ${location}\n`));
    child.on('exit', (code) => {
      exitCode = code;
      finish();
      // Streams that never end must not hold the crash report back.
      setTimeout(() => {
        open = 0;
        finish();
      }, 500).unref();
    });
    return {
      get pid() {
        return child.pid ?? null;
      },
      commandLine: `utilityProcess.fork ${modulePath} --role=${role}`,
      send(message) {
        child.postMessage(message);
      },
      kill() {
        child.kill();
      },
    };
  };
}
