import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { distPlan, electronCacheDirs, offlineMessage } from '../../scripts/lib/dist-checks.mjs';

// How `npm run dist` finds Electron's binaries before electron-builder runs, over real folders.
const made: string[] = [];
afterEach(() => {
  for (const d of made.splice(0)) fs.rmSync(d, { recursive: true, force: true });
});
function tmp(): string {
  const d = fs.mkdtempSync(path.join(os.tmpdir(), 'simclr-dist-'));
  made.push(d);
  return d;
}
const base = (root: string, home: string, env: NodeJS.ProcessEnv = {}) => ({ root, home, env, platform: 'linux', arch: 'x64', version: '45.5.0' });

describe('distPlan', () => {
  it('asks for a download from github.com when nothing is installed or cached, and says how to fix it offline', () => {
    const root = tmp();
    const home = tmp();
    const plan = distPlan(base(root, home));
    expect(plan).toEqual({ download: 'github.com', zip: 'electron-v45.5.0-linux-x64.zip' });
    const msg = offlineMessage(plan as { download: string; zip: string }, { platform: 'linux', env: {}, home });
    expect(msg).toContain('electron-v45.5.0-linux-x64.zip');
    expect(msg).toContain(path.join(home, '.cache', 'electron'));
    expect(msg).toContain('ELECTRON_MIRROR');
  });

  it('names the mirror host when ELECTRON_MIRROR is set', () => {
    expect(distPlan(base(tmp(), tmp(), { ELECTRON_MIRROR: 'https://mirror.example.org/electron/' }))).toMatchObject({ download: 'mirror.example.org' });
  });

  it("finds a zip in @electron/get's hash-named cache subfolder, or in $ELECTRON_CACHE", () => {
    const home = tmp();
    const sub = path.join(home, '.cache', 'electron', '0123abcd');
    fs.mkdirSync(sub, { recursive: true });
    fs.writeFileSync(path.join(sub, 'electron-v45.5.0-linux-x64.zip'), 'zip');
    expect(distPlan(base(tmp(), home))).toEqual({ cachedZip: path.join(sub, 'electron-v45.5.0-linux-x64.zip') });
    expect(distPlan({ ...base(tmp(), home), arch: 'arm64' })).toMatchObject({ download: 'github.com' });
    const cache = tmp();
    fs.writeFileSync(path.join(cache, 'electron-v45.5.0-linux-x64.zip'), 'zip');
    expect(distPlan(base(tmp(), tmp(), { ELECTRON_CACHE: cache }))).toEqual({ cachedZip: path.join(cache, 'electron-v45.5.0-linux-x64.zip') });
  });

  it('packages the installed Electron binary when there is one', () => {
    const root = tmp();
    const pkg = path.join(root, 'node_modules', 'electron');
    fs.mkdirSync(path.join(pkg, 'dist'), { recursive: true });
    fs.writeFileSync(path.join(pkg, 'path.txt'), 'electron');
    fs.writeFileSync(path.join(pkg, 'dist', 'electron'), '');
    expect(distPlan(base(root, tmp()))).toEqual({ electronDist: path.join(pkg, 'dist') });
  });

  it('knows the cache folder on each OS', () => {
    expect(electronCacheDirs('darwin', {}, '/Users/a')).toEqual(['/Users/a/Library/Caches/electron']);
    expect(electronCacheDirs('linux', { XDG_CACHE_HOME: '/c' }, '/home/a')).toEqual(['/c/electron']);
    expect(electronCacheDirs('win32', { LOCALAPPDATA: 'L', ELECTRON_CACHE: 'E' }, 'H')).toEqual(['E', path.join('L', 'electron', 'Cache')]);
  });
});
