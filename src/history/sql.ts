/**
 * What the two SQL engines share: how a record maps to a row and back, and how a filter and a
 * page become a WHERE clause. Only the placeholder style differs (`?` for SQLite, `$n` for PG).
 */
import { notFoundError, usageError } from '../errors.js';
import type { DeliveryFilter, DeliverySummary, Order, PageRequest } from './history.js';
import { decodeBody, encodeBody, isGood, statusOf, type DeliveryRecord } from './record.js';

/** The columns of a delivery row, in insert order. */
export const COLUMNS = [
  'id',
  'time_ms',
  'direction',
  'event',
  'webhook_id',
  'valid',
  'status',
  'replay_of',
  'url',
  'method',
  'headers',
  'body',
  'detail',
  'drift',
  'relay_id',
] as const;

export interface DeliveryRow {
  seq?: number | string;
  id: string;
  time_ms: number | string;
  direction: string;
  event: string | null;
  webhook_id: string | null;
  valid: number | boolean | null;
  status: number | null;
  replay_of: string | null;
  url: string;
  method: string;
  headers: string;
  body: Buffer;
  detail: string;
  /** 2: the record drifts from the schema (warning), 1: only new keys or an unknown event (info). */
  drift?: number | null;
  relay_id?: string | null;
}

/** The columns that are the record itself; everything else goes to `detail` as JSON. */
const OWN = new Set([
  'id',
  'direction',
  'time',
  'event',
  'webhookId',
  'url',
  'method',
  'headers',
  'body',
  'bodyEncoding',
  'relayId',
]);

export function toRow(r: DeliveryRecord, bytes?: Uint8Array): unknown[] {
  const detail: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(r)) if (!OWN.has(k) && v !== undefined) detail[k] = v;
  const valid = isGood(r);
  const body = bytes
    ? Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength)
    : decodeBody(r);
  return [
    r.id,
    Date.parse(r.time),
    r.direction,
    r.event ?? null,
    r.webhookId ?? null,
    valid === undefined ? null : valid ? 1 : 0,
    statusOf(r) ?? null,
    r.replayOf ?? null,
    r.url,
    r.method,
    JSON.stringify(r.headers),
    body,
    JSON.stringify(detail),
    driftColumn(r),
    r.relayId ?? null,
  ];
}

const DRIFT_LEVELS = { info: 1, warning: 2 } as const;
const driftColumn = (r: DeliveryRecord) => (r.drift ? DRIFT_LEVELS[r.drift.level] : null);
const driftOfColumn = (v: unknown): DeliverySummary['drift'] =>
  v === null || v === undefined ? null : Number(v) >= 2 ? 'warning' : 'info';

export function fromRow(row: DeliveryRow): DeliveryRecord {
  return {
    id: row.id,
    direction: row.direction as DeliveryRecord['direction'],
    time: new Date(Number(row.time_ms)).toISOString(),
    event: row.event,
    webhookId: row.webhook_id,
    url: row.url,
    method: row.method,
    headers: JSON.parse(row.headers) as Record<string, string>,
    ...encodeBody(row.body),
    ...(row.relay_id ? { relayId: row.relay_id } : {}),
    ...(JSON.parse(row.detail) as Partial<DeliveryRecord>),
  };
}

/** The columns a summary needs: no body, no headers (`bytes` is the engine's length of the body). */
export const summaryColumns = (lengthOf: string) =>
  `seq, id, time_ms, direction, event, webhook_id, valid, status, replay_of, url, ${lengthOf}(body) AS bytes, detail, drift`;

export function summaryFromRow(
  row: Omit<DeliveryRow, 'headers' | 'body' | 'method'> & { bytes: number | string },
): DeliverySummary {
  const valid = row.valid === null ? null : Boolean(Number(row.valid));
  // Only a failed delivery's detail is read (for its problem), or a check run's (for its mark): a
  // list of 100k valid ones parses none.
  const detail =
    valid && !row.detail.includes('"checkRun":{')
      ? {}
      : (JSON.parse(row.detail) as Partial<DeliveryRecord>);
  return {
    id: row.id,
    time: new Date(Number(row.time_ms)).toISOString(),
    direction: row.direction as DeliverySummary['direction'],
    event: row.event,
    webhookId: row.webhook_id,
    status: row.status,
    valid,
    url: row.url,
    replayOf: row.replay_of,
    checkRun: detail.checkRun ?? null,
    bytes: Number(row.bytes),
    drift: driftOfColumn(row.drift),
    problem: valid
      ? null
      : row.direction === 'in'
        ? (detail.verdict?.cause ?? null)
        : (detail.response?.error ?? 'failed'),
  };
}

/** Adds a bound value and returns its placeholder. */
export type Bind = (value: unknown) => string;

/** Collects the values of one statement; `placeholder` is the engine's style (`?` or `$n`). */
export function binder(placeholder: (n: number) => string): { values: unknown[]; bind: Bind } {
  const values: unknown[] = [];
  const bind = (v: unknown) => {
    values.push(v);
    return placeholder(values.length);
  };
  return { values, bind };
}

function integer(n: number): number {
  if (!Number.isInteger(n)) throw usageError(`not a whole number: ${n}`, undefined, 'bad-number');
  return n;
}

const escapeLike = (s: string) => s.replace(/[\\%_]/g, (c) => `\\${c}`);

/** The words of a search, as both engines' indexes cut text: letters and digits, nothing else. */
export const searchWords = (text: string): string[] =>
  text
    .toLowerCase()
    .split(/[^\p{L}\p{N}]+/u)
    .filter((w) => w !== '');

/**
 * The seqs of rows whose indexed text holds every word (the last one as a prefix: the word being
 * typed), as a query selecting a column named `seq`.
 */
