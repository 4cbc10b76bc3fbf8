import type { ApiError, ErrorCode } from '../../shared/api.js';
import { isAbortError } from '../abort.js';
import { NotFoundError } from '../errors.js';
import { ValidationError } from '../../shared/validation.js';

/** An error that crosses a process or transport boundary as an ApiError. */
export class ApiCallError extends Error {
  readonly code: ErrorCode;
  readonly issues?: ApiError['issues'];
  readonly logTail?: string[];

  constructor(code: ErrorCode, message: string, extra: { issues?: ApiError['issues']; logTail?: string[] } = {}) {
    super(message);
    this.name = 'ApiCallError';
    this.code = code;
    if (extra.issues) this.issues = extra.issues;
    if (extra.logTail) this.logTail = extra.logTail;
  }

  toJSON(): ApiError {
    return { code: this.code, message: this.message, ...(this.issues ? { issues: this.issues } : {}), ...(this.logTail ? { logTail: this.logTail } : {}) };
  }
}

/**
 * Any thrown value as an ApiError. Engine errors keep their message (it names
 * the file or field); cancellation and missing files get their own codes.
 */
export function toApiError(err: unknown): ApiError {
  if (err instanceof ApiCallError) return err.toJSON();
  if (err instanceof Error) {
    if (err instanceof NotFoundError) return { code: 'not_found', message: err.message };
    if (err instanceof ValidationError) return { code: 'engine_error', message: err.message, issues: err.issues };
    if (isAbortError(err)) return { code: 'cancelled', message: err.message || 'cancelled' };
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return { code: 'not_found', message: err.message };
    if (code === 'EACCES' || code === 'EPERM') return { code: 'forbidden', message: err.message };
    return { code: 'engine_error', message: err.message };
  }
  return { code: 'internal', message: String(err) };
}

