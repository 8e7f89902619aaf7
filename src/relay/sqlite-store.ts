/**
 * The relay's store on SQLite: `relay.db` in the store directory (0600, WAL), beside the webhook
 * store's `bluehook.db` and with a schema of its own. One relay process writes; the channel
 * commands may run at the same time (SQLite queues writers).
 */
import { EventEmitter } from 'node:events';
import { join } from 'node:path';
import Sqlite from 'better-sqlite3';
import { storeError } from '../errors.js';
import { TurnBatch } from '../history/batch.js';
import { addonPath, createPrivateFile, databaseError, ensureStoreDir } from '../db/database.js';
import {
  channelPath,
  detailOf,
  hashToken,
  newChannelId,
  newToken,
  type Channel,
  type ChannelSummary,
  type NewDelivery,
  type RelayDelivery,
  type RelayRetention,
  type RelayStore,
  type SubscriberState,
} from './store.js';

export const RELAY_DB_FILE = 'relay.db';
/** PRAGMA application_id of relay.db: "BHR1". */
const APPLICATION_ID = 0x42485231;

const MIGRATIONS: readonly string[] = [
  `CREATE TABLE relay_meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
   CREATE TABLE relay_channels (
     id TEXT PRIMARY KEY,
     name TEXT NOT NULL UNIQUE,
     token_hash TEXT NOT NULL,
     secret TEXT,
     created_at TEXT NOT NULL,
     last_seq INTEGER NOT NULL DEFAULT 0
   );
   CREATE TABLE relay_deliveries (
     channel_id TEXT NOT NULL,
     seq INTEGER NOT NULL,
     id TEXT NOT NULL UNIQUE,
     received_ms INTEGER NOT NULL,
     rejected INTEGER NOT NULL,
     status INTEGER NOT NULL,
     headers TEXT NOT NULL,
     body BLOB NOT NULL,
     detail TEXT NOT NULL,
     PRIMARY KEY (channel_id, seq)
   );
   CREATE INDEX relay_deliveries_time ON relay_deliveries (received_ms);
   CREATE TABLE relay_subscribers (
     channel_id TEXT NOT NULL,
     name TEXT NOT NULL,
     acked INTEGER NOT NULL DEFAULT 0,
     dropped INTEGER NOT NULL DEFAULT 0,
     PRIMARY KEY (channel_id, name)
   );`,
];

interface ChannelRow {
  id: string;
  name: string;
  token_hash: string;
  secret: string | null;
  created_at: string;
}

interface DeliveryRow {
  channel_id: string;
  seq: number | bigint | string;
  id: string;
  received_ms: number | bigint | string;
  rejected: number;
  status: number;
  headers: string;
  body: Buffer;
  detail: string;
}

export const channelFromRow = (r: ChannelRow): Channel => ({
  id: r.id,
  name: r.name,
  tokenHash: r.token_hash,
  secret: r.secret,
  createdAt: r.created_at,
});

export function deliveryFromRow(r: DeliveryRow): RelayDelivery {
  const detail = JSON.parse(r.detail) as Pick<RelayDelivery, 'verdict' | 'remoteAddress'>;
  return {
    seq: Number(r.seq),
    id: r.id,
    channelId: r.channel_id,
    receivedAt: new Date(Number(r.received_ms)).toISOString(),
    headers: JSON.parse(r.headers) as Record<string, string>,
    body: r.body,
    verdict: detail.verdict ?? null,
    rejected: Boolean(r.rejected),
    status: r.status,
    remoteAddress: detail.remoteAddress ?? null,
  };
}

export class SqliteRelayStore implements RelayStore {
  readonly engine = 'sqlite' as const;
  readonly location: string;
  private readonly db: Sqlite.Database;
  private readonly appends: TurnBatch<NewDelivery>;
  private readonly commits = new EventEmitter();

