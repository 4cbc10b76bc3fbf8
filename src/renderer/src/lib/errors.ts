import { ApiCallFailed } from './api';
import { friendlyProblems, problemCount } from './messages';

/** What an inline error shows: one message, per-field problems, and a process log tail for crashes. */
export interface ShownError {
  message: string;
  code?: string;
  issues: { path: string; message: string }[];
  logTail: string[];
}

export function toShownError(err: unknown): ShownError {
  if (err instanceof ApiCallFailed) {
    const issues = friendlyProblems(err.issues);
    // The server's message repeats every issue in schema words; the list below says them better.
    const message = err.code === 'bad_request' && issues.length ? `${problemCount(issues.length)} in what was sent:` : err.message;
    return { message, code: err.code, issues, logTail: err.logTail };
  }
  if (err instanceof Error) return { message: err.message, issues: [], logTail: [] };
  return { message: String(err), issues: [], logTail: [] };
}

/** The problem reported for one field (its path or a path below it), for a form's inline hint. */
export function issueFor(error: ShownError | null, path: string): string | undefined {
  if (!error) return undefined;
  const hit = error.issues.find((i) => i.path === path || i.path.startsWith(`${path}.`));
  return hit?.message;
}
