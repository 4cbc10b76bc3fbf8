import { parseArgs, type ParseArgsConfig } from 'node:util';

/** A CLI usage error: printed without a stack trace, exit code 2. */
export class UsageError extends Error {}

/** node:util parseArgs with errors turned into UsageError naming the command. */
export function parse<T extends NonNullable<ParseArgsConfig['options']>>(command: string, argv: string[], options: T, allowPositionals = true) {
  try {
    return parseArgs({ args: argv, options, allowPositionals, strict: true });
  } catch (err) {
    throw new UsageError(`${command}: ${(err as Error).message}`);
  }
}

export type CommandRun = (argv: string[]) => Promise<number | void>;

export interface Command {
  run: CommandRun;
}

/**
 * A number written in plain decimal (optionally with an exponent): "16",
 * "0.5", "-3", "1e-4"; NaN for anything else. Number() would also read
 * "0x10" as 16, "0b11" as 3, " 12 " as 12 and "" as 0: a typo must not
 * silently mean another number.
 */
export function strictNumber(text: string): number {
  return /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/.test(text) ? Number(text) : NaN;
}
