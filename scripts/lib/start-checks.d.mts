// Types of start-checks.mjs for the tests that import it.
export const BUILD_OUTPUTS: string[];
export const BUILD_INPUTS: string[];
export function buildStaleReason(root: string): string | null;
export function electronBinary(root: string, env?: NodeJS.ProcessEnv): string | null;
export function npmCommand(args: string[], env?: NodeJS.ProcessEnv): { command: string; args: string[]; shell: boolean };
