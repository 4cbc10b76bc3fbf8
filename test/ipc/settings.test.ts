import fs from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { FileSettings } from '../../src/service/settings-file.js';
import { DEFAULT_SETTINGS, migrateSettings, SettingsPatchSchema, WindowStateSchema } from '../../src/shared/settings.js';
import { tmpDir } from '../server/harness.js';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) fs.rmSync(d, { recursive: true, force: true });
});

describe('settings schema and migration', () => {
  it('fills defaults for an empty or missing store', () => {
    expect(migrateSettings(undefined)).toEqual({ settings: DEFAULT_SETTINGS, problems: [] });
    expect(DEFAULT_SETTINGS).toMatchObject({ schemaVersion: 1, dataRoot: null, backend: 'auto', theme: 'system', recentDatasets: [], datasetDirs: [], jobConcurrency: 1 });
  });

  it('keeps good fields, resets bad ones with a message naming them, drops unknown ones', () => {
    const { settings, problems } = migrateSettings({ theme: 'dark', backend: 'cuda', jobConcurrency: 99, dataRoot: '/data/simclr', oldField: 1 });
    expect(settings).toMatchObject({ theme: 'dark', backend: 'auto', jobConcurrency: 1, dataRoot: '/data/simclr' });
    expect(settings).not.toHaveProperty('oldField');
    expect(problems).toHaveLength(2);
    expect(problems[0]).toMatch(/^settings\.backend: .*using the default$/);
    expect(problems[1]).toMatch(/^settings\.jobConcurrency: /);
  });

  it('survives a store that is not an object', () => {
    expect(migrateSettings('garbage')).toEqual({ settings: DEFAULT_SETTINGS, problems: ['settings: not an object; using the defaults'] });
  });

  it('lets settings.set change only the user fields', () => {
    expect(SettingsPatchSchema.safeParse({ theme: 'light' }).success).toBe(true);
    expect(SettingsPatchSchema.safeParse({ datasetDirs: ['/'] }).success).toBe(false);
    expect(SettingsPatchSchema.safeParse({ schemaVersion: 2 }).success).toBe(false);
  });

  it('bounds the remembered window size', () => {
    expect(WindowStateSchema.parse({})).toEqual({ width: 1280, height: 820, maximized: false });
    expect(WindowStateSchema.safeParse({ width: 10, height: 10 }).success).toBe(false);
  });
});

describe('settings file (server mode)', () => {
  it('writes atomically and reads back', () => {
    const dir = tmpDir('settings');
    dirs.push(dir);
    const file = path.join(dir, 'nested', 'settings.json');
    const a = new FileSettings(file);
    expect(a.get()).toEqual(DEFAULT_SETTINGS);
    a.update({ theme: 'dark', recentDatasets: ['cifar10'] });
    expect(fs.readdirSync(path.dirname(file))).toEqual(['settings.json']);
    expect(new FileSettings(file).get()).toMatchObject({ theme: 'dark', recentDatasets: ['cifar10'] });
  });

  it('reports an unreadable file and starts from the defaults', () => {
    const dir = tmpDir('settings');
    dirs.push(dir);
    const file = path.join(dir, 'settings.json');
    fs.writeFileSync(file, '{ not json');
    const s = new FileSettings(file);
    expect(s.get()).toEqual(DEFAULT_SETTINGS);
    expect(s.problems[0]).toContain(`${file}: unreadable`);
  });

  it('refuses a bad patch without writing', () => {
    const dir = tmpDir('settings');
    dirs.push(dir);
    const file = path.join(dir, 'settings.json');
    const s = new FileSettings(file);
    expect(() => s.update({ theme: 'neon' as 'dark' })).toThrow();
    expect(fs.existsSync(file)).toBe(false);
  });
});
