import { parseArgs, type ParseArgsConfig } from 'node:util';

/** A CLI usage error: printed without a stack trace, exit code 2. */
export class UsageError extends Error {}

type Options = NonNullable<ParseArgsConfig['options']>;
const HELP_OPTION = { help: { type: 'boolean', short: 'h' } } as const;

/** Edit distance (insert, delete, substitute, swap two neighbours), for "did you mean" hints. */
function distance(a: string, b: string): number {
  const d = Array.from({ length: a.length + 1 }, (_, i) => Array.from({ length: b.length + 1 }, (_, j) => (i === 0 ? j : j === 0 ? i : 0)));
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      const row = d[i]!;
      row[j] = Math.min(d[i - 1]![j]! + 1, row[j - 1]! + 1, d[i - 1]![j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) row[j] = Math.min(row[j]!, d[i - 2]![j - 2]! + 1);
    }
  }
  return d[a.length]![b.length]!;
}

/** The candidate closest to `word`, when it is close enough to be a typo (or a prefix of exactly one). */
export function nearest(word: string, candidates: readonly string[]): string | undefined {
  const prefixed = candidates.filter((c) => c.startsWith(word));
  if (word.length >= 2 && prefixed.length === 1) return prefixed[0];
  let best: string | undefined;
  let bestD = Infinity;
  for (const c of candidates) {
    const d = distance(word, c);
    if (d < bestD) [best, bestD] = [c, d];
  }
  return bestD <= Math.max(1, Math.floor(word.length / 3)) ? best : undefined;
}

/** ' (did you mean X?)' or ''. */
export function didYouMean(word: string, candidates: readonly string[], show: (c: string) => string = (c) => c): string {
  const n = nearest(word, candidates);
  return n === undefined ? '' : ` (did you mean ${show(n)}?)`;
}

/**
 * node:util parseArgs (strict) with errors turned into UsageError naming the
 * command; an unknown flag names the nearest valid one. Every command gets
 * --help/-h, so `values.help` is always there to check.
 */
export function parse<T extends Options>(command: string, argv: string[], options: T, allowPositionals = true) {
  const all = { ...HELP_OPTION, ...options } as T & typeof HELP_OPTION;
  try {
    return parseArgs({ args: argv, options: all, allowPositionals, strict: true });
  } catch (err) {
    const e = err as Error & { code?: string };
    if (e.code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION') {
      const flag = /'(-{1,2}[^']+)'/.exec(e.message)?.[1] ?? '';
      const hint = didYouMean(flag.replace(/^-+/, ''), Object.keys(all), (c) => `--${c}`);
      throw new UsageError(`${command}: unknown option ${flag}${hint}; see \`simclr-workbench ${command} --help\``);
    }
    throw new UsageError(`${command}: ${e.message}`);
  }
}

/** Whether argv asks for help (before any `--`). */
function wantsHelp(argv: readonly string[]): boolean {
  const end = argv.indexOf('--');
  return (end < 0 ? argv : argv.slice(0, end)).some((a) => a === '--help' || a === '-h');
}

/**
 * A number flag, strictly: plain decimal notation only ("10", "-0.5", "1e-6"),
 * so "0x10", "1_000", "Infinity" or "" are errors rather than surprises.
 */
export function parseNumber(command: string, flag: string, text: string | undefined, opts: { int?: boolean; min?: number; max?: number } = {}): number | undefined {
  if (text === undefined) return undefined;
  const t = text.trim();
  if (!/^[+-]?(\d+\.?\d*|\.\d+)(e[+-]?\d+)?$/i.test(t)) throw new UsageError(`${command}: --${flag} expects a number, got "${text}"`);
  const n = Number(t);
  if (opts.int && !Number.isInteger(n)) throw new UsageError(`${command}: --${flag} expects a whole number, got "${text}"`);
  if (opts.min !== undefined && n < opts.min) throw new UsageError(`${command}: --${flag} must be at least ${opts.min}, got ${text}`);
  if (opts.max !== undefined && n > opts.max) throw new UsageError(`${command}: --${flag} must be at most ${opts.max}, got ${text}`);
  return n;
}

/** A comma-separated list of numbers ("0.01,0.1,1"). */
export function parseNumberList(command: string, flag: string, text: string | undefined): number[] | undefined {
  return text === undefined ? undefined : text.split(',').map((s) => parseNumber(command, flag, s)!);
}

/** A flag whose value must be one of `allowed`. */
export function parseChoice<T extends string>(command: string, flag: string, text: string | undefined, allowed: readonly T[]): T | undefined {
  if (text === undefined) return undefined;
  if (!(allowed as readonly string[]).includes(text)) throw new UsageError(`${command}: --${flag} must be one of ${allowed.join(', ')}, got "${text}"${didYouMean(text, allowed)}`);
  return text as T;
}

type CommandRun = (argv: string[]) => Promise<number | void>;

export interface Command {
  /** the help text; for commands with subcommands, the text for `argv` (a subcommand's own when it names one) */
  help: (argv: string[]) => string;
  run: CommandRun;
}

/** A command that answers --help/-h (anywhere before `--`) with its help text, on stdout, exit 0. */
export function defineCommand(help: string | ((argv: string[]) => string), run: CommandRun): Command {
  const helpOf = typeof help === 'string' ? () => help : help;
  return {
    help: helpOf,
    async run(argv) {
      if (wantsHelp(argv)) {
        console.log(helpOf(argv));
        return 0;
      }
      return run(argv);
    },
  };
}
