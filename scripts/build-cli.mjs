#!/usr/bin/env node
// Bundle the CLI (src/cli/entry.ts -> out/cli/cli.js) and the engine worker it
// forks (src/cli/worker.ts -> out/cli/worker.js) as two entry points. Packages
// stay external: tfjs-node and sharp are native and load from node_modules.
import fs from 'node:fs';
import { build } from 'esbuild';

await build({
  entryPoints: { cli: 'src/cli/entry.ts', worker: 'src/cli/worker.ts' },
  outdir: 'out/cli',
  bundle: true,
  // Shared chunks, so a command's dependencies load only when it runs.
  splitting: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  packages: 'external',
  sourcemap: true,
  logLevel: 'warning',
});

// The Lightning project template (plain .py files) that `runs export-recipe` copies,
// beside the bundle where src/engine/interchange/export-recipe.ts looks for it.
fs.rmSync('out/cli/lightning', { recursive: true, force: true });
fs.cpSync('src/engine/interchange/lightning', 'out/cli/lightning', { recursive: true, filter: (p) => !p.includes('__pycache__') });
