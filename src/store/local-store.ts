/**
 * The local store: webhook configs with their secrets in the store directory's SQLite database.
 * Every change is one IMMEDIATE transaction (read, check, write), so concurrent processes queue
 * on SQLite's lock instead of overwriting each other, and a change that returned is committed.
 */
import { randomBytes } from 'node:crypto';
import { SampleRandom } from '../blue/random.js';
import { usageError } from '../errors.js';
import { databaseError, getMeta, setMeta, type Database } from '../db/database.js';
import { localDatabase } from '../db/local-database.js';
import {
  resolveRef,
  validateUrl,
  type CreateWebhookInput,
  type EnableResult,
  type UpdateWebhookInput,
  type Webhook,
  type WebhookStore,
} from './types.js';

export { ensureStoreDir } from '../db/database.js';

export const generateSecret = () => `whsec_${randomBytes(32).toString('base64')}`;

const nameTaken = (name: string) =>
  usageError(
    `a webhook named "${name}" already exists`,
    'choose another name',
    'webhook-name-taken',
  );

export class LocalWebhookStore implements WebhookStore {
  readonly kind = 'local' as const;
  private database: Database | undefined;

  constructor(readonly dir: string) {}

  private get db(): Database {
    this.database ??= localDatabase(this.dir);
    return this.database;
  }

  get file(): string {
    return this.db.name;
  }

  /** Runs `fn` in one write transaction; SQLite's errors become one line naming the file. */
  private write<T>(fn: (db: Database) => T): T {
    const db = this.db;
    try {
      return db.transaction(() => fn(db)).immediate();
    } catch (e) {
      if (
        (e as { code?: string }).code === 'SQLITE_CONSTRAINT_UNIQUE' &&
        /webhooks\.name/.test((e as Error).message)
      )
        throw usageError(
          'a webhook with that name already exists',
          'choose another name',
          'webhook-name-taken',
        );
      throw databaseError(e, db.name);
    }
  }

  private all(): Webhook[] {
    try {
      return (
        this.db.prepare('SELECT row FROM webhooks ORDER BY seq').all() as Array<{ row: string }>
      ).map((r) => JSON.parse(r.row) as Webhook);
    } catch (e) {
      throw databaseError(e, this.db.name);
    }
  }

  private userId(db: Database): string {
    let id = getMeta(db, 'userId');
    if (!id) {
      id = new SampleRandom().cuid();
      setMeta(db, 'userId', id);
    }
    return id;
  }

  private save(db: Database, w: Webhook, insert = false): void {
    if (insert)
      db.prepare('INSERT INTO webhooks (id, name, row) VALUES (?, ?, ?)').run(
        w.id,
        w.name,
        JSON.stringify(w),
      );
    else
      db.prepare('UPDATE webhooks SET name = ?, row = ? WHERE id = ?').run(
        w.name,
        JSON.stringify(w),
        w.id,
      );
  }

  private find(db: Database, id: string): Webhook {
    const row = db.prepare('SELECT row FROM webhooks WHERE id = ?').get(id) as
      | { row: string }
      | undefined;
    if (!row)
      throw usageError(
        `webhook ${id} was not found (deleted meanwhile?)`,
        undefined,
        'webhook-not-found',
      );
    return JSON.parse(row.row) as Webhook;
  }

  async list(filter: { enabled?: boolean } = {}): Promise<Webhook[]> {
    const all = this.all();
    const list =
      filter.enabled === undefined ? all : all.filter((w) => w.enabled === filter.enabled);
    return list.reverse(); // stored oldest first; shown newest first like Blue
  }

  async get(ref: string): Promise<Webhook> {
    return resolveRef(ref, this.all());
  }

  async create(input: CreateWebhookInput): Promise<Webhook> {
    validateUrl(input.url);
    return this.write((db) => {
      if (input.name && db.prepare('SELECT 1 FROM webhooks WHERE name = ?').get(input.name))
        throw nameTaken(input.name);
      const rnd = new SampleRandom();
      const now = new Date().toISOString();
      const events = [...(input.events ?? [])];
      const projectIds = [...(input.projectIds ?? [])];
      const webhook: Webhook = {
        id: rnd.cuid(Date.now()),
        uid: rnd.uid(),
        name: input.name ?? null,
        url: input.url,
        secret: input.secret ?? generateSecret(),
        status: 'HEALTHY',
        enabled: input.enabled ?? true,
        events,
        projectIds,
        metadata: { events, projectIds },
        createdById: this.userId(db),
        createdAt: now,
        updatedAt: now,
      };
      this.save(db, webhook, true);
      return webhook;
    });
  }

