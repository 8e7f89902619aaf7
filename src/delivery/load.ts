/**
 * The load runner: `concurrency` workers pull delivery numbers until the count or the duration
 * is reached, optionally paced to `rate` per second overall.
 */
import { setTimeout as sleep } from 'node:timers/promises';

export interface LoadOptions {
  count?: number;
  durationMs?: number;
  concurrency: number;
  /** Deliveries started per second, overall. */
  rate?: number;
  signal?: AbortSignal;
}

export async function runLoad(
  options: LoadOptions,
  work: (index: number) => Promise<void>,
): Promise<number> {
  const started = performance.now();
  const deadline = options.durationMs !== undefined ? started + options.durationMs : Infinity;
  const limit = options.count ?? Infinity;
  let next = 0;
  let completed = 0;
  const worker = async () => {
    for (;;) {
      if (options.signal?.aborted || performance.now() >= deadline) return;
      const index = next++;
      if (index >= limit) return;
      if (options.rate) {
        const due = started + (index * 1000) / options.rate;
        const wait = due - performance.now();
        if (wait > 0) await sleep(wait);
        if (performance.now() >= deadline) return;
      }
      await work(index);
      completed++;
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, options.concurrency) }, worker));
  return completed;
}
