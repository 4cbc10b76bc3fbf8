import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse, strictNumber, UsageError, type Command } from '../args.js';
import { RemoteBindRefused, startServer } from '../../server/serve.js';
import { workerEntry } from '../worker-entry.js';

export const DEFAULT_PORT = 8765;

function defaultDataRoot(): string {
  return process.env.SIMCLR_DATA_ROOT || path.join(os.homedir(), '.simclr-workbench');
}

/** The built renderer: out/renderer beside out/cli (bundled), or the project's out/renderer (from source). */
export function rendererDir(): string {
  const candidates = [fileURLToPath(new URL('../renderer', import.meta.url)), fileURLToPath(new URL('../../../out/renderer', import.meta.url))];
  return candidates.find((c) => fs.existsSync(path.join(c, 'index.html'))) ?? candidates[0]!;
}

/** Try to open a browser; never fail when there is none (a headless box, an SSH session). */
export function openBrowser(url: string, log: (line: string) => void = console.error): void {
  const [cmd, args] =
    process.platform === 'darwin' ? ['open', [url]] : process.platform === 'win32' ? ['cmd', ['/c', 'start', '""', url]] : ['xdg-open', [url]];
  try {
    const child = spawn(cmd as string, args as string[], { stdio: 'ignore', detached: true });
    child.on('error', () => log(`(no browser could be opened with ${cmd}; open the URL above yourself)`));
    child.unref();
  } catch {
    log(`(no browser could be opened; open the URL above yourself)`);
  }
}

export const serveCommand: Command = {
  async run(argv) {
    const { values } = parse(
      'serve',
      argv,
      {
        port: { type: 'string' },
        host: { type: 'string' },
        'data-root': { type: 'string' },
        'dataset-dir': { type: 'string', multiple: true },
        open: { type: 'boolean' },
        'allow-remote': { type: 'boolean' },
        'new-token': { type: 'boolean' },
      },
      false,
    );
    const port = values.port === undefined ? DEFAULT_PORT : strictNumber(values.port);
    if (!Number.isInteger(port) || port < 0 || port > 65535) throw new UsageError(`serve: --port ${values.port} is not a port number (0-65535; 0 picks a free one)`);
    const datasetDirs = (values['dataset-dir'] ?? []).map((d) => path.resolve(d));
    for (const d of datasetDirs) if (!fs.existsSync(d)) throw new UsageError(`serve: --dataset-dir ${d} does not exist`);
    const renderer = rendererDir();
    let server;
    try {
      server = await startServer({
        port,
        host: values.host ?? '127.0.0.1',
        allowRemote: values['allow-remote'] ?? false,
        newToken: values['new-token'] ?? false,
        dataRoot: path.resolve(values['data-root'] ?? defaultDataRoot()),
        datasetDirs,
        rendererDir: renderer,
        worker: workerEntry(),
        workerEnv: process.env.SIMCLR_WORKBENCH_TEST_HOOKS === '1' ? { SIMCLR_WORKBENCH_TEST_HOOKS: '1' } : {},
      });
    } catch (err) {
      if (err instanceof RemoteBindRefused) throw new UsageError(`serve: ${err.message}`);
      if ((err as NodeJS.ErrnoException).code === 'EADDRINUSE') throw new UsageError(`serve: port ${port} is in use; pick another with --port N (0: any free port)`);
      throw err;
    }
    if (!fs.existsSync(path.join(renderer, 'index.html'))) console.error(`warning: the UI is not built (${renderer}); the API works, the page will not: run \`npx electron-vite build\``);
    console.log(`SimCLR Workbench is serving at:\n\n    ${server.url}\n`);
    console.log(`data root ${path.resolve(values['data-root'] ?? defaultDataRoot())}; the token stays the same across restarts (--new-token replaces it); press Ctrl+C to stop`);
    if (values.open) openBrowser(server.url);
    await new Promise<void>((resolve) => {
      const stop = () => {
        process.off('SIGINT', stop);
        process.off('SIGTERM', stop);
        console.error('stopping: cancelling jobs and closing the workers...');
        void server.close().then(resolve);
      };
      process.on('SIGINT', stop);
      process.on('SIGTERM', stop);
    });
  },
};