  async update(id: string, patch: UpdateWebhookInput): Promise<Webhook> {
    if (patch.url !== undefined) validateUrl(patch.url);
    return this.write((db) => {
      const webhook = this.find(db, id);
      if (
        patch.name &&
        db.prepare('SELECT 1 FROM webhooks WHERE name = ? AND id <> ?').get(patch.name, id)
      )
        throw nameTaken(patch.name);
      if (patch.name !== undefined) webhook.name = patch.name;
      if (patch.url !== undefined) webhook.url = patch.url;
      if (patch.events !== undefined) webhook.events = [...patch.events];
      if (patch.projectIds !== undefined) webhook.projectIds = [...patch.projectIds];
      if (patch.enabled !== undefined) webhook.enabled = patch.enabled;
      if (patch.status !== undefined) webhook.status = patch.status;
      webhook.metadata = { events: webhook.events, projectIds: webhook.projectIds };
      webhook.updatedAt = new Date().toISOString();
      this.save(db, webhook);
      return webhook;
    });
  }

  /** Locally there is no Blue to run the health check; `send --health-check` runs it by hand. */
  async enable(id: string): Promise<EnableResult> {
    const webhook = await this.update(id, { enabled: true, status: 'HEALTHY' });
    return { webhook, healthy: true };
  }

  async disable(id: string): Promise<Webhook> {
    return this.update(id, { enabled: false, status: 'UNHEALTHY' });
  }

  /**
   * Copies Blue's webhooks in (for `pull`), keeping their ids and timestamps. A webhook already here
   * under Blue's id is updated; one here under the same name but another id (created locally, then
   * made in Blue by hand) becomes Blue's: it is linked, never duplicated. `webhooks` is newest
   * first, as Blue lists them; they are stored so that the local list keeps that order.
   */
  async upsert(
    webhooks: readonly Webhook[],
  ): Promise<{ added: number; updated: number; linked: number }> {
    return this.write((db) => {
      let added = 0;
      let updated = 0;
      let linked = 0;
      for (const w of [...webhooks].reverse()) {
        const existing = db.prepare('SELECT row FROM webhooks WHERE id = ?').get(w.id) as
          | { row: string }
          | undefined;
        const copy: Webhook = { ...w, createdById: w.createdById || this.userId(db) };
        const sameName = !existing && w.name ? this.findByName(db, w.name) : undefined;
        if (existing) {
          this.save(db, {
            ...copy,
            secret: copy.secret ?? (JSON.parse(existing.row) as Webhook).secret,
          });
          updated++;
        } else if (sameName) {
          this.replace(db, sameName.id, copy);
          linked++;
        } else {
          this.save(db, copy, true);
          added++;
        }
      }
      return { added, updated, linked };
    });
  }

  /**
   * Makes the local webhook `localId` the local copy of Blue's `remote` (after `push` created or
   * matched it): Blue's id and, when known, the secret Blue signs with, in the same place in the
   * list. A secret only this store knew is dropped: Blue never signs with it.
   */
  async adopt(localId: string, remote: Webhook): Promise<Webhook> {
    return this.write((db) => {
      const local = this.find(db, localId);
      const linked: Webhook = { ...remote, createdById: remote.createdById || local.createdById };
      this.replace(db, localId, linked);
      return linked;
    });
  }

  private findByName(db: Database, name: string): Webhook | undefined {
    const row = db.prepare('SELECT row FROM webhooks WHERE name = ?').get(name) as
      | { row: string }
      | undefined;
    return row ? (JSON.parse(row.row) as Webhook) : undefined;
  }

  /** Replaces a row in place (its position in the list is kept), under a new id. */
  private replace(db: Database, oldId: string, w: Webhook): void {
    if (oldId !== w.id) db.prepare('DELETE FROM webhooks WHERE id = ?').run(w.id);
    db.prepare('UPDATE webhooks SET id = ?, name = ?, row = ? WHERE id = ?').run(
      w.id,
      w.name,
      JSON.stringify(w),
      oldId,
    );
  }

  async delete(id: string): Promise<void> {
    this.write((db) => {
      if (!db.prepare('DELETE FROM webhooks WHERE id = ?').run(id).changes)
        throw usageError(
          `webhook ${id} was not found (deleted meanwhile?)`,
          undefined,
          'webhook-not-found',
        );
    });
  }
}

/**
 * Blue returns a webhook's secret only once, at creation: bluehook keeps the secrets of the
 * webhooks it created, keyed by Blue's webhook id, in the same database.
 */
export class KeptSecrets {
  constructor(readonly dir: string) {}

  get(id: string): string | undefined {
    const db = localDatabase(this.dir);
    try {
      return (
        db.prepare('SELECT secret FROM kept_secrets WHERE webhook_id = ?').get(id) as
          | { secret: string }
          | undefined
      )?.secret;
    } catch (e) {
      throw databaseError(e, db.name);
    }
  }

  async set(id: string, secret: string | undefined): Promise<void> {
    const db = localDatabase(this.dir);
    try {
      if (secret === undefined) db.prepare('DELETE FROM kept_secrets WHERE webhook_id = ?').run(id);
      else
        db.prepare(
          'INSERT INTO kept_secrets (webhook_id, secret) VALUES (?, ?) ON CONFLICT (webhook_id) DO UPDATE SET secret = excluded.secret',
        ).run(id, secret);
    } catch (e) {
      throw databaseError(e, db.name);
    }
  }
}
