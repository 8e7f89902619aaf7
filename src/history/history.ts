/**
 * The delivery history: one interface, two engines (SQLite embedded, PostgreSQL shared). Every
 * command and the inspector go through it; nothing outside src/history knows which engine runs.
 */
import { isGood, statusOf, type DeliveryRecord } from './record.js';

export interface DeliveryFilter {
  direction?: 'in' | 'out';
  event?: string;
  webhookId?: string;
  /** true: valid (in) or delivered (out); false: invalid or failed. */
  valid?: boolean;
  /** Answer status: one code (404) or a class (4 for 4xx). */
  status?: number;
  statusClass?: number;
  /** Milliseconds since the epoch, inclusive / exclusive. */
  since?: number;
  until?: number;
  /** Only replays of this delivery id. */
  replayOf?: string;
  /** Only these ids. */
  ids?: readonly string[];
  /** Only deliveries that came through a relay with one of these relay delivery ids. */
  relayIds?: readonly string[];
  /** A prefix of the id, or a part of the event name (case-insensitive). */
  search?: string;
}

export type Order = 'newest' | 'oldest';

export interface PageRequest {
  order?: Order;
  /** Records per page (default 100, at most 1000). */
  limit?: number;
  /** The `next` cursor of the previous page. */
  after?: string | null;
}

export interface Page<T = DeliveryRecord> {
  records: T[];
  /** Cursor for the following page, or null when this one was the last. */
  next: string | null;
}

/** What a list shows of a record: everything but the body and headers (which a list never needs). */
export interface DeliverySummary {
  id: string;
  time: string;
  direction: 'in' | 'out';
  event: string | null;
  webhookId: string | null;
  /** The answer's status, if there was one. */
  status: number | null;
  /** Valid (in) or delivered (out). */
  valid: boolean | null;
  url: string;
  replayOf: string | null;
  /** Sent by a check run: its id and the check (see record.ts). */
  checkRun: { id: string; check: string } | null;
  /** The body's size in bytes. */
  bytes: number;
  /** Why it is not valid (in) or not delivered (out), in a word or two. */
  problem: string | null;
}

export interface Retention {
  /** Remove records older than this many milliseconds. */
  maxAgeMs?: number;
  /** Keep at most this many records (the newest). */
  maxRecords?: number;
}

export interface History {
  readonly engine: 'sqlite' | 'postgres';
  /** Where it lives, safe to print (a PostgreSQL URL without its password). */
  readonly location: string;
  /**
   * Queues a record; resolves once the transaction holding it (with every record queued in the
   * same event-loop turn) has committed. Rejects when it could not be recorded. `bytes`, when the
   * caller holds the body's bytes already, saves decoding `record.body` again.
   */
  append(record: DeliveryRecord, bytes?: Uint8Array): Promise<void>;
  /** Imports records, skipping ids already present; returns how many were added. */
  importRecords(records: readonly DeliveryRecord[]): Promise<number>;
  /** By exact id or unique prefix; a usage error when none or several match. */
  get(ref: string): Promise<DeliveryRecord>;
  query(filter: DeliveryFilter, page?: PageRequest): Promise<Page>;
  /** The same selection and paging as `query`, without bodies and headers. */
  summaries(filter: DeliveryFilter, page?: PageRequest): Promise<Page<DeliverySummary>>;
  count(filter?: DeliveryFilter): Promise<number>;
  /** Records that land after the call, oldest first, until the signal aborts. */
  follow(
    filter: DeliveryFilter,
    options: { signal: AbortSignal; intervalMs?: number },
  ): AsyncIterable<DeliveryRecord>;
  /** Removes what the filter selects (ids, or any filter) and nothing else; returns how many. */
  remove(filter: DeliveryFilter): Promise<number>;
  /** Applies a retention policy in small batches, so writers are never held up for long. */
  prune(retention: Retention): Promise<number>;
  /** Waits for queued appends. */
  drain(): Promise<void>;
  close(): Promise<void>;
}

/** One page of something the history lists (records or summaries). */
export type PageSource<T> = (page: PageRequest) => Promise<Page<T>>;

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
