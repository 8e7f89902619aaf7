/**
 * The shared history engine: PostgreSQL through node-postgres, for a team's catch servers that
 * record into one database. Same semantics as the SQLite engine: appends of one event-loop turn
 * go in one INSERT (one transaction), acknowledged only after it commits.
 */
import type { Pool, PoolClient } from 'pg';
import { BluehookError, storeError } from '../errors.js';
import { postgresError, postgresPool } from '../db/postgres.js';
import { TurnBatch } from './batch.js';
import { SqlHistory } from './sql-history.js';
import { sleepUnlessAborted, type DeliveryFilter, type History } from './history.js';
import type { DeliveryRecord } from './record.js';
import { COLUMNS, fromRow, toRow, type DeliveryRow } from './sql.js';
import { redactUrl } from '../util/redact.js';

const TABLE = 'bluehook_deliveries';
const META = 'bluehook_meta';
/** Any constant: serialises schema changes of processes that start at once. */
const MIGRATION_LOCK = 4_242_424_242;

const MIGRATIONS: readonly string[] = [
  `CREATE TABLE ${TABLE} (
     seq bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
     id text COLLATE "C" NOT NULL UNIQUE,
     time_ms bigint NOT NULL,
     direction text NOT NULL,
     event text,
     webhook_id text,
     valid smallint,
     status integer,
     replay_of text,
     url text NOT NULL,
     method text NOT NULL,
     headers text NOT NULL,
     body bytea NOT NULL,
     detail text NOT NULL
   );
   CREATE INDEX ${TABLE}_time ON ${TABLE} (time_ms);
   CREATE INDEX ${TABLE}_event ON ${TABLE} (event, seq);
   CREATE INDEX ${TABLE}_webhook ON ${TABLE} (webhook_id, seq) WHERE webhook_id IS NOT NULL;
   CREATE INDEX ${TABLE}_direction ON ${TABLE} (direction, seq);
   CREATE INDEX ${TABLE}_invalid ON ${TABLE} (seq) WHERE valid = 0;
   CREATE INDEX ${TABLE}_unanswered ON ${TABLE} (status, seq) WHERE status IS NULL OR status >= 300;
   CREATE INDEX ${TABLE}_replay ON ${TABLE} (replay_of) WHERE replay_of IS NOT NULL;`,
  // listen --relay: the relay's delivery id, so a delivery streamed twice is recorded once.
  // Idempotent: a schema version set back by hand must not make it fail.
  `ALTER TABLE ${TABLE} ADD COLUMN IF NOT EXISTS relay_id text COLLATE "C";
   CREATE INDEX IF NOT EXISTS ${TABLE}_relay ON ${TABLE} (relay_id) WHERE relay_id IS NOT NULL;`,
];
export const PG_SCHEMA_VERSION = MIGRATIONS.length;

// 14 columns: 4,000 rows stay under PostgreSQL's 65,535 parameters per statement.
const ROWS_PER_INSERT = 4000;

function insertSql(rows: number, ignoreDuplicates: boolean): string {
  const tuples: string[] = [];
  for (let r = 0; r < rows; r++)
    tuples.push(`(${COLUMNS.map((_, c) => `$${r * COLUMNS.length + c + 1}`).join(', ')})`);
  return `INSERT INTO ${TABLE} (${COLUMNS.join(', ')}) VALUES ${tuples.join(', ')}${ignoreDuplicates ? ' ON CONFLICT (id) DO NOTHING' : ''}`;
}

export class PostgresHistory extends SqlHistory implements History {
  readonly engine = 'postgres' as const;
  readonly location: string;
  private readonly appends = new TurnBatch<unknown[]>((rows) => this.insertRows(rows));

  private constructor(
    private readonly pool: Pool,
    url: string,
  ) {
    super({ table: TABLE, placeholder: (n) => `$${n}`, like: 'ILIKE', byteLength: 'octet_length' });
    this.location = redactUrl(url);
  }

  /** Connects, creates or migrates the schema (safe when several processes start at once). */
  static async open(url: string): Promise<PostgresHistory> {
    const pool = await postgresPool(url);
    const history = new PostgresHistory(pool, url);
    let client: PoolClient | undefined;
    try {
      client = await pool.connect();
      await history.migrate(client);
    } catch (e) {
      client?.release(true);
      client = undefined;
      await pool.end().catch(() => undefined);
      throw e instanceof BluehookError ? e : postgresError(e, history.location);
    }
    client.release();
    return history;
  }

