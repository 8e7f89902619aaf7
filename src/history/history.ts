/**
 * The delivery history: one interface, two engines (SQLite embedded, PostgreSQL shared). Every
 * command and the inspector go through it; nothing outside src/history knows which engine runs.
 */
import { isGood, statusOf } from './record.js';
import type { DeliveryRecord, DeliverySummary, History, Order, Page, PageSource } from './types.js';

export type {
  DeliveryFilter,
  Order,
  Page,
  PageRequest,
  DeliverySummary,
  Retention,
  HistorySpec,
  History,
  PageSource,
} from './types.js';

/** Everything a source selects, page by page, in constant memory. */
export async function* iterate<T>(
  source: PageSource<T>,
  order: Order = 'oldest',
  pageSize = 500,
): AsyncGenerator<T> {
  let after: string | null = null;
  do {
    const page: Page<T> = await source({ order, limit: pageSize, after });
    yield* page.records;
    after = page.next;
  } while (after);
}

/** The newest `n` a source selects, returned oldest first. */
export async function newest<T>(source: PageSource<T>, n: number): Promise<T[]> {
  const out: T[] = [];
  let after: string | null = null;
  do {
    const page: Page<T> = await source({
      order: 'newest',
      limit: Math.min(1000, n - out.length),
      after,
    });
    out.push(...page.records);
    after = page.next;
  } while (after && out.length < n);
  return out.reverse();
}

/** Resolves several references, in order; each must match exactly one record. */
export async function getAll(history: History, refs: readonly string[]): Promise<DeliveryRecord[]> {
  const out: DeliveryRecord[] = [];
  for (const ref of refs) out.push(await history.get(ref));
  return out;
}

/** Resolves after `ms`, or at once when the signal aborts. */
export function sleepUnlessAborted(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(done, ms);
    function done() {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    }
    signal.addEventListener('abort', done, { once: true });
  });
}

/** A whole record's summary, as `summaries` would list it. */
export function summarize(r: DeliveryRecord): DeliverySummary {
  const valid = isGood(r) ?? null;
  return {
    id: r.id,
    time: r.time,
    direction: r.direction,
    event: r.event,
    webhookId: r.webhookId ?? null,
    status: statusOf(r) ?? null,
    valid,
    url: r.url,
    replayOf: r.replayOf ?? null,
    checkRun: r.checkRun ?? null,
    bytes:
      r.bodyEncoding === 'base64' ? Buffer.byteLength(r.body, 'base64') : Buffer.byteLength(r.body),
    problem: valid
      ? null
      : r.direction === 'in'
        ? (r.verdict?.cause ?? null)
        : (r.response?.error ?? 'failed'),
  };
}
