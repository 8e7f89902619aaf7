/**
 * The embedded history engine: the `deliveries` table of the store directory's SQLite database.
 * Appends queued in one event-loop turn are committed in one transaction; a caller's promise
 * resolves only after that commit, so whatever `listen` acknowledges survives kill -9.
 */
import { TurnBatch } from './batch.js';
import { SqlHistory } from './sql-history.js';
import type { Database, SyncMode } from '../db/database.js';
import { databaseError } from '../db/database.js';
import { localDatabase } from '../db/local-database.js';
import { sleepUnlessAborted, type DeliveryFilter, type History } from './history.js';
import type { DeliveryRecord } from './record.js';
import { COLUMNS, fromRow, toRow, type DeliveryRow } from './sql.js';

const INSERT = `INSERT INTO deliveries (${COLUMNS.join(', ')}) VALUES (${COLUMNS.map(() => '?').join(', ')})`;

export class SqliteHistory extends SqlHistory implements History {
  readonly engine = 'sqlite' as const;
  readonly location: string;
  private readonly db: Database;
  private readonly appends: TurnBatch<unknown[]>;
  private readonly insertOrSkip: (rows: unknown[][]) => number;

  constructor(dir: string, sync?: SyncMode) {
    super({ table: 'deliveries', placeholder: () => '?', like: 'LIKE', byteLength: 'length' });
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

  protected async rows(sql: string, values: unknown[] = []): Promise<DeliveryRow[]> {
    try {
      return this.db.prepare(sql).all(...values) as DeliveryRow[];
    } catch (e) {
      throw this.fail(e);
    }
  }

  protected async execute(sql: string, values: unknown[]): Promise<number> {
    try {
      return this.db.prepare(sql).run(...values).changes;
    } catch (e) {
      throw this.fail(e);
    }
  }

  async *follow(
    filter: DeliveryFilter,
    options: { signal: AbortSignal; intervalMs?: number },
  ): AsyncGenerator<DeliveryRecord> {
    // One writer at a time assigns seq in commit order, so "seq above the last seen" misses nothing.
    let last = await this.maxSeq();
    while (!options.signal.aborted) {
      const { values, bind } = this.binder();
      const rows = await this.rows(
        `SELECT * FROM deliveries WHERE ${this.where(filter, bind)} AND seq > ${bind(last)} ORDER BY seq LIMIT 1000`,
        values,
      );
      for (const row of rows) {
        last = Number(row.seq);
        yield fromRow(row);
      }
      if (rows.length < 1000) await sleepUnlessAborted(options.intervalMs ?? 250, options.signal);
    }
  }

  async close(): Promise<void> {
    await this.drain();
    // The connection is shared with the webhook store in this process; it closes at exit.
  }
}
