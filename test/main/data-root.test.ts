import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import envPaths from 'env-paths';
import { afterEach, describe, expect, it } from 'vitest';
import { appDataRoot, chooseDataRoot, defaultDataRoot, osDataDir, type DataRootInputs } from '../../src/engine/fs/data-root.js';

// The data root rule for the three OSes, as plain inputs (so each runs here), and
// cross-checked against env-paths itself, which reads process.platform per call.

const linux: DataRootInputs = { platform: 'linux', env: {}, home: '/home/ada', legacyExists: false };
const mac: DataRootInputs = { platform: 'darwin', env: {}, home: '/Users/ada', legacyExists: false };
const win: DataRootInputs = { platform: 'win32', env: { APPDATA: 'C:\\Users\\ada\\AppData\\Roaming', LOCALAPPDATA: 'D:\\Local' }, home: 'C:\\Users\\ada', legacyExists: false };

describe('chooseDataRoot', () => {
  it('uses the OS data folder for the CLI', () => {
    expect(chooseDataRoot(linux)).toEqual({ path: '/home/ada/.local/share/simclr-workbench', source: 'os' });
    expect(chooseDataRoot({ ...linux, env: { XDG_DATA_HOME: '/data/xdg' } })).toEqual({ path: '/data/xdg/simclr-workbench', source: 'os' });
    expect(chooseDataRoot(mac)).toEqual({ path: '/Users/ada/Library/Application Support/simclr-workbench', source: 'os' });
    expect(chooseDataRoot(win)).toEqual({ path: 'D:\\Local\\simclr-workbench\\Data', source: 'os' });
    expect(chooseDataRoot({ ...win, env: {} })).toEqual({ path: 'C:\\Users\\ada\\AppData\\Local\\simclr-workbench\\Data', source: 'os' });
  });

  it("uses <userData>/data in the app", () => {
    expect(chooseDataRoot({ ...linux, appUserData: '/home/ada/.config/SimCLR Workbench' }).path).toBe('/home/ada/.config/SimCLR Workbench/data');
    expect(chooseDataRoot({ ...mac, appUserData: '/Users/ada/Library/Application Support/SimCLR Workbench' }).path).toBe('/Users/ada/Library/Application Support/SimCLR Workbench/data');
    expect(chooseDataRoot({ ...win, appUserData: 'C:\\Users\\ada\\AppData\\Roaming\\SimCLR Workbench' })).toEqual({ path: 'C:\\Users\\ada\\AppData\\Roaming\\SimCLR Workbench\\data', source: 'app' });
  });

  it('keeps an existing ~/.simclr-workbench in place, for the CLI and the app', () => {
    expect(chooseDataRoot({ ...linux, legacyExists: true })).toEqual({ path: '/home/ada/.simclr-workbench', source: 'legacy' });
    expect(chooseDataRoot({ ...mac, legacyExists: true, appUserData: '/x' })).toEqual({ path: '/Users/ada/.simclr-workbench', source: 'legacy' });
    expect(chooseDataRoot({ ...win, legacyExists: true })).toEqual({ path: 'C:\\Users\\ada\\.simclr-workbench', source: 'legacy' });
  });

  it('lets $SIMCLR_DATA_ROOT win over everything; an empty one counts as unset', () => {
    for (const base of [linux, mac, win]) {
      expect(chooseDataRoot({ ...base, legacyExists: true, appUserData: '/u', env: { ...base.env, SIMCLR_DATA_ROOT: '/srv/simclr' } })).toEqual({ path: '/srv/simclr', source: 'env' });
      expect(chooseDataRoot({ ...base, env: { ...base.env, SIMCLR_DATA_ROOT: '' } }).source).toBe('os');
    }
  });
});

describe('osDataDir is env-paths’ data folder', () => {
  const realPlatform = process.platform;
  afterEach(() => Object.defineProperty(process, 'platform', { value: realPlatform }));

  for (const platform of ['linux', 'darwin', 'win32'] as const) {
    it(`on ${platform}`, () => {
      Object.defineProperty(process, 'platform', { value: platform });
      const expected = envPaths('simclr-workbench', { suffix: '' }).data;
      Object.defineProperty(process, 'platform', { value: realPlatform });
      // env-paths joins with the host's path module; compare with separators normalised
      const ours = osDataDir(platform, process.env, os.homedir());
      expect(ours.replaceAll('\\', '/')).toBe(expected.replaceAll('\\', '/'));
    });
  }
});

describe('defaultDataRoot / appDataRoot (the real process values)', () => {
  const made: string[] = [];
  afterEach(() => {
    for (const d of made.splice(0)) fs.rmSync(d, { recursive: true, force: true });
  });

  it('read $SIMCLR_DATA_ROOT, then the legacy folder under the real home, then the OS folder', () => {
    const home = fs.mkdtempSync(path.join(os.tmpdir(), 'simclr-home-'));
    made.push(home);
    const env = { HOME: home, USERPROFILE: home, XDG_DATA_HOME: path.join(home, 'xdg') };
    const saved = { ...process.env };
    try {
      Object.assign(process.env, env);
      delete process.env.SIMCLR_DATA_ROOT;
      expect(os.homedir()).toBe(home);
      expect(defaultDataRoot()).toBe(osDataDir(process.platform, process.env, home));
      expect(appDataRoot(path.join(home, 'userData'))).toEqual({ path: path.join(home, 'userData', 'data'), source: 'app' });
      fs.writeFileSync(path.join(home, '.simclr-workbench'), 'a file, not a data root');
      expect(defaultDataRoot()).not.toBe(path.join(home, '.simclr-workbench'));
      fs.rmSync(path.join(home, '.simclr-workbench'));
      fs.mkdirSync(path.join(home, '.simclr-workbench', 'runs'), { recursive: true });
      expect(defaultDataRoot()).toBe(path.join(home, '.simclr-workbench'));
      expect(appDataRoot(path.join(home, 'userData'))).toEqual({ path: path.join(home, '.simclr-workbench'), source: 'legacy' });
      expect(fs.existsSync(path.join(home, '.simclr-workbench', 'runs'))).toBe(true); // used in place, nothing moved
      expect(defaultDataRoot({ ...process.env, SIMCLR_DATA_ROOT: '/srv/x' })).toBe('/srv/x');
    } finally {
      for (const k of Object.keys(process.env)) if (!(k in saved)) delete process.env[k];
      Object.assign(process.env, saved);
    }
  });
});
