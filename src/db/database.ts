/**
 * The local database: one SQLite file (`bluehook.db`, mode 0600) in the store directory holding
 * the webhook configs, the secrets kept for Blue-managed webhooks and the delivery history.
 * WAL mode lets any number of processes read while one writes; a busy timeout makes writers queue
 * instead of failing. A file that is not ours, or is newer than this bluehook, is never touched.
 */
import {
  chmodSync,
  closeSync,
  constants,
  existsSync,
  lstatSync,
  mkdirSync,
  openSync,
  readSync,
  statfsSync,
  type Stats,
} from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import Sqlite from 'better-sqlite3';
import { BluehookError, storeError } from '../errors.js';

export type Database = Sqlite.Database;

export const DB_FILE = 'bluehook.db';
/** Marks the file as bluehook's (PRAGMA application_id): "BHK1". */
const APPLICATION_ID = 0x42484b31;
const BUSY_TIMEOUT_MS = 15_000;

/**
 * Schema migrations, in order; PRAGMA user_version is how many have run. Append, never edit: a
 * database written by a newer bluehook (a higher version) is refused rather than misread.
 */
const MIGRATIONS: readonly string[] = [
  `CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
   CREATE TABLE webhooks (seq INTEGER PRIMARY KEY AUTOINCREMENT, id TEXT NOT NULL UNIQUE, name TEXT UNIQUE, row TEXT NOT NULL);
   CREATE TABLE kept_secrets (webhook_id TEXT PRIMARY KEY, secret TEXT NOT NULL);
   CREATE TABLE deliveries (
     seq INTEGER PRIMARY KEY,
     id TEXT NOT NULL UNIQUE,
     time_ms INTEGER NOT NULL,
     direction TEXT NOT NULL,
     event TEXT,
     webhook_id TEXT,
     valid INTEGER,
     status INTEGER,
     replay_of TEXT,
     url TEXT NOT NULL,
     method TEXT NOT NULL,
     headers TEXT NOT NULL,
     body BLOB NOT NULL,
     detail TEXT NOT NULL
   );
   CREATE INDEX deliveries_time ON deliveries (time_ms);
   CREATE INDEX deliveries_event ON deliveries (event, seq);
   CREATE INDEX deliveries_webhook ON deliveries (webhook_id, seq) WHERE webhook_id IS NOT NULL;
   CREATE INDEX deliveries_direction ON deliveries (direction, seq);
   CREATE INDEX deliveries_invalid ON deliveries (seq) WHERE valid = 0;
   CREATE INDEX deliveries_unanswered ON deliveries (status, seq) WHERE status IS NULL OR status >= 300;
   CREATE INDEX deliveries_replay ON deliveries (replay_of) WHERE replay_of IS NOT NULL;`,
  // Drift from the schema (1 info, 2 warning); null for a record that does not drift.
  `ALTER TABLE deliveries ADD COLUMN drift INTEGER;
   CREATE INDEX deliveries_drift ON deliveries (drift, seq) WHERE drift IS NOT NULL;`,
  // listen --relay: the relay's delivery id, so a delivery streamed twice is recorded once.
  `ALTER TABLE deliveries ADD COLUMN relay_id TEXT;
   CREATE INDEX deliveries_relay ON deliveries (relay_id) WHERE relay_id IS NOT NULL;`,
  // Full-text search over ids, events, headers and bodies: an external-content FTS5 table (the
  // text lives once, in deliveries), kept by triggers, backfilled here.
  `CREATE VIRTUAL TABLE deliveries_search USING fts5(
     id, event, headers, body, content='deliveries', content_rowid='seq',
     tokenize='unicode61 remove_diacritics 2'
   );
   CREATE TRIGGER deliveries_search_insert AFTER INSERT ON deliveries BEGIN
     INSERT INTO deliveries_search (rowid, id, event, headers, body)
       VALUES (new.seq, new.id, new.event, new.headers, CAST(new.body AS TEXT));
   END;
   CREATE TRIGGER deliveries_search_delete AFTER DELETE ON deliveries BEGIN
     INSERT INTO deliveries_search (deliveries_search, rowid, id, event, headers, body)
       VALUES ('delete', old.seq, old.id, old.event, old.headers, CAST(old.body AS TEXT));
   END;
   CREATE TRIGGER deliveries_search_update AFTER UPDATE OF id, event, headers, body ON deliveries BEGIN
     INSERT INTO deliveries_search (deliveries_search, rowid, id, event, headers, body)
       VALUES ('delete', old.seq, old.id, old.event, old.headers, CAST(old.body AS TEXT));
     INSERT INTO deliveries_search (rowid, id, event, headers, body)
       VALUES (new.seq, new.id, new.event, new.headers, CAST(new.body AS TEXT));
   END;
   INSERT INTO deliveries_search (rowid, id, event, headers, body)
     SELECT seq, id, event, headers, CAST(body AS TEXT) FROM deliveries;`,
  // The search index brought up to date when searched, not at every insert: indexing each body's
  // words in listen's commit halved the deliveries it answered a second. An inserted row's seq
  // waits in deliveries_unindexed; a search first indexes what waits (history/sqlite.ts). A row
  // removed or changed before it was indexed has nothing in the index to take out.
  `CREATE TABLE deliveries_unindexed (seq INTEGER PRIMARY KEY);
   DROP TRIGGER deliveries_search_insert;
   DROP TRIGGER deliveries_search_delete;
   DROP TRIGGER deliveries_search_update;
   CREATE TRIGGER deliveries_search_insert AFTER INSERT ON deliveries BEGIN
     INSERT OR IGNORE INTO deliveries_unindexed (seq) VALUES (new.seq);
   END;
   CREATE TRIGGER deliveries_search_delete AFTER DELETE ON deliveries BEGIN
     INSERT INTO deliveries_search (deliveries_search, rowid, id, event, headers, body)
       SELECT 'delete', old.seq, old.id, old.event, old.headers, CAST(old.body AS TEXT)
       WHERE NOT EXISTS (SELECT 1 FROM deliveries_unindexed WHERE seq = old.seq);
     DELETE FROM deliveries_unindexed WHERE seq = old.seq;
   END;
   CREATE TRIGGER deliveries_search_update AFTER UPDATE OF id, event, headers, body ON deliveries
     WHEN NOT EXISTS (SELECT 1 FROM deliveries_unindexed WHERE seq = old.seq) BEGIN
     INSERT INTO deliveries_search (deliveries_search, rowid, id, event, headers, body)
       VALUES ('delete', old.seq, old.id, old.event, old.headers, CAST(old.body AS TEXT));
     INSERT INTO deliveries_search (rowid, id, event, headers, body)
       VALUES (new.seq, new.id, new.event, new.headers, CAST(new.body AS TEXT));
   END;`,
];
export const SCHEMA_VERSION = MIGRATIONS.length;

