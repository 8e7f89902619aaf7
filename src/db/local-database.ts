/** The store directory's database as the stores and the history use it: opened, migrated, legacy files imported. */
import { openDatabase, type Database, type SyncMode } from './database.js';
import { importLegacyFiles } from './legacy.js';

const imported = new Set<Database>();
const notices: string[] = [];
let sink: ((line: string) => void) | undefined;

export function localDatabase(dir: string, sync?: SyncMode): Database {
  const db = openDatabase(dir, sync);
  if (!imported.has(db)) {
    for (const line of importLegacyFiles(db, dir)) addNotice(line);
    imported.add(db);
  }
  return db;
}

/** What the opening did that a user should hear about (imports of old files); each line once. */
export function takeNotices(): string[] {
  return notices.splice(0);
}

/**
 * Says each notice as it happens instead of keeping it for `takeNotices` (the store opens its
 * database on first use, which may be well after the command began).
 */
export function reportNoticesTo(report: (line: string) => void): void {
  sink = report;
  for (const line of takeNotices()) report(line);
}

export function addNotice(line: string): void {
  if (sink) sink(line);
  else notices.push(line);
}
