/**
 * bluehook's one error type. The core says what kind of failure happened (a category) and gives it
 * a stable code; it never decides exit codes or terminal words: the CLI maps categories to exit
 * codes in one place (cli/exit-codes.ts), the inspector maps them to HTTP statuses.
 */

/**
 * - usage: the caller asked for something malformed or impossible (bad flag, bad input file).
 * - not-found: a named thing (webhook, delivery) does not exist.
 * - network: a target could not be reached or answered outside the protocol.
 * - store: the webhook store or the history cannot be read or written.
 * - config: a config file or environment variable is wrong.
 * - check: a check ran and failed (a signature does not verify, an expectation was not met).
 * - internal: a bug in bluehook.
 */
export type ErrorCategory =
  | 'usage'
  | 'not-found'
  | 'network'
  | 'store'
  | 'config'
  | 'check'
  | 'internal';

export interface ErrorDetails {
  /** What the user can do about it, shown after the message. */
  hint?: string;
  /** A stable identifier for scripts (`webhook-not-found`); defaults to the category. */
  code?: string;
  cause?: unknown;
}

/** An expected failure: shown as one line, no stack trace. */
export class BluehookError extends Error {
  readonly category: ErrorCategory;
  readonly code: string;
  readonly hint?: string;

  constructor(message: string, category: ErrorCategory, details: ErrorDetails = {}) {
    super(message, details.cause === undefined ? undefined : { cause: details.cause });
    this.name = 'BluehookError';
    this.category = category;
    this.code = details.code ?? category;
    this.hint = details.hint;
  }
}

const make =
  (category: ErrorCategory) =>
  (message: string, hint?: string, code?: string): BluehookError =>
    new BluehookError(message, category, { hint, code });

export const usageError = make('usage');
export const notFoundError = make('not-found');
export const checkFailed = make('check');
export const networkError = make('network');
export const storeError = make('store');
export const configError = make('config');
export const internalError = make('internal');

export const isBluehookError = (error: unknown, category?: ErrorCategory): error is BluehookError =>
  error instanceof BluehookError && (category === undefined || error.category === category);