  constructor(dir: string, sync: 'normal' | 'full' = 'normal') {
    ensureStoreDir(dir);
    const file = join(dir, RELAY_DB_FILE);
    this.location = file;
    try {
      createPrivateFile(file);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST')
        throw storeError(
          `cannot create ${file}: ${(e as NodeJS.ErrnoException).code}`,
          undefined,
          'relay-db-unwritable',
        );
    }
    try {
      this.db = new Sqlite(file, { timeout: 15_000, nativeBinding: addonPath() });
      this.db.pragma('journal_mode = WAL');
      // NORMAL: a commit survives kill -9 of the relay; FULL (history-sync full) also a power cut.
      this.db.pragma(`synchronous = ${sync === 'full' ? 'FULL' : 'NORMAL'}`);
      this.migrate();
    } catch (e) {
      throw databaseError(e, file);
    }
    this.commits.setMaxListeners(0);
    const bump = this.db.prepare(
      'UPDATE relay_channels SET last_seq = last_seq + ? WHERE id = ? RETURNING last_seq',
    );
    const insert = this.db.prepare(
      'INSERT INTO relay_deliveries (channel_id, seq, id, received_ms, rejected, status, headers, body, detail) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)',
    );
    const insertAll = this.db.transaction((byChannel: Map<string, NewDelivery[]>) => {
      for (const [channelId, list] of byChannel) {
        const row = bump.get(list.length, channelId) as { last_seq: number } | undefined;
        // The channel was removed meanwhile: its deliveries have nowhere to go.
        if (!row)
          throw storeError(
            'the channel was removed while a delivery arrived',
            undefined,
            'channel-removed',
          );
        let seq = row.last_seq - list.length;
        for (const d of list)
          insert.run(
            channelId,
            ++seq,
            d.id,
            Date.parse(d.receivedAt),
            d.rejected ? 1 : 0,
            d.status,
            JSON.stringify(d.headers),
            d.body,
            detailOf(d),
          );
      }
    });
    this.appends = new TurnBatch((items) => {
      const byChannel = new Map<string, NewDelivery[]>();
      for (const d of items) {
        const list = byChannel.get(d.channelId) ?? [];
        list.push(d);
        byChannel.set(d.channelId, list);
      }
      try {
        insertAll.immediate(byChannel);
      } catch (e) {
        throw databaseError(e, file);
      }
      for (const channelId of byChannel.keys()) this.commits.emit('commit', channelId);
    });
  }

  private migrate(): void {
    const appId = this.db.pragma('application_id', { simple: true }) as number;
    const version = this.db.pragma('user_version', { simple: true }) as number;
    if (appId !== 0 && appId !== APPLICATION_ID)
      throw storeError(
        `${this.location} is not the relay's database; it was left untouched`,
        undefined,
        'relay-db-foreign',
      );
    if (version > MIGRATIONS.length)
      throw storeError(
        `${this.location} was written by a newer bluehook (schema ${version})`,
        'upgrade bluehook',
        'database-newer-schema',
      );
    if (version === MIGRATIONS.length) return;
    this.db
      .transaction(() => {
        for (let v = version; v < MIGRATIONS.length; v++) this.db.exec(MIGRATIONS[v]!);
        this.db.pragma(`application_id = ${APPLICATION_ID}`);
        this.db.pragma(`user_version = ${MIGRATIONS.length}`);
      })
      .immediate();
  }

  private sync<T>(fn: () => T): Promise<T> {
    try {
      return Promise.resolve(fn());
    } catch (e) {
      return Promise.reject(databaseError(e, this.location));
    }
  }

  createChannel(name: string, secret: string | null) {
    return this.sync(() => {
      const token = newToken();
      const channel: Channel = {
        id: newChannelId(),
        name,
        tokenHash: hashToken(token),
        secret,
        createdAt: new Date().toISOString(),
      };
      const added = this.db
        .prepare(
          'INSERT INTO relay_channels (id, name, token_hash, secret, created_at) VALUES (?, ?, ?, ?, ?) ON CONFLICT (name) DO NOTHING',
        )
        .run(channel.id, name, channel.tokenHash, secret, channel.createdAt).changes;
      if (!added)
        throw storeError(`a channel named ${name} exists already`, undefined, 'channel-exists');
      return { channel, token };
    });
  }

