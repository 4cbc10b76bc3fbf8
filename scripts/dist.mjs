#!/usr/bin/env node
// `npm run dist` after the build: check that electron-builder can get Electron's
// binaries (scripts/lib/dist-checks.mjs), then run it. Extra arguments go to
// electron-builder (`npm run dist -- --linux dir`).
import { spawnSync } from 'node:child_process';
import dns from 'node:dns/promises';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { distPlan, offlineMessage } from './lib/dist-checks.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const version = JSON.parse(fs.readFileSync(path.join(root, 'node_modules', 'electron', 'package.json'), 'utf8')).version;
const where = { root, env: process.env, platform: process.platform, arch: process.arch, home: os.homedir(), version };
const plan = distPlan(where);
const args = process.argv.slice(2);

if ('electronDist' in plan) {
  console.log(`dist: packaging the installed Electron ${version} (${plan.electronDist})`);
  args.push(`-c.electronDist=${plan.electronDist}`);
} else if ('cachedZip' in plan) {
  console.log(`dist: electron-builder will use the cached ${plan.cachedZip}`);
} else {
  const reachable = await Promise.race([dns.lookup(plan.download).then(() => true, () => false), new Promise((r) => setTimeout(() => r(false), 5000))]);
  if (!reachable) {
    console.error(offlineMessage(plan, where));
    process.exit(1);
  }
}
const r = spawnSync(process.execPath, [path.join(root, 'node_modules', 'electron-builder', 'cli.js'), ...args], { cwd: root, stdio: 'inherit' });
process.exit(r.status ?? 1);
