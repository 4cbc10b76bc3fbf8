// Types of dist-checks.mjs for the tests that import it.
export function electronZipName(version: string, platform: string, arch: string): string;
export function electronCacheDirs(platform: string, env: NodeJS.ProcessEnv, home: string): string[];
export function findCachedZip(dirs: string[], name: string): string | null;
export type DistPlan = { electronDist: string } | { cachedZip: string } | { download: string; zip: string };
export function distPlan(opts: { root: string; env: NodeJS.ProcessEnv; platform: string; arch: string; home: string; version: string }): DistPlan;
export function offlineMessage(plan: { download: string; zip: string }, opts: { platform: string; env: NodeJS.ProcessEnv; home: string }): string;
