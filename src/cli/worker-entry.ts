import fs from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { NodeWorkerEntry } from '../engine/jobs/node-launcher.js';

/**
 * How to start an engine worker: the worker entry that sits beside the CLI
 * entry. `cliEntryUrl` is the import.meta.url of the CLI's entry module
 * (out/cli/cli.js when built, src/cli/entry.ts from source): an entry
 * point's own URL is fixed, unlike that of whatever chunk holds this code.
 */
function workerEntryBeside(cliEntryUrl: string, execArgv: string[] = process.execArgv): NodeWorkerEntry {
  const built = fileURLToPath(new URL('./worker.js', cliEntryUrl));
  if (cliEntryUrl.endsWith('.js')) {
    if (!fs.existsSync(built)) throw new Error(`the engine worker ${built} is missing: rebuild with \`npm run build\``);
    return { modulePath: built, args: [] };
  }
  // From source (tsx): fork the TypeScript entry with the same loader flags.
  return { modulePath: fileURLToPath(new URL('./worker.ts', cliEntryUrl)), args: [], execArgv: execArgv.length ? execArgv : ['--import', 'tsx'] };
}

let cliEntryUrl: string | null = null;

/** Called once by the CLI entry module with its own import.meta.url. */
export function setCliEntryUrl(url: string): void {
  cliEntryUrl = url;
}

export function workerEntry(): NodeWorkerEntry {
  if (cliEntryUrl) return workerEntryBeside(cliEntryUrl);
  // Imported from source without the entry (in-process tests): this file sits in src/cli beside worker.ts.
  if (import.meta.url.endsWith('.ts')) return workerEntryBeside(new URL('./entry.ts', import.meta.url).href);
  throw new Error('internal: the CLI entry did not record its location (setCliEntryUrl)');
}
