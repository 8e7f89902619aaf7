/**
 * Splits a plain load job across worker threads. One thread cannot both build, sign and record
 * deliveries and drive undici at the rate a dedicated load tool reaches; each worker has its own
 * pool and its own append-only log descriptor (O_APPEND keeps every line whole).
 */
import { Worker } from 'node:worker_threads';
import { runLoadJob, type LoadJob, type LoadJobHooks } from './load-job.js';
import { LoadStats } from './stats.js';

/** Shares a job among `threads`: counts, concurrency and rate split, seeds kept distinct. */
export function splitJob(job: LoadJob, threads: number): LoadJob[] {
  const share = (n: number | undefined, i: number) =>
    n === undefined ? undefined : Math.floor(n / threads) + (i < n % threads ? 1 : 0);
  return Array.from({ length: threads }, (_, i) => ({
    ...job,
    count: share(job.count, i),
    concurrency: Math.max(1, share(job.concurrency, i)!),
    rate: job.rate === undefined ? undefined : job.rate / threads,
    payload: {
      ...job.payload,
      seed: job.payload.seed === undefined ? undefined : `${job.payload.seed}:t${i}`,
    },
    indexBase: i,
    indexStride: threads,
  })).filter((j) => j.count === undefined || j.count > 0);
}

export async function runParallelLoad(
  job: LoadJob,
  threads: number,
  hooks: LoadJobHooks = {},
): Promise<LoadStats> {
  const stats = new LoadStats();
  if (threads <= 1) {
    stats.absorb((await runLoadJob(job, hooks)).parts());
    return stats;
  }
  const progress: number[] = [];
  const failures: number[] = [];
  const workers = splitJob(job, threads).map((part, i) => {
    const worker = new Worker(new URL('./load-worker.js', import.meta.url), { workerData: part });
    progress[i] = 0;
    failures[i] = 0;
    const onAbort = () => worker.postMessage({ type: 'abort' });
    hooks.signal?.addEventListener('abort', onAbort, { once: true });
    return new Promise<void>((resolve, reject) => {
      worker.on(
        'message',
        (m: {
          type: string;
          lines?: string[];
          sent?: number;
          failed?: number;
          parts?: ReturnType<LoadStats['parts']>;
        }) => {
          if (m.type === 'lines') hooks.onLines?.(m.lines!);
          else if (m.type === 'progress') {
            progress[i] = m.sent!;
            failures[i] = m.failed ?? 0;
            hooks.onProgress?.(
              progress.reduce((a, b) => a + b, 0),
              failures.reduce((a, b) => a + b, 0),
            );
          } else if (m.type === 'done') stats.absorb(m.parts!);
        },
      );
      worker.on('error', reject);
      worker.on('exit', () => {
        hooks.signal?.removeEventListener('abort', onAbort);
        resolve();
      });
    });
  });
  await Promise.all(workers);
  return stats;
}
