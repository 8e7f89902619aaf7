/** Retention while a writer runs: applied at start and every ten minutes, in the background. */
import type { ConfigValues } from '../config/config.js';
import type { History } from '../history/history.js';
import { retentionOf } from '../history/open.js';

const EVERY_MS = 10 * 60_000;

export function startRetention(
  history: History,
  values: ConfigValues,
  say: (line: string) => void,
): { stop(): void; done: Promise<void> } {
  const policy = retentionOf(values);
  if (!policy) return { stop: () => undefined, done: Promise.resolve() };
  let running: Promise<void> = Promise.resolve();
  const apply = () => {
    running = history.prune(policy).then(
      (n) => (n ? say(`retention: removed ${n} old deliver${n === 1 ? 'y' : 'ies'}`) : undefined),
      (e: Error) => say(`retention could not run: ${e.message}`),
    );
  };
  apply();
  const timer = setInterval(apply, EVERY_MS).unref();
  return {
    stop: () => clearInterval(timer),
    get done() {
      return running;
    },
  };
}