  private async migrate(client: PoolClient): Promise<void> {
    await client.query('BEGIN');
    try {
      await client.query('SELECT pg_advisory_xact_lock($1)', [MIGRATION_LOCK]);
      await client.query(
        `CREATE TABLE IF NOT EXISTS ${META} (key text PRIMARY KEY, value text NOT NULL)`,
      );
      const row = (await client.query(`SELECT value FROM ${META} WHERE key = 'schema_version'`))
        .rows[0] as { value: string } | undefined;
      const version = row ? Number(row.value) : 0;
      if (version > PG_SCHEMA_VERSION) {
        throw storeError(
          `the history at ${this.location} was written by a newer bluehook (schema ${version}; this one knows ${PG_SCHEMA_VERSION})`,
          'upgrade bluehook',
          'database-newer-schema',
        );
      }
      for (let v = version; v < PG_SCHEMA_VERSION; v++) await client.query(MIGRATIONS[v]!);
      if (version < PG_SCHEMA_VERSION) {
        await client.query(
          `INSERT INTO ${META} (key, value) VALUES ('schema_version', $1) ON CONFLICT (key) DO UPDATE SET value = excluded.value`,
          [String(PG_SCHEMA_VERSION)],
        );
      }
      await client.query('COMMIT');
    } catch (e) {
      await client.query('ROLLBACK').catch(() => undefined);
      throw e;
    }
  }

  private async run(
    sql: string,
    values: unknown[] = [],
  ): Promise<{ rows: DeliveryRow[]; rowCount: number }> {
    try {
      const r = await this.pool.query(sql, values);
      return { rows: r.rows as DeliveryRow[], rowCount: r.rowCount ?? 0 };
    } catch (e) {
      throw postgresError(e, this.location);
    }
  }

  append(record: DeliveryRecord, bytes?: Uint8Array): Promise<void> {
    return this.appends.add(toRow(record, bytes));
  }

  /** One statement per 4,000 rows; each statement is a transaction of its own. */
  private async insertRows(rows: unknown[][]): Promise<void> {
    for (let i = 0; i < rows.length; i += ROWS_PER_INSERT) {
      const part = rows.slice(i, i + ROWS_PER_INSERT);
      await this.run(insertSql(part.length, false), part.flat());
    }
  }

  async drain(): Promise<void> {
    await this.appends.drain();
  }

  async importRecords(records: readonly DeliveryRecord[]): Promise<number> {
    let added = 0;
    for (let i = 0; i < records.length; i += ROWS_PER_INSERT) {
      const part = records.slice(i, i + ROWS_PER_INSERT);
      added += (
        await this.run(
          insertSql(part.length, true),
          part.flatMap((r) => toRow(r)),
        )
      ).rowCount;
    }
    return added;
  }

  protected async rows(sql: string, values: unknown[] = []): Promise<DeliveryRow[]> {
    return (await this.run(sql, values)).rows;
  }

  protected async execute(sql: string, values: unknown[]): Promise<number> {
    return (await this.run(sql, values)).rowCount;
  }

  async *follow(
    filter: DeliveryFilter,
    options: { signal: AbortSignal; intervalMs?: number },
  ): AsyncGenerator<DeliveryRecord> {
    // Several writers take seqs before they commit, so a lower seq can become visible after a
    // higher one: look back over a window and skip what was already seen.
    const WINDOW = 1000;
    let last = await this.maxSeq();
    const seen = new Set<number>();
    const seqsAbove = async (low: number) => {
      const { values, bind } = this.binder();
      const sql = `SELECT seq FROM ${TABLE} WHERE ${this.where(filter, bind)} AND seq > ${bind(low)} ORDER BY seq LIMIT 5000`;
      return (await this.run(sql, values)).rows.map((r) => Number(r.seq));
    };
    // What is already there when following starts is not new.
    for (const s of await seqsAbove(Math.max(0, last - WINDOW))) seen.add(s);
    while (!options.signal.aborted) {
      const toFetch = (await seqsAbove(Math.max(0, last - WINDOW))).filter((s) => !seen.has(s));
      if (toFetch.length) {
        const { rows } = await this.run(
          `SELECT * FROM ${TABLE} WHERE seq = ANY($1::bigint[]) ORDER BY seq`,
          [toFetch],
        );
        for (const row of rows) {
          const seq = Number(row.seq);
          seen.add(seq);
          if (seq > last) last = seq;
          yield fromRow(row);
        }
      }
      for (const s of seen) if (s <= last - WINDOW) seen.delete(s);
      if (toFetch.length < 5000)
        await sleepUnlessAborted(options.intervalMs ?? 250, options.signal);
    }
  }

  async close(): Promise<void> {
    await this.drain();
    await this.pool.end();
  }
}
