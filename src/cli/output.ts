/**
 * What every command prints, and where: results on stdout, progress and
 * warnings on stderr. With --json, stdout holds exactly one JSON document (the
 * result) and progress goes to stderr as JSON lines ({"type": ...}), so
 * `cmd --json > result.json` and `cmd --json 2> progress.jsonl` both work.
 */

/** The result: `value` as JSON with --json, else the text. */
export function printResult(json: boolean, value: unknown, text: () => string): void {
  console.log(json ? JSON.stringify(value, null, 2) : text());
}

/** One progress event as a JSON line on stderr. */
export function printJsonProgress(event: object): void {
  process.stderr.write(JSON.stringify(event) + '\n');
}
