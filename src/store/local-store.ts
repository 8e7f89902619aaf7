/**
 * The local store: webhook configs with their secrets in one JSON file, written atomically
 * (temp file, fsync, rename) under an inter-process lock, with the last good version kept as .bak.
 * A file that does not parse is never overwritten.
 */
import { randomBytes } from 'node:crypto';
import { chmodSync, existsSync, lstatSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { SampleRandom } from '../blue/random.js';
import { storeError, usageError } from '../errors.js';
import { writeFileAtomic } from '../util/fs.js';
import { withLock } from './lock.js';
import {
  resolveRef,
  validateUrl,
  type CreateWebhookInput,
  type EnableResult,
  type UpdateWebhookInput,
  type Webhook,
  type WebhookStore,
} from './types.js';

interface StoreFile {
  version: 1;
  /** The local user that "creates" webhooks (Blue's createdById). */
  userId: string;
  webhooks: Webhook[];
}

export const generateSecret = () => `whsec_${randomBytes(32).toString('base64')}`;

/** Creates the store directory 0700 if it does not exist; an existing directory is left as it is. */
export function ensureStoreDir(dir: string): void {
  if (!existsSync(dir)) {
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    chmodSync(dir, 0o700);
  }
}

export class LocalWebhookStore implements WebhookStore {
  readonly kind = 'local' as const;
  readonly file: string;
  private readonly lockFile: string;

  constructor(readonly dir: string) {
    this.file = join(dir, 'webhooks.json');
    this.lockFile = join(dir, 'webhooks.lock');
  }

  private read(): StoreFile {
    let text: string;
    try {
      if (lstatSync(this.file).isSymbolicLink()) {
        throw storeError(`store file ${this.file} is a symbolic link; bluehook does not follow it`, 'replace it with a regular file');
      }
      text = readFileSync(this.file, 'utf8');
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') {
        return { version: 1, userId: new SampleRandom().cuid(), webhooks: [] };
      }
      if ((e as { exitCode?: number }).exitCode) throw e;
      throw storeError(`cannot read store file ${this.file}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
    }
    const corrupt = (why: string) =>
      storeError(
        `store file ${this.file} is corrupt (${why}); it was left untouched`,
        existsSync(`${this.file}.bak`) ? `restore the last good version with: cp '${this.file}.bak' '${this.file}'` : 'move it away to start an empty store',
      );
    let data: StoreFile;
    try {
      data = JSON.parse(text) as StoreFile;
    } catch (e) {
      throw corrupt((e as Error).message);
    }
    if (!data || data.version !== 1 || !Array.isArray(data.webhooks) || typeof data.userId !== 'string') {
      throw corrupt('not a bluehook store file');
    }
    for (const w of data.webhooks) {
      if (!w || typeof w.id !== 'string' || typeof w.url !== 'string' || !Array.isArray(w.events)) throw corrupt('a webhook entry is malformed');
    }
    return data;
  }

  /** Read, change and write back under the lock; the previous good file becomes .bak. */
  private async transact<T>(change: (data: StoreFile) => T): Promise<T> {
    ensureStoreDir(this.dir);
    return withLock(this.lockFile, () => {
      const data = this.read();
      const result = change(data);
      if (existsSync(this.file)) writeFileAtomic(`${this.file}.bak`, readFileSync(this.file), 0o600);
      writeFileAtomic(this.file, `${JSON.stringify(data, null, 2)}\n`, 0o600);
      return result;
    });
  }

  async list(filter: { enabled?: boolean } = {}): Promise<Webhook[]> {
    const all = this.read().webhooks;
    const list = filter.enabled === undefined ? all : all.filter((w) => w.enabled === filter.enabled);
    return [...list].reverse(); // stored oldest first (append); shown newest first like Blue
  }

  async get(ref: string): Promise<Webhook> {
    return resolveRef(ref, this.read().webhooks);
  }

  async create(input: CreateWebhookInput): Promise<Webhook> {
    validateUrl(input.url);
    return this.transact((data) => {
      if (input.name && data.webhooks.some((w) => w.name === input.name)) {
        throw usageError(`a webhook named "${input.name}" already exists`, 'choose another --name');
      }
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
        createdById: data.userId,
        createdAt: now,
        updatedAt: now,
      };
      data.webhooks.push(webhook);
      return structuredClone(webhook);
    });
  }

  async update(id: string, patch: UpdateWebhookInput): Promise<Webhook> {
    if (patch.url !== undefined) validateUrl(patch.url);
    return this.transact((data) => {
      const webhook = data.webhooks.find((w) => w.id === id);
      if (!webhook) throw usageError(`webhook ${id} was not found (deleted meanwhile?)`);
      if (patch.name && data.webhooks.some((w) => w.name === patch.name && w.id !== id)) {
        throw usageError(`a webhook named "${patch.name}" already exists`, 'choose another --name');
      }
      if (patch.name !== undefined) webhook.name = patch.name;
      if (patch.url !== undefined) webhook.url = patch.url;
      if (patch.events !== undefined) webhook.events = [...patch.events];
      if (patch.projectIds !== undefined) webhook.projectIds = [...patch.projectIds];
      if (patch.enabled !== undefined) webhook.enabled = patch.enabled;
      if (patch.status !== undefined) webhook.status = patch.status;
      webhook.metadata = { events: webhook.events, projectIds: webhook.projectIds };
      webhook.updatedAt = new Date().toISOString();
      return structuredClone(webhook);
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

  /** Inserts or replaces webhooks by id, keeping their ids and timestamps (for `pull`). */
  async upsert(webhooks: readonly Webhook[]): Promise<{ added: number; updated: number }> {
    return this.transact((data) => {
      let added = 0;
      let updated = 0;
      for (const w of webhooks) {
        const index = data.webhooks.findIndex((x) => x.id === w.id);
        const copy = structuredClone({ ...w, createdById: w.createdById || data.userId });
        if (index < 0) {
          data.webhooks.push(copy);
          added++;
        } else {
          data.webhooks[index] = { ...copy, secret: copy.secret ?? data.webhooks[index]!.secret };
          updated++;
        }
      }
      return { added, updated };
    });
  }

  async delete(id: string): Promise<void> {
    await this.transact((data) => {
      const index = data.webhooks.findIndex((w) => w.id === id);
      if (index < 0) throw usageError(`webhook ${id} was not found (deleted meanwhile?)`);
      data.webhooks.splice(index, 1);
    });
  }
}
