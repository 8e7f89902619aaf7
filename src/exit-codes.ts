/**
 * Exit codes are part of bluehook's contract with scripts: keep them stable. They are decided
 * here, from an error's category, and nowhere else.
 */
import type { ErrorCategory } from './errors.js';

/**
 * 0 success, 1 a check failed, 2 usage or bad input, 3 network or target error, 4 store or config
 * error, 70 internal error (a bug), 130 interrupted (SIGINT), 143 terminated (SIGTERM).
 */
export const ExitCode = {
  ok: 0,
  checkFailed: 1,
  usage: 2,
  network: 3,
  store: 4,
  internal: 70,
  interrupted: 130,
  terminated: 143,
} as const;
export type ExitCodeValue = (typeof ExitCode)[keyof typeof ExitCode];

const BY_CATEGORY: Record<ErrorCategory, ExitCodeValue> = {
  usage: ExitCode.usage,
  // A name that matches nothing is bad input from the command line's point of view.
  'not-found': ExitCode.usage,
  network: ExitCode.network,
  store: ExitCode.store,
  config: ExitCode.store,
  check: ExitCode.checkFailed,
  internal: ExitCode.internal,
};

export const exitCodeFor = (category: ErrorCategory): ExitCodeValue => BY_CATEGORY[category];

/** The one-line summary of the table, for help texts and the README. */
export const EXIT_CODES_TEXT =
  'Exit codes: 0 ok, 1 a check failed, 2 usage or bad input, 3 network or target error, 4 store or config error, 70 internal error (a bug), 130 interrupted (SIGINT), 143 terminated (SIGTERM).';
