/**
 * `listen --workers N`: N listener processes on one port (node:cluster hands each new connection to
 * the next worker). Each worker is a whole `listen` with its own connection to the history (SQLite
 * in WAL mode takes several writers; PostgreSQL is a server), so each one still records a delivery
 * before it answers it. This process only starts them, passes a stop signal on, and exits with the
 * worst code they exit with.
 */
import cluster, { type Worker } from 'node:cluster';
import { ExitCode } from '../exit-codes.js';
import { flushStreamLines } from './output.js';
import { onStopSignal } from './signals.js';

/** Set in a worker's environment: which worker it is (1-based) and of how many. */
export const WORKER_ENV = 'BLUEHOOK_LISTEN_WORKER';

/** In a worker: its number and the count, else undefined. */
export function listenWorker(): { index: number; of: number } | undefined {
  const value = process.env[WORKER_ENV];
  if (!cluster.isWorker || !value) return undefined;
  const [index, of] = value.split('/').map(Number);
  return { index: index!, of: of! };
}

const READY = 'bluehook-listen-ready';

/** In a worker: tells the primary that this worker now stops on SIGINT/SIGTERM (see below). */
export function workerReady(): void {
  process.send?.({ type: READY });
}

/**
 * A worker that is done: its last lines out, then off the primary's channel (which would keep it
 * alive), marked as leaving on purpose so that node does not end it before its exit code is set.
 */
export function leaveCluster(): void {
  flushStreamLines();
  cluster.worker?.disconnect();
}

export async function runListenWorkers(count: number): Promise<number> {
  const workers = new Set<Worker>();
  let stopping: NodeJS.Signals | undefined;
  // The exit code of the first worker that ended on its own (a crash, a kill -9, a store error).
  let failure: number | undefined;
  // Workers whose stop handlers are in place: a signal passed on earlier would end one by the
  // default action, without its summary, so a starting worker gets it once it says it is ready.
  const ready = new Set<Worker>();
  const done = new Promise<void>((resolve) => {
    const stopAll = (signal: NodeJS.Signals) => {
      stopping ??= signal;
      for (const w of ready) w.process.kill(signal);
    };
    onStopSignal((code) => stopAll(code === ExitCode.interrupted ? 'SIGINT' : 'SIGTERM'));
    for (let i = 1; i <= count; i++) {
      const worker = cluster.fork({ [WORKER_ENV]: `${i}/${count}` });
      workers.add(worker);
      worker.on('message', (message: { type?: string }) => {
        if (message?.type !== READY) return;
        ready.add(worker);
        if (stopping) worker.process.kill(stopping);
      });
      worker.on('exit', (code) => {
        workers.delete(worker);
        ready.delete(worker);
        if (!stopping) {
          // One worker gone on its own (code null: killed by a signal): the others stop too.
          failure = code || ExitCode.internal;
          stopAll('SIGTERM');
        }
        if (!workers.size) resolve();
      });
    }
  });
  await done;
  if (failure !== undefined) return failure;
  return stopping === 'SIGINT'
    ? ExitCode.interrupted
    : stopping === 'SIGTERM'
      ? ExitCode.terminated
      : ExitCode.ok;
}
