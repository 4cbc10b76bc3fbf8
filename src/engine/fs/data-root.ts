import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { DATA_ROOT_DIR, DATA_ROOT_ENV, DATA_ROOT_NAME } from '../../shared/data-root.js';

/**
 * Where datasets/, runs/, trash/ (and server mode's settings.json) live when no
 * flag or setting names a folder. One pure rule, first match wins:
 *
 *   1. $SIMCLR_DATA_ROOT (an empty variable counts as unset);
 *   2. ~/.simclr-workbench when it already exists: the data root of earlier
 *      versions is used in place, never moved or copied, so no run is lost and
 *      nothing moves under a training job or a second app instance using it;
 *   3. the desktop app: <userData>/data (app.getPath('userData'), the OS's
 *      per-app folder; the subfolder keeps runs apart from Chromium's caches
 *      and electron-store's settings.json there);
 *   4. the CLI and server: the OS's data folder, as env-paths computes it
 *      (name "simclr-workbench", no suffix): $XDG_DATA_HOME or ~/.local/share
 *      on Linux, ~/Library/Application Support on macOS, %LOCALAPPDATA%\...\Data
 *      on Windows (machine-local: datasets are too big for a roaming profile).
 *
 * Inputs are plain values so every OS is tested on any OS (path.win32 /
 * path.posix by `platform`); defaultDataRoot and appDataRoot supply the real ones.
 */
export interface DataRootInputs {
  platform: NodeJS.Platform;
  env: Readonly<Record<string, string | undefined>>;
  home: string;
  /** whether `<home>/.simclr-workbench` is an existing folder */
  legacyExists: boolean;
  /** the desktop app's app.getPath('userData'); absent for the CLI and server */
  appUserData?: string;
}

export type DataRootSource = 'env' | 'legacy' | 'app' | 'os';

export interface DataRootChoice {
  path: string;
  source: DataRootSource;
}

const pathFor = (platform: NodeJS.Platform) => (platform === 'win32' ? path.win32 : path.posix);

/** The legacy folder of earlier versions: <home>/.simclr-workbench. */
export function legacyDataRoot(platform: NodeJS.Platform, home: string): string {
  return pathFor(platform).join(home, DATA_ROOT_DIR);
}

/** env-paths' `data` folder for this app (same rules, same environment variables). */
export function osDataDir(platform: NodeJS.Platform, env: DataRootInputs['env'], home: string): string {
  const p = pathFor(platform);
  if (platform === 'darwin') return p.join(home, 'Library', 'Application Support', DATA_ROOT_NAME);
  if (platform === 'win32') return p.join(env.LOCALAPPDATA || p.join(home, 'AppData', 'Local'), DATA_ROOT_NAME, 'Data');
  return p.join(env.XDG_DATA_HOME || p.join(home, '.local', 'share'), DATA_ROOT_NAME);
}

export function chooseDataRoot(i: DataRootInputs): DataRootChoice {
  const fromEnv = i.env[DATA_ROOT_ENV];
  if (fromEnv) return { path: fromEnv, source: 'env' };
  if (i.legacyExists) return { path: legacyDataRoot(i.platform, i.home), source: 'legacy' };
  if (i.appUserData) return { path: pathFor(i.platform).join(i.appUserData, 'data'), source: 'app' };
  return { path: osDataDir(i.platform, i.env, i.home), source: 'os' };
}

function isDir(p: string): boolean {
  try {
    return fs.statSync(p).isDirectory();
  } catch {
    return false;
  }
}

function inputs(env: NodeJS.ProcessEnv, appUserData?: string): DataRootInputs {
  const home = os.homedir();
  return { platform: process.platform, env, home, legacyExists: isDir(legacyDataRoot(process.platform, home)), ...(appUserData ? { appUserData } : {}) };
}

/** The CLI's, server's and engine's default data root (rules 1, 2, 4). The app passes its own setting instead. */
export function defaultDataRoot(env: NodeJS.ProcessEnv = process.env): string {
  return chooseDataRoot(inputs(env)).path;
}

/** The desktop app's default data root (rules 1, 2, 3), from app.getPath('userData'). */
export function appDataRoot(userData: string, env: NodeJS.ProcessEnv = process.env): DataRootChoice {
  return chooseDataRoot(inputs(env, userData));
}