export type SyncMode = 'normal' | 'full';

/**
 * Creates the store directory 0700 if it does not exist. An existing one must be a real directory
 * (not a link) that other users cannot write to: anyone who can write there could replace the
 * database that holds the webhooks' secrets.
 */
export function ensureStoreDir(dir: string): void {
  try {
    const stat = lstatSync(dir, { throwIfNoEntry: false });
    if (stat) {
      if (stat.isSymbolicLink())
        throw storeError(
          `store directory ${dir} is a symbolic link; bluehook does not follow it`,
          'give the real directory',
          'store-dir-unusable',
        );
      if (!stat.isDirectory())
        throw storeError(
          `store directory ${dir} is not a directory`,
          'choose another',
          'store-dir-unusable',
        );
      if (stat.mode & 0o002)
        throw storeError(
          `store directory ${dir} is writable by every user (mode ${(stat.mode & 0o777).toString(8)}); it holds secrets`,
          `chmod 700 '${dir}', or choose another`,
          'store-dir-shared',
        );
      return;
    }
    // One level at a time: node's recursive mkdir retries for ever where a mkdir fails with ENOENT
    // under an existing parent (under /proc, for one).
    const missing: string[] = [];
    for (let d = resolve(dir); !existsSync(d); d = dirname(d)) missing.unshift(d);
    for (const d of missing) mkdirSync(d, { mode: 0o700 });
    chmodSync(dir, 0o700);
  } catch (e) {
    if (e instanceof BluehookError) throw e;
    throw storeError(
      `cannot create store directory ${dir}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`,
      'choose another',
      'store-dir-unusable',
    );
  }
}

