#!/usr/bin/env node
// `npm start`: build when sources are newer than out/ (never twice), then open
// the desktop app; where no Electron binary is installed (offline installs),
// serve the same UI to the browser instead.
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildStaleReason, electronBinary, npmCommand } from './lib/start-checks.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

function npm(args) {
  const c = npmCommand(args);
  return spawnSync(c.command, c.args, { cwd: root, stdio: 'inherit', shell: c.shell });
}

const stale = buildStaleReason(root);
if (stale) {
  console.log(`[start] building (${stale})`);
  const build = npm(['run', 'build']);
  if (build.status !== 0) process.exit(build.status ?? 1);
} else {
  console.log('[start] the build is up to date');
}

const extra = process.argv.slice(2);
const electron = electronBinary(root);
let r;
if (electron) {
  r = spawnSync(electron, ['.', ...extra], { cwd: root, stdio: 'inherit' });
} else {
  console.log('[start] no Electron binary here (offline install): serving the workbench to your browser instead');
  r = spawnSync(process.execPath, [path.join(root, 'bin', 'simclr-workbench.js'), 'serve', '--open', ...extra], { cwd: root, stdio: 'inherit' });
}
process.exit(r.status ?? (r.signal ? 1 : 0));
