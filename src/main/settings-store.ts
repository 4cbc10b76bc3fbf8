import Store from 'electron-store';
import type { SettingsBackend } from '../service/settings-file.js';
import {
  applySettingsPatch,
  migrateSettings,
  SettingsPatchSchema,
  SettingsSchema,
  WindowStateSchema,
  type Settings,
  type SettingsPatch,
  type WindowState,
} from '../shared/settings.js';

interface Stored {
  settings?: unknown;
  window?: unknown;
}

/**
 * App settings and window geometry in electron-store (config.json in the
 * user-data folder). Validation is the zod schema of src/shared/settings.ts,
 * applied on every read: a bad or older field falls back to its default with
 * a warning instead of stopping the app.
 */
export class ElectronSettings implements SettingsBackend {
  private readonly store = new Store<Stored>({ name: 'settings', clearInvalidConfig: true });
  private current: Settings;
  readonly problems: string[];

  constructor() {
    const { settings, problems } = migrateSettings(this.store.get('settings'));
    this.current = settings;
    this.problems = problems;
    this.store.set('settings', settings);
  }

  get(): Settings {
    return structuredClone(this.current);
  }

  update(patch: SettingsPatch): Settings {
    this.current = applySettingsPatch(this.current, SettingsPatchSchema.parse(patch));
    this.store.set('settings', this.current);
    return this.get();
  }

  /** Only the main process widens the folders datasets may come from (after the user chose one). */
  addDatasetDir(dir: string): Settings {
    const dirs = [dir, ...this.current.datasetDirs.filter((d) => d !== dir)].slice(0, 100);
    this.current = SettingsSchema.parse({ ...this.current, datasetDirs: dirs });
    this.store.set('settings', this.current);
    return this.get();
  }

  windowState(): WindowState {
    const r = WindowStateSchema.safeParse(this.store.get('window') ?? {});
    return r.success ? r.data : WindowStateSchema.parse({});
  }

  saveWindowState(state: WindowState): void {
    const r = WindowStateSchema.safeParse(state);
    if (r.success) this.store.set('window', r.data);
  }
}
