import fs from 'node:fs';
import { applySettingsPatch, migrateSettings, type Settings, type SettingsPatch } from '../shared/settings.js';
import { SettingsPatchSchema } from '../shared/settings.js';
import { writeJsonAtomic } from '../engine/fs/atomic.js';

/** Where the API reads and writes settings: electron-store in the app, a JSON file in server mode. */
export interface SettingsBackend {
  get(): Settings;
  update(patch: SettingsPatch): Settings;
}

/**
 * Settings in one JSON file (server mode: `<data-root>/settings.json`),
 * validated on read (bad fields fall back to defaults, with a warning) and
 * written atomically (temp file, then rename).
 */
export class FileSettings implements SettingsBackend {
  private current: Settings;
  readonly problems: string[];

  constructor(private readonly file: string) {
    let raw: unknown = undefined;
    const problems: string[] = [];
    try {
      raw = JSON.parse(fs.readFileSync(file, 'utf8'));
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') problems.push(`${file}: unreadable (${(err as Error).message}); using the defaults`);
    }
    const migrated = migrateSettings(raw);
    this.current = migrated.settings;
    this.problems = [...problems, ...migrated.problems.map((p) => `${file}: ${p}`)];
  }

  get(): Settings {
    return structuredClone(this.current);
  }

  update(patch: SettingsPatch): Settings {
    const next = applySettingsPatch(this.current, SettingsPatchSchema.parse(patch));
    writeJsonAtomic(this.file, next, { stage: 'settings' });
    this.current = next; // only once it is on disk
    return this.get();
  }
}

/** Settings held in memory only (tests, and a server started without a writable data root). */
export class MemorySettings implements SettingsBackend {
  private current: Settings;
  constructor(initial: unknown = {}) {
    this.current = migrateSettings(initial).settings;
  }
  get(): Settings {
    return structuredClone(this.current);
  }
  update(patch: SettingsPatch): Settings {
    this.current = applySettingsPatch(this.current, SettingsPatchSchema.parse(patch));
    return this.get();
  }
}
