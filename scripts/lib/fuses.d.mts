// Types of fuses.mjs for the tests that import it.
import type { FuseConfig, FuseState } from '@electron/fuses';
export const FUSE_SETTINGS: Record<string, boolean>;
export function fuseConfig(platform?: NodeJS.Platform): FuseConfig;
export function fuseMismatches(wire: Record<number, FuseState | undefined>): string[];
