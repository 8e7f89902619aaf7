/**
 * The history's types, and nothing that runs: a recorded delivery, filters, pages, the `History`
 * contract. Type imports only, so that anything may import it (the inspector's page included)
 * without loading an engine. history.ts and record.ts re-export these names.
 */
import type { BluehookError } from '../errors.js';
import type { Drift } from '../schema/drift.js';

export interface AttemptRecord {
  attempt: number;
  status?: number;
  durationMs: number;
  error?: string;
}

export interface DeliveryRecord {
  id: string;
  direction: 'out' | 'in';
  /** ISO time the delivery was sent or received. */
  time: string;
  event: string | null;
  webhookId?: string | null;
  /** Where it was sent (out) or the path it arrived on (in). */
  url: string;
  method: string;
  headers: Record<string, string>;
  /** The body byte-exact: UTF-8 text when it round-trips, else base64. */
  body: string;
  bodyEncoding: 'utf8' | 'base64';
  // Outgoing deliveries.
  attempts?: AttemptRecord[];
  response?: { status?: number; headers?: Record<string, string>; body?: string; error?: string };
  ok?: boolean;
  replayOf?: string;
  /** Sent by `bluehook check`: the run (one id per run) and the check the request belongs to. */
  checkRun?: { id: string; check: string };
  // Incoming deliveries.
  remoteAddress?: string;
  /** The relay's delivery id, when it came through `bluehook relay` (one record per relay delivery). */
  relayId?: string;
  verdict?: { valid: boolean; cause: string; message: string; webhookId?: string | null };
  answer?: { status: number };
  /** How a valid received delivery differs from its event's schema (absent: it does not, or was not checked). */
  drift?: Drift;
}

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
  /** Only the requests of this `bluehook check` run (its run id). */
  checkRun?: string;
  /** Only these ids. */
  ids?: readonly string[];
  /** Only deliveries that came through a relay with one of these relay delivery ids. */
  relayIds?: readonly string[];
  /** A prefix of the id, or a part of the event name (case-insensitive). */
  search?: string;
  /** Only received deliveries that differ from their event's schema: any way, or with a warning. */
  drift?: 'any' | 'warning';
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
  /** How it differs from its event's schema: warning (missing or retyped keys), info (new keys only). */
  drift: 'warning' | 'info' | null;
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

/** Which history to open, as plain data, so that a worker thread can open the same one (history/open.ts opens it). */
export type HistorySpec =
  | { engine: 'sqlite'; storeDir: string; sync: 'normal' | 'full' }
  | { engine: 'postgres'; url: string; commitTimeoutMs?: number };

export interface History {
  readonly engine: 'sqlite' | 'postgres';
  /** Where it lives, safe to print (a PostgreSQL URL without its password). */
  readonly location: string;
  /**
   * Checks the whole store in the background where the engine can (SQLite); appends wait for the
   * verdict. Resolves with the error to report when the store is corrupt, or undefined.
   */
  checkInBackground?(): Promise<BluehookError | undefined>;
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