  listChannels() {
    return this.sync(() =>
      (
        this.db
          .prepare(
            `SELECT c.*, (SELECT count(*) FROM relay_deliveries d WHERE d.channel_id = c.id AND d.rejected = 0) AS kept,
               (SELECT count(*) FROM relay_subscribers s WHERE s.channel_id = c.id) AS subscribers
             FROM relay_channels c ORDER BY c.name`,
          )
          .all() as Array<ChannelRow & { kept: number; subscribers: number; last_seq: number }>
      ).map(
        (r): ChannelSummary => ({
          name: r.name,
          id: r.id,
          path: channelPath(r.id),
          hasSecret: r.secret !== null,
          createdAt: r.created_at,
          kept: Number(r.kept),
          subscribers: Number(r.subscribers),
          lastSeq: Number(r.last_seq),
        }),
      ),
    );
  }

  removeChannel(name: string) {
    return this.sync(() =>
      this.db
        .transaction(() => {
          const row = this.db.prepare('SELECT id FROM relay_channels WHERE name = ?').get(name) as
            | { id: string }
            | undefined;
          if (!row) return false;
          this.db.prepare('DELETE FROM relay_deliveries WHERE channel_id = ?').run(row.id);
          this.db.prepare('DELETE FROM relay_subscribers WHERE channel_id = ?').run(row.id);
          this.db.prepare('DELETE FROM relay_channels WHERE id = ?').run(row.id);
          return true;
        })
        .immediate(),
    );
  }

  rotateToken(name: string) {
    return this.sync(() => {
      const token = newToken();
      const n = this.db
        .prepare('UPDATE relay_channels SET token_hash = ? WHERE name = ?')
        .run(hashToken(token), name).changes;
      if (!n) throw storeError(`no channel named ${name}`, undefined, 'channel-not-found');
      return token;
    });
  }

  channelById(id: string) {
    return this.sync(() => {
      const r = this.db.prepare('SELECT * FROM relay_channels WHERE id = ?').get(id) as
        | ChannelRow
        | undefined;
      return r && channelFromRow(r);
    });
  }

  channelByName(name: string) {
    return this.sync(() => {
      const r = this.db.prepare('SELECT * FROM relay_channels WHERE name = ?').get(name) as
        | ChannelRow
        | undefined;
      return r && channelFromRow(r);
    });
  }

  append(delivery: NewDelivery): Promise<void> {
    return this.appends.add(delivery);
  }

  readAfter(channelId: string, afterSeq: number, limit: number) {
    return this.sync(() =>
      (
        this.db
          .prepare(
            'SELECT * FROM relay_deliveries WHERE channel_id = ? AND seq > ? AND rejected = 0 ORDER BY seq LIMIT ?',
          )
          .all(channelId, afterSeq, limit) as DeliveryRow[]
      ).map(deliveryFromRow),
    );
  }

  oldestKeptBefore(channelId: string) {
    return this.sync(() => {
      const r = this.db
        .prepare('SELECT min(seq) AS s FROM relay_deliveries WHERE channel_id = ? AND rejected = 0')
        .get(channelId) as { s: number | null };
      return r.s === null ? 0 : r.s - 1;
    });
  }

