#!/usr/bin/env node
// The CLI is bundled to out/cli/cli.js by `npm run build:cli` (also run by `npm run build` and before tests).
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const built = new URL('../out/cli/cli.js', import.meta.url);
if (!existsSync(fileURLToPath(built))) {
  console.error('simclr-workbench: the CLI is not built yet; run `npm run build:cli` in the project folder');
  process.exit(1);
}
await import(built.href);
