/**
 * The store database's health: SQLite's own integrity check, and a copy of whatever is still
 * readable into a new database. Both read the old file through a read-only connection: a corrupt
 * database is evidence, and nothing here writes into it.
 */
import { existsSync } from 'node:fs';
import { BluehookError } from '../errors.js';
import { createDatabaseAt, databaseError, openReadOnly, type Database } from './database.js';

export interface IntegrityReport {
  file: string;
  ok: boolean;
  /** What SQLite found wrong (the first 100 problems), or why the check itself could not run. */
  problems: string[];
  /** `quick` (PRAGMA quick_check: structure, no index contents) or `full` (integrity_check). */
  mode: 'quick' | 'full';
}

const MAX_PROBLEMS = 100;

/** Runs SQLite's integrity check on `file` through a read-only connection. */
export function checkIntegrity(file: string, mode: 'quick' | 'full' = 'quick'): IntegrityReport {
  const db = openReadOnly(file);
  try {
    const rows = db
      .prepare(`PRAGMA ${mode === 'full' ? 'integrity_check' : 'quick_check'}(${MAX_PROBLEMS})`)
      .pluck()
      .all() as string[];
    const ok = rows.length === 1 && rows[0] === 'ok';
    return { file, ok, problems: ok ? [] : problemLines(rows), mode };
  } catch (e) {
    // A page too broken for the check to walk makes the check itself fail: that is its finding.
    const code = (e as { code?: string }).code ?? '';
    if (code.startsWith('SQLITE_CORRUPT') || code === 'SQLITE_NOTADB')
      return { file, ok: false, problems: [(e as Error).message], mode };
    throw databaseError(e, file);
  } finally {
    db.close();
  }
}

/**
 * SQLite's rows as one problem a line: its first row starts with a "*** in database main ***"
 * heading and a newline, which is no problem of its own (shown escaped, it read as a literal "\n").
 */
function problemLines(rows: string[]): string[] {
  const lines = rows
    .flatMap((row) => row.split('\n'))
    .filter((line) => line.trim() !== '' && !/^\*\*\* in database \S+ \*\*\*$/.test(line));
  return lines.length > 0 ? lines : rows;
}

export interface TableRecovery {
  table: string;
  /** Rows copied into the new database. */
  copied: number;
  /** Row ids that could not be read (their page is damaged), counted. */
  unreadable: number;
  /** How many rows the database lists (the most any readable index or the table counts). */
  listed: number;
}

export interface RecoveryReport {
  from: string;
  to: string;
  tables: TableRecovery[];
}

/** The tables a bluehook database holds, in the order they are copied (configs before history). */
const TABLES = ['meta', 'webhooks', 'kept_secrets', 'deliveries'] as const;
/** Rows per read; a read that meets a damaged page falls back to one row at a time past it. */
const CHUNK = 256;

/**
 * Copies every row that can still be read from `from` into a new bluehook database at `to`
 * (which must not exist). Rows are walked by rowid: a range read that meets a damaged page is
 * retried one rowid at a time, so rows on healthy pages beyond the damage are still found. The
 * highest rowid comes from the table or, when its own b-tree is damaged, from any index that
 * still reads.
 */
export function recoverDatabase(from: string, to: string): RecoveryReport {
  if (!existsSync(from))
    throw new BluehookError(`no database at ${from} to recover from`, 'not-found', {
      code: 'database-missing',
    });
  const source = openReadOnly(from);
  let target: Database | undefined;
  try {
    target = createDatabaseAt(to);
    const tables = TABLES.map((table) => copyTable(source, target!, table));
    target.pragma('wal_checkpoint(TRUNCATE)');
    return { from, to, tables };
  } finally {
    source.close();
    target?.close();
  }
}

function copyTable(source: Database, target: Database, table: string): TableRecovery {
  const result: TableRecovery = { table, copied: 0, unreadable: 0, listed: 0 };
  let columns: string[];
  try {
    columns = (source.prepare(`PRAGMA table_info(${table})`).all() as Array<{ name: string }>).map(
      (c) => c.name,
    );
  } catch {
    return result; // the schema itself is unreadable: nothing of this table can be found
  }
  if (!columns.length) return result;
  const list = columns.join(', ');
  const range = source.prepare(
    `SELECT rowid AS rowid_, ${list} FROM ${table} WHERE rowid >= ? ORDER BY rowid LIMIT ${CHUNK}`,
  );
  const one = source.prepare(`SELECT rowid AS rowid_, ${list} FROM ${table} WHERE rowid = ?`);
  const insert = target.prepare(
    `INSERT OR IGNORE INTO ${table} (rowid, ${list}) VALUES (?, ${columns.map(() => '?').join(', ')})`,
  );
  const write = target.transaction((rows: Array<Record<string, unknown>>) => {
    for (const row of rows) {
      result.copied += insert.run(row.rowid_, ...columns.map((c) => row[c])).changes;
    }
  });
  const { last, listed } = surveyRows(source, table);
  result.listed = listed;
  let next = 1;
  while (next <= last) {
    let rows: Array<Record<string, unknown>>;
    try {
      rows = range.all(next) as Array<Record<string, unknown>>;
    } catch {
      // A damaged page on the way: this one rowid alone, then try a range again past it.
      try {
        const row = one.get(next) as Record<string, unknown> | undefined;
        if (row) write([row]);
      } catch {
        result.unreadable++;
      }
      next++;
      continue;
    }
    if (!rows.length) break;
    write(rows);
    next = Number(rows[rows.length - 1]!.rowid_) + 1;
  }
  return result;
}

/**
 * The table's highest rowid and how many rows it lists: from the table itself and from each of
 * its indexes that still reads (an index holds every row's rowid too, so a damaged table edge is
 * seen past).
 */
function surveyRows(db: Database, table: string): { last: number; listed: number } {
  let last = 0;
  let listed = 0;
  const sources = [
    `SELECT rowid FROM ${table} NOT INDEXED`,
    ...(
      db
        .prepare("SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = ?")
        .pluck()
        .all(table) as string[]
    ).map((index) => `SELECT rowid FROM ${table} INDEXED BY ${index}`),
  ];
  for (const sql of sources) {
    let n = 0;
    try {
      for (const id of db.prepare(sql).pluck().iterate() as IterableIterator<number>) {
        last = Math.max(last, Number(id));
        n++;
      }
      listed = Math.max(listed, n);
    } catch {
      // damaged (the rowids it gave before the damage still count), or a partial index
    }
  }
  return { last, listed };
}

/**
 * The quick check of `file` in a worker thread: the report, or undefined when the check could not
 * run (then nothing is concluded, and writes go on as before).
 */
export async function checkIntegrityInBackground(
  file: string,
): Promise<IntegrityReport | undefined> {
  const { Worker } = await import('node:worker_threads');
  return new Promise((resolve) => {
    const worker = new Worker(new URL('./integrity-worker.js', import.meta.url), {
      workerData: { file },
    });
    worker.once('message', (m: IntegrityReport | { error: string }) =>
      resolve('error' in m ? undefined : m),
    );
    worker.once('error', () => resolve(undefined));
    worker.once('exit', () => resolve(undefined));
    worker.unref();
  });
}
