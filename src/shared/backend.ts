import { z } from 'zod';

/**
 * The compute backends, named once. Everything else derives from this tuple:
 * the settings and training-config enums, the API's BackendInfo, the engine's
 * chooser (src/engine/backend) and the CLI help. A new backend is one entry here
 * plus its loader in src/engine/backend.
 */
export const BACKEND_NAMES = ['tensorflow', 'wasm', 'cpu'] as const;
export type BackendName = (typeof BACKEND_NAMES)[number];

/** What a user may ask for: a backend, or 'auto' (the best one that loads). */
export const BACKEND_PREFERENCES = ['auto', ...BACKEND_NAMES] as const;
export type BackendPreference = (typeof BACKEND_PREFERENCES)[number];

export const BackendNameSchema = z.enum(BACKEND_NAMES);
export const BackendPreferenceSchema = z.enum(BACKEND_PREFERENCES);

/** The environment variable that picks the backend when no flag or setting does. */
export const BACKEND_ENV = 'SIMCLR_BACKEND';
