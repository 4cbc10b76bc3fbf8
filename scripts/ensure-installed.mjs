#!/usr/bin/env node
// Install dependencies when node_modules is missing or older than the lock file,
// so `npm start` and `npm test` work on a fresh clone. Offline, Electron's
// binary cannot be downloaded: then install without it (the app still builds,
// the UI runs in server mode) and say so.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { npmCommand } from './lib/start-checks.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const marker = path.join(root, 'node_modules', '.package-lock.json');
const lock = path.join(root, 'package-lock.json');

function stale() {
  if (!fs.existsSync(marker)) return true;
  return fs.existsSync(lock) && fs.statSync(lock).mtimeMs > fs.statSync(marker).mtimeMs + 1000;
}

if (stale()) {
  const verb = fs.existsSync(lock) ? 'ci' : 'install';
  console.log(`[install] npm ${verb} (first run or lock file changed)`);
  const npm = npmCommand([verb]);
  let r = spawnSync(npm.command, npm.args, { cwd: root, stdio: 'inherit', shell: npm.shell });
  if (r.status !== 0 && !process.env.ELECTRON_SKIP_BINARY_DOWNLOAD) {
    console.log('[install] retrying without the Electron binary download (offline?); the app will open in server mode');
    r = spawnSync(npm.command, npm.args, { cwd: root, stdio: 'inherit', shell: npm.shell, env: { ...process.env, ELECTRON_SKIP_BINARY_DOWNLOAD: '1' } });
  }
  if (r.status !== 0) process.exit(r.status ?? 1);
}
