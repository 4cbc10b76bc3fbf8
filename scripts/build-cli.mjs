#!/usr/bin/env node
// Bundle the CLI (src/cli/entry.ts -> out/cli/cli.js) and the engine worker it
// forks (src/cli/worker.ts -> out/cli/worker.js) as two entry points. Packages
// stay external: tfjs-node and sharp are native and load from node_modules.
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
