import { z } from 'zod';
import { BackendPreferenceSchema } from './backend.js';

/**
 * App settings: stored by the Electron main process (electron-store) or, in
 * server mode, in `<data-root>/settings.json`. The engine receives them as
 * plain values. Bump SETTINGS_VERSION and add a step to migrateSettings when
 * a field changes meaning.
 */
export const SETTINGS_VERSION = 1;

export { BackendPreferenceSchema };
export const ThemeSchema = z.enum(['system', 'light', 'dark']);

export const SettingsSchema = z.object({
  schemaVersion: z.literal(SETTINGS_VERSION).default(SETTINGS_VERSION),
  /** null: the default data root (src/shared/data-root.ts) */
  dataRoot: z.string().min(1).max(4096).nullable().default(null),
  backend: BackendPreferenceSchema.default('auto'),
  theme: ThemeSchema.default('system'),
  /** most recent first */
  recentDatasets: z.array(z.string().min(1).max(4096)).max(20).default([]),
  /**
   * Folders outside the data root the user has chosen (native dialog in the app,
   * --dataset-dir in server mode): dataset paths must lie under one of them or
   * under the data root. Not writable through settings.set, so a page cannot widen it.
   */
  datasetDirs: z.array(z.string().min(1).max(4096)).max(100).default([]),
  /** compute-heavy jobs (train, eval, embed) running at once; the rest wait in the queue */
  jobConcurrency: z.number().int().min(1).max(8).default(1),
});
export type Settings = z.output<typeof SettingsSchema>;

/**
 * What settings.set accepts: any subset of the user-editable fields. The
 * fields are taken without their defaults: in zod 4 a default still fills in
 * a missing key under .partial(), which would reset every field a patch
 * leaves out (changing the recent datasets would reset the theme).
 */
const shape = SettingsSchema.shape;
export const SettingsPatchSchema = z
  .object({
    dataRoot: shape.dataRoot.unwrap(),
    backend: shape.backend.unwrap(),
    theme: shape.theme.unwrap(),
    recentDatasets: shape.recentDatasets.unwrap(),
    jobConcurrency: shape.jobConcurrency.unwrap(),
  })
  .partial()
  .strict();
export type SettingsPatch = z.input<typeof SettingsPatchSchema>;

export const DEFAULT_SETTINGS: Settings = SettingsSchema.parse({});

/** Window geometry remembered between launches (main process only). */
export const WindowStateSchema = z.object({
  x: z.number().int().optional(),
  y: z.number().int().optional(),
  width: z.number().int().min(400).max(16384).default(1280),
  height: z.number().int().min(300).max(16384).default(820),
  maximized: z.boolean().default(false),
});
export type WindowState = z.output<typeof WindowStateSchema>;

/**
 * Read stored settings of any earlier version: unknown fields are dropped,
 * each invalid field falls back to its default and is reported (so a
 * hand-edited file never stops the app from starting).
 */
export function migrateSettings(raw: unknown): { settings: Settings; problems: string[] } {
  const problems: string[] = [];
  const isObject = raw !== null && typeof raw === 'object' && !Array.isArray(raw);
  if (raw != null && !isObject) problems.push('settings: not an object; using the defaults');
  const input: Record<string, unknown> = isObject ? { ...(raw as Record<string, unknown>) } : {};
  // version 0 (unversioned) had the same fields; future migrations go here, oldest first.
  delete input.schemaVersion;
  const settings: Record<string, unknown> = { ...DEFAULT_SETTINGS };
  for (const key of Object.keys(SettingsSchema.shape) as (keyof Settings)[]) {
    if (key === 'schemaVersion' || !(key in input)) continue;
    const field = SettingsSchema.shape[key].safeParse(input[key]);
    if (field.success) settings[key] = field.data;
    else problems.push(`settings.${key}: ${field.error.issues[0]?.message ?? 'invalid'}; using the default`);
  }
  return { settings: SettingsSchema.parse(settings), problems };
}

/** The settings after a patch (already validated by SettingsPatchSchema). */
export function applySettingsPatch(current: Settings, patch: z.output<typeof SettingsPatchSchema>): Settings {
  return SettingsSchema.parse({ ...current, ...patch });
}
