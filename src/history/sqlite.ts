/**
 * The embedded history engine: the `deliveries` table of the store directory's SQLite database.
 * Appends queued in one event-loop turn are committed in one transaction; a caller's promise
 * resolves only after that commit, so whatever `listen` acknowledges survives kill -9.
 */
import { setImmediate as nextTurn } from 'node:timers/promises';
import { TurnBatch } from './batch.js';
import { SqlHistory } from './sql-history.js';
import type { Database, SyncMode } from '../db/database.js';
import { assertNotCorrupt, corruptError, databaseError, markCorrupt } from '../db/database.js';
import type { BluehookError } from '../errors.js';
import { localDatabase } from '../db/local-database.js';
import { sleepUnlessAborted, type DeliveryFilter, type History } from './history.js';
import type { DeliveryRecord } from './record.js';
import { COLUMNS, fromRow, sqliteTextSearch, toRow, type DeliveryRow } from './sql.js';

/** Rows indexed for search per transaction (a few milliseconds of work each). */
const INDEX_CHUNK = 500;
/** How long appends must pause before a recording process indexes in the background. */
const IDLE_INDEX_MS = 1000;

const INSERT = `INSERT INTO deliveries (${COLUMNS.join(', ')}) VALUES (${COLUMNS.map(() => '?').join(', ')})`;

export class SqliteHistory extends SqlHistory implements History {
  readonly engine = 'sqlite' as const;
  readonly location: string;
  private readonly db: Database;
  private readonly appends: TurnBatch<unknown[]>;
  private readonly insertOrSkip: (rows: unknown[][]) => number;

  constructor(
    dir: string,
    sync?: SyncMode,
    /** Pause before background indexing (null: only a search indexes). */
    private readonly idleIndexMs: number | null = IDLE_INDEX_MS,
  ) {
    super({
      table: 'deliveries',
      placeholder: () => '?',
      like: 'LIKE',
      byteLength: 'length',
      textSearch: sqliteTextSearch,
      beforeSearch: () => this.indexWaiting(),
    });
    this.db = localDatabase(dir, sync);
    this.location = this.db.name;
    const waiting = this.db
      .prepare(`SELECT seq FROM deliveries_unindexed ORDER BY seq LIMIT ${INDEX_CHUNK}`)
      .pluck();
    const index = this.db.prepare(
      `INSERT INTO deliveries_search (rowid, id, event, headers, body)
         SELECT d.seq, d.id, d.event, d.headers, CAST(d.body AS TEXT)
         FROM deliveries_unindexed u JOIN deliveries d ON d.seq = u.seq WHERE u.seq <= ?`,
    );
    const indexed = this.db.prepare('DELETE FROM deliveries_unindexed WHERE seq <= ?');
    const chunk = this.db.transaction(() => {
      const seqs = waiting.all() as number[];
      if (seqs.length) {
        index.run(seqs.at(-1));
        indexed.run(seqs.at(-1));
      }
      return seqs.length;
    });
    // IMMEDIATE: the write lock first. A deferred transaction reads, then asks to write; when
    // another process (listen) committed in between, SQLite fails it at once (SQLITE_BUSY_SNAPSHOT,
    // no busy wait), which was reported as the database "locked for 15 s".
    this.indexChunk = () => chunk.immediate();
    const insert = this.db.prepare(INSERT);
    const insertIgnore = this.db.prepare(`${INSERT} ON CONFLICT (id) DO NOTHING`);
    const insertAll = this.db.transaction((rows: unknown[][]) => {
      for (const row of rows) insert.run(row);
    });
    // Synchronous on purpose: the commit costs microseconds; the thread pool would add a round trip.
    this.appends = new TurnBatch((rows) => {
      try {
        assertNotCorrupt(this.location);
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

  private readonly indexChunk: () => number;

  /**
   * Indexes the rows that wait for the search index, a chunk per transaction with a turn of the
   * event loop between chunks, so that a search after a long burst does not hold the database's
   * write lock (or this process) for the whole backlog.
   */
  private async indexWaiting(): Promise<void> {
    try {
      assertNotCorrupt(this.location);
      while (this.indexChunk() === INDEX_CHUNK) await nextTurn();
    } catch (e) {
      throw this.fail(e);
    }
  }

  private fail(e: unknown): Error {
    return databaseError(e, this.location);
  }

  append(record: DeliveryRecord, bytes?: Uint8Array): Promise<void> {
    const row = toRow(record, bytes);
    // After the integrity check's verdict, like the row: nothing is indexed before it either.
    const add = () => {
      this.lastAppend = performance.now();
      if (this.idleIndexMs !== null)
        this.idleIndexer ??= setTimeout(() => this.indexWhileIdle(), this.idleIndexMs).unref();
      return this.appends.add(row);
    };
    return this.checked ? this.checked.then(add) : add();
  }

  private lastAppend = 0;
  private idleIndexer: NodeJS.Timeout | undefined;

  /**
   * In a process that keeps recording (listen), what waits for the search index is indexed once
   * appends have paused for `idleIndexMs`, a chunk at a time while the pause lasts: a burst costs
   * the hot path nothing, and a search after it seldom finds a backlog. Never keeps the process
   * alive; a failure is left for the next search to report.
   */
  private indexWhileIdle(): void {
    this.idleIndexer = undefined;
    const pause = this.idleIndexMs ?? 0;
    const quiet = performance.now() - this.lastAppend;
    if (quiet < pause) {
      this.idleIndexer = setTimeout(() => this.indexWhileIdle(), pause - quiet).unref();
      return;
    }
    let more = false;
    try {
      assertNotCorrupt(this.location);
      more = this.indexChunk() === INDEX_CHUNK;
    } catch {
      // A busy or broken database: the next search indexes and says what is wrong.
    }
    if (more) this.idleIndexer = setTimeout(() => this.indexWhileIdle(), 0).unref();
  }

  /** Settles when the integrity check started by `checkInBackground` has given its verdict. */
  private checked?: Promise<void>;

  /**
   * SQLite's quick check of the whole database in a worker thread; appends wait for its verdict,
   * so a delivery is never acknowledged into a database found corrupt. Resolves with the error to
   * report, or undefined (healthy, or the check could not run).
   */
  checkInBackground(): Promise<BluehookError | undefined> {
    // `checked` is set before this returns: an append arriving in the meantime waits too.
    const verdict = import('../db/integrity.js')
      .then(({ checkIntegrityInBackground }) => checkIntegrityInBackground(this.location))
      .then((report) => {
        if (!report || report.ok) return undefined;
        const problem = report.problems[0] ?? 'integrity check failed';
        markCorrupt(this.location, problem);
        return corruptError(this.location, problem);
      });
    this.checked = verdict.then(
      () => undefined,
      () => undefined,
    );
    return verdict;
  }

  async drain(): Promise<void> {
    await this.appends.drain();
  }

  async importRecords(records: readonly DeliveryRecord[]): Promise<number> {
    let added: number;
    try {
      assertNotCorrupt(this.location);
      added = this.insertOrSkip(records.map((r) => toRow(r)));
    } catch (e) {
      throw this.fail(e);
    }
    // An import is no hot path, and its process ends before it could index while idle: the rows
    // are made searchable here rather than by the first search after it.
    await this.indexWaiting();
    return added;
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
      assertNotCorrupt(this.location);
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
      await this.searchable(filter);
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
    clearTimeout(this.idleIndexer);
    this.idleIndexer = undefined;
    await this.drain();
    // The connection is shared with the webhook store in this process; it closes at exit.
  }
}