  subscriber(channelId: string, name: string, claim: boolean) {
    return this.sync(() =>
      this.db
        .transaction((): SubscriberState => {
          const r = this.db
            .prepare(
              'SELECT acked, dropped FROM relay_subscribers WHERE channel_id = ? AND name = ?',
            )
            .get(channelId, name) as { acked: number; dropped: number } | undefined;
          if (claim) {
            if (r)
              this.db
                .prepare(
                  'UPDATE relay_subscribers SET dropped = 0 WHERE channel_id = ? AND name = ?',
                )
                .run(channelId, name);
            else
              this.db
                .prepare('INSERT INTO relay_subscribers (channel_id, name) VALUES (?, ?)')
                .run(channelId, name);
          }
          return { acked: r?.acked ?? 0, dropped: r?.dropped ?? 0, known: Boolean(r) };
        })
        .immediate(),
    );
  }

  ack(channelId: string, name: string, seq: number) {
    return this.sync(() => {
      this.db
        .prepare(
          `INSERT INTO relay_subscribers (channel_id, name, acked)
           VALUES (?, ?, min(?, coalesce((SELECT last_seq FROM relay_channels WHERE id = ?), 0)))
           ON CONFLICT (channel_id, name) DO UPDATE SET acked = max(acked, excluded.acked)`,
        )
        .run(channelId, name, seq, channelId);
    });
  }

  prune(retention: RelayRetention) {
    return this.sync(() =>
      this.db
        .transaction(() => {
          let removed = 0;
          let unread = 0;
          const channels = this.db
            .prepare('SELECT id, last_seq FROM relay_channels')
            .all() as Array<{
            id: string;
            last_seq: number;
          }>;
          for (const c of channels) {
            const minAck = (
              this.db
                .prepare('SELECT min(acked) AS m FROM relay_subscribers WHERE channel_id = ?')
                .get(c.id) as { m: number | null }
            ).m;
            if (minAck !== null)
              removed += this.db
                .prepare('DELETE FROM relay_deliveries WHERE channel_id = ? AND seq <= ?')
                .run(c.id, minAck).changes;
            const byAge = (
              this.db
                .prepare(
                  'SELECT max(seq) AS s FROM relay_deliveries WHERE channel_id = ? AND received_ms < ?',
                )
                .get(c.id, Date.now() - retention.maxAgeMs) as { s: number | null }
            ).s;
            const cutoff = Math.max(byAge ?? 0, c.last_seq - retention.maxPerChannel);
            if (cutoff <= (minAck ?? 0)) continue;
            const behind = this.db
              .prepare(
                'SELECT name, acked FROM relay_subscribers WHERE channel_id = ? AND acked < ?',
              )
              .all(c.id, cutoff) as Array<{ name: string; acked: number }>;
            for (const s of behind) {
              const n = (
                this.db
                  .prepare(
                    'SELECT count(*) AS n FROM relay_deliveries WHERE channel_id = ? AND rejected = 0 AND seq > ? AND seq <= ?',
                  )
                  .get(c.id, s.acked, cutoff) as { n: number }
              ).n;
              if (!n) continue;
              unread += n;
              this.db
                .prepare(
                  'UPDATE relay_subscribers SET dropped = dropped + ? WHERE channel_id = ? AND name = ?',
                )
                .run(n, c.id, s.name);
            }
            removed += this.db
              .prepare('DELETE FROM relay_deliveries WHERE channel_id = ? AND seq <= ?')
              .run(c.id, cutoff).changes;
          }
          return { removed, unread };
        })
        .immediate(),
    );
  }

  watch(wake: (channelId: string | null) => void) {
    this.commits.on('commit', wake);
    return () => {
      this.commits.off('commit', wake);
    };
  }

  getSetting(key: string) {
    return this.sync(
      () =>
        (
          this.db.prepare('SELECT value FROM relay_meta WHERE key = ?').get(key) as
            | { value: string }
            | undefined
        )?.value,
    );
  }

  setSetting(key: string, value: string) {
    return this.sync(() => {
      this.db
        .prepare(
          'INSERT INTO relay_meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value',
        )
        .run(key, value);
    });
  }

  async drain() {
    await this.appends.drain();
  }

  async close() {
    await this.drain();
    this.db.close();
  }
}
