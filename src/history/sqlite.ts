/**
 * The embedded history engine: the `deliveries` table of the store directory's SQLite database.
 * Appends queued in one event-loop turn are committed in one transaction; a caller's promise
 * resolves only after that commit, so whatever `listen` acknowledges survives kill -9.
 */
import { setImmediate as nextTurn } from 'node:timers/promises';
import type { Database, SyncMode } from '../store/database.js';
import { databaseError } from '../store/database.js';
import { localDatabase } from '../store/local-database.js';
import { sleepUnlessAborted, type DeliveryFilter, type History, type Page, type PageRequest, type Retention } from './history.js';
import type { DeliveryRecord } from './record.js';
import { COLUMNS, DELETE_BATCH, fromRow, pageOf, prefixCondition, refError, toRow, whereOf, type DeliveryRow } from './sql.js';

const INSERT = `INSERT INTO deliveries (${COLUMNS.join(', ')}) VALUES (${COLUMNS.map(() => '?').join(', ')})`;

function binder(): { values: unknown[]; bind: (v: unknown) => string } {
  const values: unknown[] = [];
  return { values, bind: (v) => (values.push(v), '?') };
}

export class SqliteHistory implements History {
  readonly engine = 'sqlite' as const;
  readonly location: string;
  private readonly db: Database;
  private queue: Array<{ row: unknown[]; resolve: () => void; reject: (e: Error) => void }> = [];
  private scheduled = false;
  private readonly insertBatch: (rows: unknown[][]) => void;
  private readonly insertOrSkip: (rows: unknown[][]) => number;

  constructor(dir: string, sync?: SyncMode) {
    this.db = localDatabase(dir, sync);
    this.location = this.db.name;
    const insert = this.db.prepare(INSERT);
    const insertIgnore = this.db.prepare(`${INSERT} ON CONFLICT (id) DO NOTHING`);
    this.insertBatch = this.db.transaction((rows: unknown[][]) => {
      for (const row of rows) insert.run(row);
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
    return new Promise((resolve, reject) => {
      this.queue.push({ row: toRow(record, bytes), resolve, reject });
      if (!this.scheduled) {
        this.scheduled = true;
        setImmediate(() => this.flush());
      }
    });
  }

  private flush(): void {
    this.scheduled = false;
    const batch = this.queue;
    this.queue = [];
    if (!batch.length) return;
    try {
      // Synchronous on purpose: the commit costs microseconds; the thread pool would add a round trip.
      this.insertBatch(batch.map((b) => b.row));
    } catch (e) {
      const error = this.fail(e);
      for (const b of batch) b.reject(error);
      return;
    }
    for (const b of batch) b.resolve();
  }

  async drain(): Promise<void> {
    while (this.queue.length || this.scheduled) await nextTurn();
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
    const hits = this.rows(`SELECT * FROM deliveries WHERE ${prefixCondition(ref.toLowerCase(), bind)} LIMIT 2`, values);
    if (hits.length !== 1) throw refError(ref, hits.length);
    return fromRow(hits[0]!);
  }

  async query(filter: DeliveryFilter, page: PageRequest = {}): Promise<Page> {
    const { values, bind } = binder();
    const where = whereOf(filter, bind, 'LIKE');
    const p = pageOf(page, bind);
    const rows = this.rows(`SELECT * FROM deliveries WHERE ${where} AND ${p.where} ORDER BY ${p.orderBy} LIMIT ${p.limit + 1}`, values);
    const more = rows.length > p.limit;
    if (more) rows.pop();
    return { records: rows.map(fromRow), next: more ? String(rows.at(-1)!.seq) : null };
  }

  async count(filter: DeliveryFilter = {}): Promise<number> {
    const { values, bind } = binder();
    try {
      return (this.db.prepare(`SELECT count(*) AS n FROM deliveries WHERE ${whereOf(filter, bind, 'LIKE')}`).get(...values) as { n: number }).n;
    } catch (e) {
      throw this.fail(e);
    }
  }

  private maxSeq(): number {
    return (this.db.prepare('SELECT coalesce(max(seq), 0) AS m FROM deliveries').get() as { m: number }).m;
  }

  async *follow(filter: DeliveryFilter, options: { signal: AbortSignal; intervalMs?: number }): AsyncGenerator<DeliveryRecord> {
    // One writer at a time assigns seq in commit order, so "seq above the last seen" misses nothing.
    let last = this.maxSeq();
    while (!options.signal.aborted) {
      const { values, bind } = binder();
      const rows = this.rows(`SELECT * FROM deliveries WHERE ${whereOf(filter, bind, 'LIKE')} AND seq > ${bind(last)} ORDER BY seq LIMIT 1000`, values);
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
      const stmt = this.db.prepare(`DELETE FROM deliveries WHERE seq IN (SELECT seq FROM deliveries WHERE ${condition} LIMIT ${DELETE_BATCH})`);
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
    if (retention.maxAgeMs !== undefined) removed += await this.deleteInBatches('time_ms < ?', [Date.now() - retention.maxAgeMs]);
    if (retention.maxRecords !== undefined) {
      const edge = this.db.prepare('SELECT seq FROM deliveries ORDER BY seq DESC LIMIT 1 OFFSET ?').get(retention.maxRecords) as { seq: number } | undefined;
      if (edge) removed += await this.deleteInBatches('seq <= ?', [edge.seq]);
    }
    return removed;
  }

  async close(): Promise<void> {
    await this.drain();
    // The connection is shared with the webhook store in this process; it closes at exit.
  }
}
