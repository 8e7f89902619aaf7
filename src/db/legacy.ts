/**
 * The layout before the database: `webhooks.json` (configs and secrets) and `secrets.json`
 * (secrets kept for Blue webhooks). Each is imported once, in one transaction, and then renamed
 * aside (`.imported`), never deleted. A file that does not parse is left where it is and reported.
 */
import { existsSync, lstatSync, readFileSync, renameSync } from 'node:fs';
import { join } from 'node:path';
import { storeError } from '../errors.js';
import { getMeta, setMeta, type Database } from './database.js';

/** A row of the old webhooks.json as far as the import reads it (the whole row is kept as JSON). */
interface LegacyWebhook {
  id: string;
  url: string;
  name?: string | null;
}

/** Renames an imported file aside, never over an earlier one; returns the new name. */
export function setAside(file: string): string | undefined {
  let target = `${file}.imported`;
  if (existsSync(target))
    target = `${file}.imported-${new Date().toISOString().replace(/[:.]/g, '-')}`;
  try {
    renameSync(file, target);
    return target;
  } catch {
    return undefined; // another process set it aside first
  }
}

/** An old file that is a link is never read through (nor renamed over what it points to). */
export function refuseLink(file: string): void {
  if (lstatSync(file, { throwIfNoEntry: false })?.isSymbolicLink()) {
    throw storeError(
      `${file} is a symbolic link; bluehook does not follow it`,
      'replace it with a regular file, or move it away',
      'legacy-file-symlink',
    );
  }
}

function readJson(file: string): unknown {
  refuseLink(file);
  try {
    return JSON.parse(readFileSync(file, 'utf8'));
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw storeError(
      `${file} cannot be imported (${(e as Error).message}); it was left untouched`,
      `fix it, or move it away (mv '${file}' '${file}.broken')`,
      'legacy-file-unreadable',
    );
  }
}

/** Imports what is there; returns one line per file imported. */
export function importLegacyFiles(db: Database, dir: string): string[] {
  const notices: string[] = [];
  const webhooksFile = join(dir, 'webhooks.json');
  if (existsSync(webhooksFile) && !getMeta(db, 'imported:webhooks.json')) {
    const data = readJson(webhooksFile) as
      | { userId?: string; webhooks: LegacyWebhook[] }
      | undefined;
    if (
      !data ||
      typeof data !== 'object' ||
      !Array.isArray(data.webhooks) ||
      data.webhooks.some((w) => !w || typeof w.id !== 'string' || typeof w.url !== 'string')
    ) {
      throw storeError(
        `${webhooksFile} cannot be imported (not a bluehook store file); it was left untouched`,
        `move it away (mv '${webhooksFile}' '${webhooksFile}.broken')`,
        'legacy-file-unreadable',
      );
    }
    let added = 0;
    db.transaction(() => {
      if (getMeta(db, 'imported:webhooks.json')) return;
      if (data.userId && !getMeta(db, 'userId')) setMeta(db, 'userId', data.userId);
      const insert = db.prepare(
        'INSERT INTO webhooks (id, name, row) VALUES (?, ?, ?) ON CONFLICT DO NOTHING',
      );
      for (const w of data.webhooks)
        added += insert.run(w.id, w.name ?? null, JSON.stringify(w)).changes;
      setMeta(db, 'imported:webhooks.json', new Date().toISOString());
    }).immediate();
    const aside = setAside(webhooksFile);
    if (aside)
      notices.push(
        `imported ${added} webhook${added === 1 ? '' : 's'} from ${webhooksFile} into the database; the file is kept as ${aside}`,
      );
  }
  const secretsFile = join(dir, 'secrets.json');
  if (existsSync(secretsFile) && !getMeta(db, 'imported:secrets.json')) {
    const data = readJson(secretsFile);
    if (!data || typeof data !== 'object' || Array.isArray(data)) {
      throw storeError(
        `${secretsFile} cannot be imported (not an object of secrets); it was left untouched`,
        `move it away (mv '${secretsFile}' '${secretsFile}.broken')`,
        'legacy-file-unreadable',
      );
    }
    let added = 0;
    db.transaction(() => {
      if (getMeta(db, 'imported:secrets.json')) return;
      const insert = db.prepare(
        'INSERT INTO kept_secrets (webhook_id, secret) VALUES (?, ?) ON CONFLICT DO NOTHING',
      );
      for (const [id, secret] of Object.entries(data as Record<string, unknown>))
        if (typeof secret === 'string') added += insert.run(id, secret).changes;
      setMeta(db, 'imported:secrets.json', new Date().toISOString());
    }).immediate();
    const aside = setAside(secretsFile);
    if (aside)
      notices.push(
        `imported ${added} kept secret${added === 1 ? '' : 's'} from ${secretsFile}; the file is kept as ${aside}`,
      );
  }
  return notices;
}
