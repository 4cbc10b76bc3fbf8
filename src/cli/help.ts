/**
 * Help text pieces derived from the schemas (choices, defaults), so `--help`
 * cannot drift from what the command accepts.
 */

/** "a | b | c" */
export const choices = (values: readonly (string | number)[]): string => values.join(' | ');

/** One flag row: [flag and value name, description, default (omitted: none shown)]. */
type FlagRow = readonly [flag: string, description: string, defaultValue?: unknown];

/** A default as a person writes it: 1e-6 rather than 0.000001, "SimCLR CIFAR" quoted. */
export function show(value: unknown): string {
  if (typeof value === 'string') return /\s/.test(value) ? `"${value}"` : value;
  if (typeof value === 'number' && value !== 0 && Math.abs(value) < 1e-3) return value.toExponential().replace(/\.?0+e/, 'e').replace('e-', 'e-');
  return String(value);
}

/** Descriptions longer than this push their default to the right instead of widening every row. */
const DESC_COLUMN = 48;

/** Aligned flag rows: `  --flag VALUE   description   (default X)`. */
export function flagTable(rows: readonly FlagRow[]): string {
  const flagWidth = Math.max(...rows.map(([f]) => f.length)) + 2;
  const descWidth = Math.min(DESC_COLUMN, Math.max(...rows.filter((r) => r.length > 2).map(([, d]) => d.length))) + 2;
  return rows
    .map(([flag, desc, ...rest]) => {
      const left = `  ${flag.padEnd(flagWidth)}${rest.length ? `${desc}  `.padEnd(descWidth) : desc}`;
      return rest.length ? `${left}(default ${show(rest[0])})`.trimEnd() : left.trimEnd();
    })
    .join('\n');
}
