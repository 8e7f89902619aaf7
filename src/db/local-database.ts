/** The store directory's database as the stores and the history use it: opened, migrated, legacy files imported. */
import { openDatabase, type Database, type SyncMode } from './database.js';
import { importLegacyFiles } from './legacy.js';

const imported = new Set<Database>();
const notices: string[] = [];

export function localDatabase(dir: string, sync?: SyncMode): Database {
  const db = openDatabase(dir, sync);
  if (!imported.has(db)) {
    notices.push(...importLegacyFiles(db, dir));
    imported.add(db);
  }
  return db;
}

/** What the opening did that a user should hear about (imports of old files); each line once. */
export function takeNotices(): string[] {
  return notices.splice(0);
}

export function addNotice(line: string): void {
  notices.push(line);
}
