/** Stopping on a signal, with the shell's exit codes: 130 for SIGINT (Ctrl-C), 143 for SIGTERM. */
import { ExitCode } from '../exit-codes.js';

/** Calls `stop` with the exit code of the first SIGINT or SIGTERM; returns the function that stops listening. */
export function onStopSignal(stop: (code: number) => void): () => void {
  const interrupted = () => stop(ExitCode.interrupted);
  const terminated = () => stop(ExitCode.terminated);
  process.once('SIGINT', interrupted);
  process.once('SIGTERM', terminated);
  return () => {
    process.off('SIGINT', interrupted);
    process.off('SIGTERM', terminated);
  };
}

/** Resolves with the exit code of the first SIGINT or SIGTERM. */
export const untilStopSignal = () => new Promise<number>((resolve) => onStopSignal(resolve));