/** One line for what SQLite said, naming the file; the data is never touched after it. */
export function databaseError(error: unknown, file: string): BluehookError {
  if (error instanceof BluehookError) return error;
  const code = (error as { code?: string }).code ?? '';
  const message = (error as Error).message;
  if (
    code === 'SQLITE_FULL' ||
    /ENOSPC/.test(message) ||
    (code.startsWith('SQLITE_IOERR') && diskIsFull(file))
  )
    return storeError(
      `cannot write ${file}: the disk is full`,
      'free some space; nothing already recorded was lost',
      'disk-full',
    );
  if (code === 'SQLITE_BUSY' || code.startsWith('SQLITE_BUSY'))
    return storeError(
      `${file} stayed locked by another bluehook process for ${BUSY_TIMEOUT_MS / 1000} s`,
      'try again',
      'database-locked',
    );
  if (code.startsWith('SQLITE_CORRUPT') || code === 'SQLITE_NOTADB') {
    markCorrupt(file, message);
    return corruptError(file, message);
  }
  if (code.startsWith('SQLITE_READONLY'))
    return storeError(`${file} is read-only`, 'check its permissions', 'database-read-only');
  if (code.startsWith('SQLITE_CANTOPEN'))
    return storeError(
      `cannot open ${file}`,
      'check that its directory exists and is writable',
      'database-cannot-open',
    );
  if (code.startsWith('SQLITE_IOERR'))
    return storeError(
      `cannot read or write ${file}: ${message} (${code})`,
      undefined,
      'database-io',
    );
  return storeError(
    `database ${file}: ${message}${code ? ` (${code})` : ''}`,
    undefined,
    'database-error',
  );
}

/** Databases a statement found corrupt in this process (file → what SQLite said). */
const corrupt = new Map<string, string>();

export function markCorrupt(file: string, reason: string): void {
  if (!corrupt.has(file)) corrupt.set(file, reason);
}

export function corruptError(file: string, reason: string): BluehookError {
  return new BluehookError(`database ${file} is corrupt (${reason})`, 'store', {
    code: 'database-corrupt',
    hint: `nothing more is written to it: \`bluehook doctor\` checks it and copies what is readable into a new database; or move it away to start afresh (mv '${file}' '${file}.broken')`,
  });
}

/** Refuses to write into a database found corrupt: a write could land on a page in use. */
export function assertNotCorrupt(file: string): void {
  const reason = corrupt.get(file);
  if (reason !== undefined) throw corruptError(file, reason);
}

/**
 * Whether the file system holding `file` has (next to) no space left: SQLite reports a full disk
 * met while growing its shared-memory file as an I/O error (SQLITE_IOERR_SHMSIZE), not SQLITE_FULL.
 */
function diskIsFull(file: string): boolean {
  try {
    const fs = statfsSync(dirname(file));
    return fs.bavail * fs.bsize < 256 * 1024;
  } catch {
    return false;
  }
}

const SQLITE_MAGIC = 'SQLite format 3\0';