export type TextSearch = ((words: string[], bind: Bind) => string) & { table: string };

/** SQLite: the FTS5 table, each word a quoted string (no operator can be smuggled in). */
export const sqliteTextSearch: TextSearch = Object.assign(
  (words: string[], bind: Bind) =>
    `SELECT rowid AS seq FROM deliveries_search WHERE deliveries_search MATCH ${bind(
      words.map((w, i) => `"${w}"${i === words.length - 1 ? '*' : ''}`).join(' '),
    )}`,
  { table: 'deliveries' },
);

/** The conditions of a filter, joined with AND (or `1=1`). */
export function whereOf(
  f: DeliveryFilter,
  bind: Bind,
  caseInsensitiveLike: string,
  textSearch?: TextSearch,
): string {
  const where: string[] = [];
  if (f.direction) where.push(`direction = ${bind(f.direction)}`);
  if (f.event) where.push(`event = ${bind(f.event)}`);
  if (f.webhookId) where.push(`webhook_id = ${bind(f.webhookId)}`);
  // Literals, not parameters, where the schema's partial indexes (rare values: invalid deliveries,
  // answers of 300 and more) must be seen to apply; all three are numbers checked here.
  if (f.valid !== undefined) where.push(`valid = ${f.valid ? 1 : 0}`);
  // `status >= 300` spelled out: SQLite uses a partial index only when the query repeats its terms.
  const unanswered = (low: number) => (low >= 300 ? 'status >= 300 AND ' : '');
  if (f.status !== undefined) where.push(`${unanswered(integer(f.status))}status = ${f.status}`);
  if (f.statusClass !== undefined)
    where.push(
      `${unanswered(integer(f.statusClass) * 100)}status >= ${f.statusClass * 100} AND status < ${f.statusClass * 100 + 100}`,
    );
  if (f.since !== undefined) where.push(`time_ms >= ${bind(f.since)}`);
  if (f.until !== undefined) where.push(`time_ms < ${bind(f.until)}`);
  if (f.replayOf) where.push(`replay_of = ${bind(f.replayOf)}`);
  // The run id is inside the record's detail (JSON written by toRow); checked to be [\w-] only.
  if (f.checkRun) where.push(`detail LIKE ${bind(`%"checkRun":{"id":"${f.checkRun}"%`)}`);
  // A literal, so that the partial index on drifting records applies.
  if (f.drift === 'any') where.push('drift IS NOT NULL');
  else if (f.drift === 'warning') where.push('drift IS NOT NULL AND drift >= 2');
  if (f.relayIds)
    where.push(
      f.relayIds.length ? `relay_id IN (${f.relayIds.map((id) => bind(id)).join(', ')})` : '1=0',
    );
  if (f.ids) where.push(f.ids.length ? `id IN (${f.ids.map((id) => bind(id)).join(', ')})` : '1=0');
  if (f.search) {
    const s = f.search.trim();
    // What it matched before (an id prefix, a part of the event name), or the words anywhere in the
    // id, event, headers or body, through the engine's full-text index.
    // Bound in the order they appear (placeholders may be positional). With the index, each part is
    // a set of seqs found by its own index (the id's, the event's, the text's): an OR of the three
    // in one WHERE would read every row, bodies and all.
    const words = textSearch ? searchWords(s) : [];
    const table = textSearch?.table ?? '';
    const prefix = prefixCondition(s.toLowerCase(), bind);
    const event = `event ${caseInsensitiveLike} ${bind(`%${escapeLike(s)}%`)} ESCAPE '\\'`;
    where.push(
      words.length > 0
        ? `seq IN (SELECT seq FROM ${table} WHERE ${prefix} UNION ALL SELECT seq FROM ${table} WHERE ${event} UNION ALL SELECT seq FROM (${textSearch!(words, bind)}) AS text_search)`
        : `(${prefix} OR ${event})`,
    );
  }
  return where.length ? where.join(' AND ') : '1=1';
}

/** Ids starting with a prefix, as a range so that the primary index serves it. */
export const prefixCondition = (prefix: string, bind: Bind) =>
  `(id >= ${bind(prefix)} AND id < ${bind(`${prefix}\uffff`)})`;

export const PAGE_DEFAULT = 100;
export const PAGE_MAX = 1000;

/** Keyset paging over `seq`: the cursor is the last seq seen. */
export function pageOf(
  page: PageRequest,
  bind: Bind,
): { where: string; orderBy: string; limit: number; order: Order } {
  const order = page.order ?? 'newest';
  const limit = Math.min(Math.max(1, page.limit ?? PAGE_DEFAULT), PAGE_MAX);
  let where = '1=1';
  if (page.after) {
    if (!/^\d{1,18}$/.test(page.after))
      throw usageError(`invalid page cursor "${page.after}"`, undefined, 'bad-page-cursor');
    where = `seq ${order === 'newest' ? '<' : '>'} ${bind(Number(page.after))}`;
  }
  return { where, orderBy: `seq ${order === 'newest' ? 'DESC' : 'ASC'}`, limit, order };
}

/** "no recorded delivery" / "ambiguous" for a reference that did not match exactly one. */
export function refError(ref: string, matches: number): Error {
  return matches
    ? usageError(
        `delivery "${ref}" is ambiguous (${matches} or more match); use more of the id`,
        undefined,
        'ambiguous-delivery',
      )
    : notFoundError(
        `no recorded delivery "${ref}"`,
        'see `bluehook deliveries list`',
        'delivery-not-found',
      );
}

/** How many rows a retention or removal statement deletes per transaction. */
export const DELETE_BATCH = 2000;
