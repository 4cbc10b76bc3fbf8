/**
 * Cancellation, the same everywhere in the engine: a long-running function
 * takes `signal?: AbortSignal`, checks it between steps with throwIfAborted,
 * and rejects with an AbortError (err.name === 'AbortError', like fetch's),
 * which the job runner reports as `cancelled` and the CLI as exit code 130.
 */

export function abortError(message = 'cancelled'): Error {
  const err = new Error(message);
  err.name = 'AbortError';
  return err;
}

export function throwIfAborted(signal: AbortSignal | undefined, message?: string): void {
  if (signal?.aborted) throw abortError(message);
}

export function isAbortError(err: unknown): boolean {
  return err instanceof Error && err.name === 'AbortError';
}