/** Refuses a path that is a symlink, or a file that is not SQLite at all, before SQLite opens it. */
function checkFile(file: string): void {
  // SQLite's own side files must be files too, or it reports a misleading I/O or read-only error.
  for (const side of [`${file}-wal`, `${file}-shm`, `${file}-journal`]) {
    const s = lstatSync(side, { throwIfNoEntry: false });
    if (s && !s.isFile())
      throw storeError(
        `${side} is ${s.isDirectory() ? 'a directory' : 'not a regular file'}, where SQLite keeps a file of bluehook's database; it was left untouched`,
        `move it away (mv '${side}' '${side}.moved')`,
        'database-not-file',
      );
  }
  let stat: Stats;
  try {
    stat = lstatSync(file);
  } catch {
    return; // not there yet: created below
  }
  if (stat.isSymbolicLink())
    throw storeError(
      `${file} is a symbolic link; bluehook does not follow it`,
      'replace it with a regular file',
      'database-symlink',
    );
  if (!stat.isFile())
    throw storeError(
      `${file} is ${stat.isDirectory() ? 'a directory' : 'not a regular file'}, where bluehook keeps its database; it was left untouched`,
      `move it away (mv '${file}' '${file}.moved')`,
      'database-not-file',
    );
  if (stat.size === 0) return;
  const head = Buffer.alloc(16);
  const fd = openSync(file, 'r');
  try {
    readSync(fd, head, 0, 16, 0);
  } finally {
    closeSync(fd);
  }
  if (head.toString('latin1') !== SQLITE_MAGIC) {
    throw storeError(
      `${file} is not a bluehook database (not SQLite); it was left untouched`,
      `move it away to start afresh (mv '${file}' '${file}.broken')`,
      'database-not-sqlite',
    );
  }
}

let addon: string | undefined | null = null;
/** The compiled addon's path: naming it skips the `bindings` package's search of a dozen paths. */
export function addonPath(): string | undefined {
  if (addon === null) {
    const path = join(
      dirname(createRequire(import.meta.url).resolve('better-sqlite3/package.json')),
      'build',
      'Release',
      'better_sqlite3.node',
    );
    addon = existsSync(path) ? path : undefined;
  }
  return addon;
}

const opened = new Map<string, Database>();

/** The store directory's database, opened once per process (and thread) and migrated. */
export function openDatabase(dir: string, sync?: SyncMode): Database {
  const file = join(dir, DB_FILE);
  const known = opened.get(file);
  if (known?.open) {
    // Already open in this process (the webhook store opened it first): the history's mode wins.
    if (sync) known.pragma(`synchronous = ${sync === 'full' ? 'FULL' : 'NORMAL'}`);
    return known;
  }
  ensureStoreDir(dir);
  checkFile(file);
  checkOwner(file);
  // A new connection: whatever was found of an earlier file at this path no longer applies.
  corrupt.delete(file);
  try {
    createPrivateFile(file);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'EEXIST')
      throw storeError(
        `cannot create ${file}: ${(e as NodeJS.ErrnoException).code}`,
        undefined,
        'database-cannot-create',
      );
  }
  let db: Database | undefined;
  try {
    db = new Sqlite(file, { timeout: BUSY_TIMEOUT_MS, nativeBinding: addonPath() });
    // A new file only (WAL fixes the page size). Measured with 2 KB deliveries: 4 KiB pages fit one
    // row each (4.2 KB a delivery); 8 KiB pages 2.8 KB, as dense as 16 KiB with half the WAL per commit.
    if (db.pragma('page_count', { simple: true }) === 0) db.pragma('page_size = 8192');
    db.pragma('journal_mode = WAL');
    // NORMAL in WAL: a commit is in the OS before it returns (kill -9 loses nothing committed); a
    // power cut can roll back the last commits, never corrupt. FULL also fsyncs every commit.
    db.pragma(`synchronous = ${sync === 'full' ? 'FULL' : 'NORMAL'}`);
    // 4 MiB of page cache (better-sqlite3's default is 16): appends touch a few pages at the end of
    // each index and lists stream, so a bigger cache only raised a listener's memory.
    db.pragma('cache_size = -4000');
    migrate(db, file);
  } catch (e) {
    db?.close();
    throw databaseError(e, file);
  }
  opened.set(file, db);
  return db;
}

