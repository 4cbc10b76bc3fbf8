#!/usr/bin/env node
// Bundle the CLI/server (src/server/cli-entry.ts) into one ESM file. Packages stay
// external: tfjs-node and sharp are native and must be loaded from node_modules.
import { build } from 'esbuild';

await build({
  entryPoints: { cli: 'src/server/cli-entry.ts' },
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
