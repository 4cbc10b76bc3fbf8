/**
 * The artifacts `npm run build` produces, which is what `npm start` runs and
 * what every server, CLI and end-to-end test drives. Nothing under test/ builds
 * a bundle of its own: a test that passes must mean the shipped build works.
 */
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

export interface Shipped {
  /** bin/simclr-workbench.js: the command users run */
  bin: string;
  /** out/cli/cli.js */
  cli: string;
  /** out/cli/worker.js: the engine worker `serve` forks */
  worker: string;
  /** out/renderer: the UI `serve` and the desktop app load */
  renderer: string;
}

export function shipped(): Shipped {
  const s: Shipped = {
    bin: path.join(ROOT, 'bin', 'simclr-workbench.js'),
    cli: path.join(ROOT, 'out', 'cli', 'cli.js'),
    worker: path.join(ROOT, 'out', 'cli', 'worker.js'),
    renderer: path.join(ROOT, 'out', 'renderer'),
  };
  for (const f of [s.cli, s.worker, path.join(s.renderer, 'index.html')]) {
    if (!fs.existsSync(f)) throw new Error(`${path.relative(ROOT, f)} is missing: run \`npm run build\` first (npm test does)`);
  }
  return s;
}