/** The schema version of a database that is bluehook's (or empty); throws for any other. */
function ownedVersion(db: Database, file: string): number {
  const appId = db.pragma('application_id', { simple: true }) as number;
  const version = db.pragma('user_version', { simple: true }) as number;
  const tables = (
    db.prepare("SELECT count(*) AS n FROM sqlite_master WHERE type = 'table'").get() as {
      n: number;
    }
  ).n;
  if ((appId !== 0 && appId !== APPLICATION_ID) || (appId === 0 && tables > 0)) {
    throw storeError(
      `${file} is an SQLite database of another program, not bluehook's; it was left untouched`,
      'choose another store directory',
      'store-db-foreign',
    );
  }
  if (version > SCHEMA_VERSION) {
    throw storeError(
      `${file} was written by a newer bluehook (schema ${version}; this one knows ${SCHEMA_VERSION})`,
      'upgrade bluehook (npm install -g bluehook@latest)',
      'database-newer-schema',
    );
  }
  return version;
}

/**
 * Checks an existing file's owner on a read-only connection before any writing one opens it:
 * `journal_mode = WAL` alone rewrites header bytes of a rollback-journal database.
 */
function checkOwner(file: string): void {
  if (!(lstatSync(file, { throwIfNoEntry: false })?.size ?? 0)) return;
  const db = openReadOnly(file);
  try {
    ownedVersion(db, file);
  } catch (e) {
    throw databaseError(e, file);
  } finally {
    db.close();
  }
}

function migrate(db: Database, file: string): void {
  const check = () => ownedVersion(db, file);
  if (check() === SCHEMA_VERSION) return;
  // IMMEDIATE takes the write lock first, so two processes starting at once migrate one after the other.
  db.transaction(() => {
    const version = check();
    for (let v = version; v < SCHEMA_VERSION; v++) db.exec(MIGRATIONS[v]!);
    db.pragma(`application_id = ${APPLICATION_ID}`);
    db.pragma(`user_version = ${SCHEMA_VERSION}`);
  }).immediate();
}

/**
 * Creates `file` empty with mode 0600 (never through a symlink) before SQLite opens it: SQLite
 * gives its -wal and -shm files the same mode. Throws EEXIST when it is there already.
 */
export function createPrivateFile(file: string): void {
  closeSync(
    openSync(
      file,
      constants.O_CREAT | constants.O_EXCL | constants.O_WRONLY | constants.O_NOFOLLOW,
      0o600,
    ),
  );
}

/** A new, empty bluehook database at `file` (which must not exist), mode 0600, migrated. */
export function createDatabaseAt(file: string): Database {
  try {
    createPrivateFile(file);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw storeError(
      code === 'EEXIST'
        ? `${file} already exists; it was left untouched`
        : `cannot create ${file}: ${code}`,
      code === 'EEXIST' ? 'name a new file' : undefined,
      code === 'EEXIST' ? 'recover-target-exists' : 'recover-target-unwritable',
    );
  }
  let db: Database | undefined;
  try {
    db = new Sqlite(file, { timeout: BUSY_TIMEOUT_MS, nativeBinding: addonPath() });
    db.pragma('page_size = 8192');
    db.pragma('journal_mode = WAL');
    migrate(db, file);
    return db;
  } catch (e) {
    db?.close();
    throw databaseError(e, file);
  }
}

/** An existing database opened read-only: nothing this connection does changes the file. */
export function openReadOnly(file: string): Database {
  try {
    return new Sqlite(file, {
      readonly: true,
      fileMustExist: true,
      timeout: BUSY_TIMEOUT_MS,
      nativeBinding: addonPath(),
    });
  } catch (e) {
    throw databaseError(e, file);
  }
}

export function closeDatabase(dir: string): void {
  const file = join(dir, DB_FILE);
  opened.get(file)?.close();
  opened.delete(file);
}

export function getMeta(db: Database, key: string): string | undefined {
  return (
    db.prepare('SELECT value FROM meta WHERE key = ?').get(key) as { value: string } | undefined
  )?.value;
}

export function setMeta(db: Database, key: string, value: string): void {
  db.prepare(
    'INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value',
  ).run(key, value);
}
