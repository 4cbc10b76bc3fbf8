// What `npm run dist` needs before electron-builder runs: Electron's own
// binaries for the target. electron-builder copies them from `electronDist`
// (here: node_modules/electron/dist when Electron's binary was installed),
// else unzips electron-v<version>-<platform>-<arch>.zip from @electron/get's
// cache, else downloads that zip from GitHub (or $ELECTRON_MIRROR) — which
// offline fails deep inside electron-builder with "getaddrinfo ENOTFOUND".
// These plain functions decide which, so scripts/dist.mjs can say so first.
import fs from 'node:fs';
import path from 'node:path';
import { electronBinary } from './start-checks.mjs';

export const electronZipName = (version, platform, arch) => `electron-v${version}-${platform}-${arch}.zip`;

/** @electron/get's cache folders: $ELECTRON_CACHE, else the OS cache folder's electron/. */
export function electronCacheDirs(platform, env, home) {
  const dirs = [];
  if (env.ELECTRON_CACHE) dirs.push(env.ELECTRON_CACHE);
  if (platform === 'darwin') dirs.push(path.join(home, 'Library', 'Caches', 'electron'));
  else if (platform === 'win32') dirs.push(path.join(env.LOCALAPPDATA || path.join(home, 'AppData', 'Local'), 'electron', 'Cache'));
  else dirs.push(path.join(env.XDG_CACHE_HOME || path.join(home, '.cache'), 'electron'));
  return dirs;
}

/** The zip in a cache folder or one of its (hash-named) subfolders. */
export function findCachedZip(dirs, name) {
  for (const dir of dirs) {
    if (!fs.existsSync(dir)) continue;
    if (fs.existsSync(path.join(dir, name))) return path.join(dir, name);
    for (const sub of fs.readdirSync(dir, { withFileTypes: true })) {
      if (sub.isDirectory() && fs.existsSync(path.join(dir, sub.name, name))) return path.join(dir, sub.name, name);
    }
  }
  return null;
}

/**
 * { electronDist } when the installed binary can be copied, { cachedZip } when
 * a zip is cached, else { download: host } (the host electron-builder will ask).
 */
export function distPlan({ root, env, platform, arch, home, version }) {
  const binary = electronBinary(root, env);
  if (binary) return { electronDist: env.ELECTRON_OVERRIDE_DIST_PATH || path.join(root, 'node_modules', 'electron', 'dist') };
  const name = electronZipName(version, platform, arch);
  const cachedZip = findCachedZip(electronCacheDirs(platform, env, home), name);
  if (cachedZip) return { cachedZip };
  const mirror = env.ELECTRON_MIRROR || env.npm_config_electron_mirror;
  let host = 'github.com';
  try {
    if (mirror) host = new URL(mirror).hostname;
  } catch {
    host = mirror; // not a URL: electron-builder will fail on it too, and the message names it
  }
  return { download: host, zip: name };
}

/** The message when the download host cannot be reached. */
export function offlineMessage(plan, { platform, env, home }) {
  const cache = electronCacheDirs(platform, env, home).at(-1);
  return [
    `npm run dist: electron-builder needs ${plan.zip} and would download it from ${plan.download}, which cannot be reached (offline?).`,
    'Give it the Electron binaries one of these ways, then run `npm run dist` again:',
    `  - copy ${plan.zip} (from https://github.com/electron/electron/releases) into ${cache}/`,
    '  - or install Electron\'s binary where there is network (`node node_modules/electron/install.js`); dist then packages node_modules/electron/dist',
    '  - or set ELECTRON_MIRROR to a mirror this machine can reach',
  ].join('\n');
}
