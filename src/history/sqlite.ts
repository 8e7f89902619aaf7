/**
 * The embedded history engine: the `deliveries` table of the store directory's SQLite database.
 * Appends queued in one event-loop turn are committed in one transaction; a caller's promise
 * resolves only after that commit, so whatever `listen` acknowledges survives kill -9.
 */
import { setImmediate as nextTurn } from 'node:timers/promises';
import { TurnBatch } from './batch.js';
import type { Database, SyncMode } from '../db/database.js';
import { databaseError } from '../db/database.js';
import { localDatabase } from '../db/local-database.js';
import {
  sleepUnlessAborted,
  type DeliveryFilter,
  type DeliverySummary,
  type History,
  type Page,
  type PageRequest,
  type Retention,
} from './history.js';
import type { DeliveryRecord } from './record.js';
import {
  binder as sqlBinder,
  COLUMNS,
  DELETE_BATCH,
  fromRow,
  pageOf,
  prefixCondition,
  refError,
  summaryColumns,
  summaryFromRow,
  toRow,
  whereOf,
  type DeliveryRow,
} from './sql.js';

const INSERT = `INSERT INTO deliveries (${COLUMNS.join(', ')}) VALUES (${COLUMNS.map(() => '?').join(', ')})`;

const binder = () => sqlBinder(() => '?');

export class SqliteHistory implements History {
  readonly engine = 'sqlite' as const;
  readonly location: string;
  private readonly db: Database;
  private readonly appends: TurnBatch<unknown[]>;
  private readonly insertOrSkip: (rows: unknown[][]) => number;

  constructor(dir: string, sync?: SyncMode) {
    this.db = localDatabase(dir, sync);
    this.location = this.db.name;
    const insert = this.db.prepare(INSERT);
    const insertIgnore = this.db.prepare(`${INSERT} ON CONFLICT (id) DO NOTHING`);
    const insertAll = this.db.transaction((rows: unknown[][]) => {
      for (const row of rows) insert.run(row);
    });
    // Synchronous on purpose: the commit costs microseconds; the thread pool would add a round trip.
    this.appends = new TurnBatch((rows) => {
      try {
        insertAll(rows);
      } catch (e) {
        throw this.fail(e);
      }
    });
    this.insertOrSkip = this.db.transaction((rows: unknown[][]) => {
      let added = 0;
      for (const row of rows) added += insertIgnore.run(row).changes;
      return added;
    });
  }

  private fail(e: unknown): Error {
    return databaseError(e, this.location);
  }

  append(record: DeliveryRecord, bytes?: Uint8Array): Promise<void> {
    return this.appends.add(toRow(record, bytes));
  }

  async drain(): Promise<void> {
    await this.appends.drain();
  }

  async importRecords(records: readonly DeliveryRecord[]): Promise<number> {
    try {
      return this.insertOrSkip(records.map((r) => toRow(r)));
    } catch (e) {
      throw this.fail(e);
    }
  }

  private rows(sql: string, values: unknown[]): DeliveryRow[] {
    try {
      return this.db.prepare(sql).all(...values) as DeliveryRow[];
    } catch (e) {
      throw this.fail(e);
    }
  }

  async get(ref: string): Promise<DeliveryRecord> {
    const exact = this.rows('SELECT * FROM deliveries WHERE id = ?', [ref]);
    if (exact.length) return fromRow(exact[0]!);
    const { values, bind } = binder();
    const hits = this.rows(
      `SELECT * FROM deliveries WHERE ${prefixCondition(ref.toLowerCase(), bind)} LIMIT 2`,
      values,
    );
    if (hits.length !== 1) throw refError(ref, hits.length);
    return fromRow(hits[0]!);
  }

  async query(filter: DeliveryFilter, page: PageRequest = {}): Promise<Page> {
    return this.page('*', filter, page, fromRow);
  }

  async summaries(filter: DeliveryFilter, page: PageRequest = {}): Promise<Page<DeliverySummary>> {
    return this.page(summaryColumns('length'), filter, page, summaryFromRow);
  }

