/** Stopping on a signal, with the shell's exit codes: 130 for SIGINT (Ctrl-C), 143 for SIGTERM. */
import { ExitCode } from '../exit-codes.js';

/**
 * Calls `stop` with the exit code of the first SIGINT or SIGTERM; a second one exits at once (the
 * impatient user's way out). Returns the function that stops listening.
 *
 * The handlers stay registered until then (not `once`): a library that restores the terminal on
 * exit (ora's cursor, through signal-exit) re-raises a signal it finds no other handler for, which
 * killed a load-mode `send` before it could print its summary.
 */
export function onStopSignal(stop: (code: number) => void): () => void {
  let stopping = false;
  const on = (code: number) => () => {
    if (stopping) process.exit(code);
    stopping = true;
    stop(code);
  };
  const interrupted = on(ExitCode.interrupted);
  const terminated = on(ExitCode.terminated);
  process.on('SIGINT', interrupted);
  process.on('SIGTERM', terminated);
  return () => {
    process.off('SIGINT', interrupted);
    process.off('SIGTERM', terminated);
  };
}

/** Resolves with the exit code of the first SIGINT or SIGTERM. */
export const untilStopSignal = () => new Promise<number>((resolve) => onStopSignal(resolve));
