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
