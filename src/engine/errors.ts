/**
 * Something a caller named does not exist: a run, a dataset, a job. Its
 * message says what was looked for and where, and how to list what there is.
 * The service reports it as `not_found` (HTTP 404); the CLI prints the message.
 */
export class NotFoundError extends Error {
  constructor(
    readonly what: 'run' | 'dataset' | 'job',
    readonly id: string,
    message: string,
  ) {
    super(message);
    this.name = 'NotFoundError';
  }
}