  /** One keyset page: a row more than asked tells whether another page follows. */
  private async page<T>(
    columns: string,
    filter: DeliveryFilter,
    page: PageRequest,
    map: (row: never) => T,
  ): Promise<Page<T>> {
    const { values, bind } = binder();
    const where = whereOf(filter, bind, 'LIKE');
    const p = pageOf(page, bind);
    const rows = this.rows(
      `SELECT ${columns} FROM deliveries WHERE ${where} AND ${p.where} ORDER BY ${p.orderBy} LIMIT ${p.limit + 1}`,
      values,
    );
    const more = rows.length > p.limit;
    if (more) rows.pop();
    return {
      records: rows.map((r) => map(r as never)),
      next: more ? String(rows.at(-1)!.seq) : null,
    };
  }

  async count(filter: DeliveryFilter = {}): Promise<number> {
    const { values, bind } = binder();
    try {
      return (
        this.db
          .prepare(`SELECT count(*) AS n FROM deliveries WHERE ${whereOf(filter, bind, 'LIKE')}`)
          .get(...values) as { n: number }
      ).n;
    } catch (e) {
      throw this.fail(e);
    }
  }

  private maxSeq(): number {
    return (
      this.db.prepare('SELECT coalesce(max(seq), 0) AS m FROM deliveries').get() as { m: number }
    ).m;
  }

  async *follow(
    filter: DeliveryFilter,
    options: { signal: AbortSignal; intervalMs?: number },
  ): AsyncGenerator<DeliveryRecord> {
    // One writer at a time assigns seq in commit order, so "seq above the last seen" misses nothing.
    let last = this.maxSeq();
    while (!options.signal.aborted) {
      const { values, bind } = binder();
      const rows = this.rows(
        `SELECT * FROM deliveries WHERE ${whereOf(filter, bind, 'LIKE')} AND seq > ${bind(last)} ORDER BY seq LIMIT 1000`,
        values,
      );
      for (const row of rows) {
        last = Number(row.seq);
        yield fromRow(row);
      }
      if (rows.length < 1000) await sleepUnlessAborted(options.intervalMs ?? 250, options.signal);
    }
  }

  /** Deletes `seq`s chosen by `select` in batches, yielding between them so writers get their turn. */
  private async deleteInBatches(condition: string, values: unknown[]): Promise<number> {
    let removed = 0;
    try {
      const stmt = this.db.prepare(
        `DELETE FROM deliveries WHERE seq IN (SELECT seq FROM deliveries WHERE ${condition} LIMIT ${DELETE_BATCH})`,
      );
      for (;;) {
        const n = stmt.run(...values).changes;
        removed += n;
        if (n < DELETE_BATCH) return removed;
        await nextTurn();
      }
    } catch (e) {
      throw this.fail(e);
    }
  }

  async remove(filter: DeliveryFilter): Promise<number> {
    const { values, bind } = binder();
    // Bounded by what exists now: records appended while this runs are never removed by it.
    const where = `${whereOf(filter, bind, 'LIKE')} AND seq <= ${bind(this.maxSeq())}`;
    return this.deleteInBatches(where, values);
  }

  async prune(retention: Retention): Promise<number> {
    let removed = 0;
    if (retention.maxAgeMs !== undefined)
      removed += await this.deleteInBatches('time_ms < ?', [Date.now() - retention.maxAgeMs]);
    if (retention.maxRecords !== undefined) {
      const edge = this.db
        .prepare('SELECT seq FROM deliveries ORDER BY seq DESC LIMIT 1 OFFSET ?')
        .get(retention.maxRecords) as { seq: number } | undefined;
      if (edge) removed += await this.deleteInBatches('seq <= ?', [edge.seq]);
    }
    return removed;
  }

  async close(): Promise<void> {
    await this.drain();
    // The connection is shared with the webhook store in this process; it closes at exit.
  }
}
