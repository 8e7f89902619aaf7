/**
 * Exit codes are part of bluehook's contract with scripts: keep them stable.
 * 0 success, 1 a check failed, 2 usage or bad input, 3 network or target error,
 * 4 store or config error, 130 interrupted (Ctrl-C, SIGINT), 143 terminated (SIGTERM).
 */
export const ExitCode = {
  ok: 0,
  checkFailed: 1,
  usage: 2,
  network: 3,
  store: 4,
  interrupted: 130,
  terminated: 143,
} as const;
export type ExitCodeValue = (typeof ExitCode)[keyof typeof ExitCode];

/** An expected failure: shown as one line, no stack trace, with its exit code. */
export class BluehookError extends Error {
  constructor(
    message: string,
    readonly exitCode: ExitCodeValue,
    readonly hint?: string,
  ) {
    super(message);
    this.name = 'BluehookError';
  }
}

export const usageError = (message: string, hint?: string) => new BluehookError(message, ExitCode.usage, hint);
export const checkFailed = (message: string, hint?: string) => new BluehookError(message, ExitCode.checkFailed, hint);
export const networkError = (message: string, hint?: string) => new BluehookError(message, ExitCode.network, hint);
export const storeError = (message: string, hint?: string) => new BluehookError(message, ExitCode.store, hint);
