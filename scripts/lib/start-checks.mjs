// What `npm start` decides before it runs anything: is the build current, and
// is there an Electron binary? Plain functions over a project root, so they
// are unit-tested without building or installing anything.
import fs from 'node:fs';
import path from 'node:path';

/** What the build writes; `npm start` needs all of them. */
export const BUILD_OUTPUTS = ['out/main/index.js', 'out/main/worker.js', 'out/preload/index.cjs', 'out/renderer/index.html', 'out/cli/cli.js', 'out/cli/worker.js'];
/** What the build reads: a change to any of these makes the outputs stale. */
export const BUILD_INPUTS = ['src', 'package.json', 'package-lock.json', 'electron.vite.config.ts', 'svelte.config.js', 'scripts/build-cli.mjs', 'tsconfig.json'];

function newestMtime(p) {
  if (!fs.existsSync(p)) return 0;
  const st = fs.statSync(p);
  if (!st.isDirectory()) return st.mtimeMs;
  let newest = st.mtimeMs;
  for (const e of fs.readdirSync(p)) newest = Math.max(newest, newestMtime(path.join(p, e)));
  return newest;
}

/** null when out/ is current; otherwise why a build is needed. */
export function buildStaleReason(root) {
  let oldestOut = Infinity;
  for (const rel of BUILD_OUTPUTS) {
    const f = path.join(root, rel);
    if (!fs.existsSync(f)) return `${rel} is missing`;
    oldestOut = Math.min(oldestOut, fs.statSync(f).mtimeMs);
  }
  for (const rel of BUILD_INPUTS) {
    if (newestMtime(path.join(root, rel)) > oldestOut) return `${rel} changed since the last build`;
  }
  return null;
}

/**
 * The Electron executable, or null where it was never downloaded. Electron's
 * own index.js downloads the binary on first use (which hangs or fails
 * offline), so this reads the same files it would, without running it.
 */
export function electronBinary(root, env = process.env) {
  const pkg = path.join(root, 'node_modules', 'electron');
  const pathFile = path.join(pkg, 'path.txt');
  const rel = fs.existsSync(pathFile) ? fs.readFileSync(pathFile, 'utf8').trim() : null;
  if (env.ELECTRON_OVERRIDE_DIST_PATH) {
    const p = path.join(env.ELECTRON_OVERRIDE_DIST_PATH, rel || 'electron');
    return fs.existsSync(p) ? p : null;
  }
  if (!rel) return null;
  const p = path.join(pkg, 'dist', rel);
  return fs.existsSync(p) ? p : null;
}

/**
 * How to run npm from a script on every OS. Since Node's fix for
 * CVE-2024-27980, spawning `npm.cmd` without a shell fails on Windows, so use
 * the npm that started us (npm_execpath) through this Node, else a shell.
 */
export function npmCommand(args, env = process.env) {
  if (env.npm_execpath && /\.c?js$/.test(env.npm_execpath)) return { command: process.execPath, args: [env.npm_execpath, ...args], shell: false };
  return process.platform === 'win32' ? { command: 'npm.cmd', args, shell: true } : { command: 'npm', args, shell: false };
}
