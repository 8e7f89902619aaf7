/**
 * The relay's store on PostgreSQL, shared by every relay process on one database: channels,
 * deliveries and cursors in `bluehook_relay_*` tables beside the history's.
 *
 * Wake-ups: a commit runs `pg_notify('bluehook_relay', <channel id>)` in its own transaction, so
 * PostgreSQL delivers the notification to every listening relay only once the rows are visible.
 * The notification is only a wake-up; the table is the truth: a woken stream reads "seq > the last
 * it sent", and seq order is commit order (see store.ts), so a notification lost (a dropped LISTEN
 * connection) delays a delivery until the stream's periodic re-read, and never loses or repeats one.
 */
import type { Client, Pool, PoolClient } from 'pg';
import { BluehookError, storeError } from '../errors.js';
import { TurnBatch } from '../history/batch.js';
import { postgresError, postgresPool } from '../db/postgres.js';
import { redactUrl } from '../util/redact.js';
import {
  channelPath,
  detailOf,
  hashToken,
  newChannelId,
  newToken,
  type Channel,
  type ChannelSummary,
  type NewDelivery,
  type RelayRetention,
  type RelayStore,
  type SubscriberState,
} from './store.js';
import { channelFromRow, deliveryFromRow } from './sqlite-store.js';

const NOTIFY_CHANNEL = 'bluehook_relay';
const MIGRATION_LOCK = 4_242_424_243;

const MIGRATIONS: readonly string[] = [
  `CREATE TABLE bluehook_relay_meta (key text PRIMARY KEY, value text NOT NULL);
   CREATE TABLE bluehook_relay_channels (
     id text COLLATE "C" PRIMARY KEY,
     name text NOT NULL UNIQUE,
     token_hash text NOT NULL,
     secret text,
     created_at text NOT NULL,
     last_seq bigint NOT NULL DEFAULT 0
   );
   CREATE TABLE bluehook_relay_deliveries (
     channel_id text COLLATE "C" NOT NULL,
     seq bigint NOT NULL,
     id text NOT NULL UNIQUE,
     received_ms bigint NOT NULL,
     rejected smallint NOT NULL,
     status integer NOT NULL,
     headers text NOT NULL,
     body bytea NOT NULL,
     detail text NOT NULL,
     PRIMARY KEY (channel_id, seq)
   );
   CREATE INDEX bluehook_relay_deliveries_time ON bluehook_relay_deliveries (received_ms);
   CREATE TABLE bluehook_relay_subscribers (
     channel_id text COLLATE "C" NOT NULL,
     name text NOT NULL,
     acked bigint NOT NULL DEFAULT 0,
     dropped bigint NOT NULL DEFAULT 0,
     PRIMARY KEY (channel_id, name)
   );`,
];

export class PostgresRelayStore implements RelayStore {
  readonly engine = 'postgres' as const;
  readonly location: string;
  private readonly appends: TurnBatch<NewDelivery>;
  private listener: Client | undefined;
  private readonly wakers = new Set<(channelId: string | null) => void>();
  private closed = false;

  private constructor(
    private readonly pool: Pool,
    private readonly url: string,
  ) {
    this.location = redactUrl(url);
    this.appends = new TurnBatch((items) => this.insert(items));
  }

  static async open(url: string): Promise<PostgresRelayStore> {
    // The history's pool: the same limits, the same one-line errors, no SSL-mode warning.
    const pool = await postgresPool(url);
    const store = new PostgresRelayStore(pool, url);
    let client: PoolClient | undefined;
    try {
      client = await pool.connect();
      await client.query('BEGIN');
      await client.query('SELECT pg_advisory_xact_lock($1)', [MIGRATION_LOCK]);
      const exists = (await client.query("SELECT to_regclass('bluehook_relay_meta') AS t")).rows[0]
        .t as string | null;
      const version = exists
        ? Number(
            (
              await client.query(
                "SELECT value FROM bluehook_relay_meta WHERE key = 'schema_version'",
              )
            ).rows[0]?.value ?? 0,
          )
        : 0;
      if (version > MIGRATIONS.length)
        throw storeError(
          `the relay tables at ${store.location} were written by a newer bluehook (schema ${version})`,
          'upgrade bluehook',
          'database-newer-schema',
        );
      for (let v = version; v < MIGRATIONS.length; v++) await client.query(MIGRATIONS[v]!);
      if (version < MIGRATIONS.length)
        await client.query(
          "INSERT INTO bluehook_relay_meta (key, value) VALUES ('schema_version', $1) ON CONFLICT (key) DO UPDATE SET value = excluded.value",
          [String(MIGRATIONS.length)],
        );
      await client.query('COMMIT');
      client.release();
    } catch (e) {
      await client?.query('ROLLBACK').catch(() => undefined);
      client?.release(true);
      await pool.end().catch(() => undefined);
      throw e instanceof BluehookError ? e : postgresError(e, store.location);
    }
    return store;
  }

  private async q<T = Record<string, unknown>>(sql: string, values: unknown[] = []) {
    try {
      const r = await this.pool.query(sql, values);
      return { rows: r.rows as T[], rowCount: r.rowCount ?? 0 };
    } catch (e) {
      throw postgresError(e, this.location);
    }
  }

  private async transaction<T>(fn: (c: PoolClient) => Promise<T>): Promise<T> {
    let client: PoolClient;
    try {
      client = await this.pool.connect();
    } catch (e) {
      throw postgresError(e, this.location);
    }
    try {
      await client.query('BEGIN');
      const result = await fn(client);
      await client.query('COMMIT');
      client.release();
      return result;
    } catch (e) {
      await client.query('ROLLBACK').catch(() => undefined);
      client.release();
      throw e instanceof BluehookError ? e : postgresError(e, this.location);
    }
  }

  /** One transaction per batch; channels locked in one order (no deadlock between relays). */
  private async insert(items: NewDelivery[]): Promise<void> {
    const byChannel = new Map<string, NewDelivery[]>();
    for (const d of items) {
      const list = byChannel.get(d.channelId) ?? [];
      list.push(d);
      byChannel.set(d.channelId, list);
    }
    await this.transaction(async (c) => {
      for (const channelId of [...byChannel.keys()].sort()) {
        const list = byChannel.get(channelId)!;
        const r = await c.query(
          'UPDATE bluehook_relay_channels SET last_seq = last_seq + $1 WHERE id = $2 RETURNING last_seq',
          [list.length, channelId],
        );
        if (!r.rows[0])
          throw storeError(
            'the channel was removed while a delivery arrived',
            undefined,
            'channel-removed',
          );
        let seq = Number(r.rows[0].last_seq) - list.length;
        const values: unknown[] = [];
        const tuples: string[] = [];
        for (const d of list) {
          const b = values.length;
          tuples.push(`(${Array.from({ length: 9 }, (_, i) => `$${b + i + 1}`).join(', ')})`);
          values.push(
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
        await c.query(
          `INSERT INTO bluehook_relay_deliveries (channel_id, seq, id, received_ms, rejected, status, headers, body, detail) VALUES ${tuples.join(', ')}`,
          values,
        );
        await c.query('SELECT pg_notify($1, $2)', [NOTIFY_CHANNEL, channelId]);
      }
    });
  }

  async createChannel(name: string, secret: string | null) {
    const token = newToken();
    const channel: Channel = {
      id: newChannelId(),
      name,
      tokenHash: hashToken(token),
      secret,
      createdAt: new Date().toISOString(),
    };
    const r = await this.q(
      'INSERT INTO bluehook_relay_channels (id, name, token_hash, secret, created_at) VALUES ($1, $2, $3, $4, $5) ON CONFLICT (name) DO NOTHING',
      [channel.id, name, channel.tokenHash, secret, channel.createdAt],
    );
    if (!r.rowCount)
      throw storeError(`a channel named ${name} exists already`, undefined, 'channel-exists');
    return { channel, token };
  }

  async listChannels(): Promise<ChannelSummary[]> {
    const { rows } = await this.q<Record<string, string | null>>(
      `SELECT c.*, (SELECT count(*) FROM bluehook_relay_deliveries d WHERE d.channel_id = c.id AND d.rejected = 0) AS kept,
         (SELECT count(*) FROM bluehook_relay_subscribers s WHERE s.channel_id = c.id) AS subscribers
       FROM bluehook_relay_channels c ORDER BY c.name`,
    );
    return rows.map((r) => ({
      name: r.name!,
      id: r.id!,
      path: channelPath(r.id!),
      hasSecret: r.secret !== null,
      createdAt: r.created_at!,
      kept: Number(r.kept),
      subscribers: Number(r.subscribers),
      lastSeq: Number(r.last_seq),
    }));
  }

  removeChannel(name: string) {
    return this.transaction(async (c) => {
      const r = await c.query('DELETE FROM bluehook_relay_channels WHERE name = $1 RETURNING id', [
        name,
      ]);
      const id = r.rows[0]?.id as string | undefined;
      if (!id) return false;
      await c.query('DELETE FROM bluehook_relay_deliveries WHERE channel_id = $1', [id]);
      await c.query('DELETE FROM bluehook_relay_subscribers WHERE channel_id = $1', [id]);
      return true;
    });
  }

  async rotateToken(name: string) {
    const token = newToken();
    const r = await this.q('UPDATE bluehook_relay_channels SET token_hash = $1 WHERE name = $2', [
      hashToken(token),
      name,
    ]);
    if (!r.rowCount) throw storeError(`no channel named ${name}`, undefined, 'channel-not-found');
    return token;
  }

  async channelById(id: string) {
    const { rows } = await this.q('SELECT * FROM bluehook_relay_channels WHERE id = $1', [id]);
    return rows[0] ? channelFromRow(rows[0] as never) : undefined;
  }

  async channelByName(name: string) {
    const { rows } = await this.q('SELECT * FROM bluehook_relay_channels WHERE name = $1', [name]);
    return rows[0] ? channelFromRow(rows[0] as never) : undefined;
  }

  append(delivery: NewDelivery) {
    return this.appends.add(delivery);
  }

  async readAfter(channelId: string, afterSeq: number, limit: number) {
    const { rows } = await this.q(
      'SELECT * FROM bluehook_relay_deliveries WHERE channel_id = $1 AND seq > $2 AND rejected = 0 ORDER BY seq LIMIT $3',
      [channelId, afterSeq, limit],
    );
    return rows.map((r) => deliveryFromRow(r as never));
  }

  async oldestKeptBefore(channelId: string) {
    const { rows } = await this.q<{ s: string | null }>(
      'SELECT min(seq) AS s FROM bluehook_relay_deliveries WHERE channel_id = $1 AND rejected = 0',
      [channelId],
    );
    return rows[0]?.s == null ? 0 : Number(rows[0].s) - 1;
  }

  subscriber(channelId: string, name: string, claim: boolean): Promise<SubscriberState> {
    if (!claim)
      return this.q<{ acked: string; dropped: string }>(
        'SELECT acked, dropped FROM bluehook_relay_subscribers WHERE channel_id = $1 AND name = $2',
        [channelId, name],
      ).then(({ rows }) => ({
        acked: Number(rows[0]?.acked ?? 0),
        dropped: Number(rows[0]?.dropped ?? 0),
        known: Boolean(rows[0]),
      }));
    // The dropped count is handed over once: read and reset under the row's lock.
    return this.transaction(async (c) => {
      const before = (
        await c.query(
          'SELECT acked, dropped FROM bluehook_relay_subscribers WHERE channel_id = $1 AND name = $2 FOR UPDATE',
          [channelId, name],
        )
      ).rows[0] as { acked: string; dropped: string } | undefined;
      if (before)
        await c.query(
          'UPDATE bluehook_relay_subscribers SET dropped = 0 WHERE channel_id = $1 AND name = $2',
          [channelId, name],
        );
      else
        await c.query(
          'INSERT INTO bluehook_relay_subscribers (channel_id, name) VALUES ($1, $2) ON CONFLICT DO NOTHING',
          [channelId, name],
        );
      return {
        acked: Number(before?.acked ?? 0),
        dropped: Number(before?.dropped ?? 0),
        known: Boolean(before),
      };
    });
  }

  async ack(channelId: string, name: string, seq: number) {
    await this.q(
      `INSERT INTO bluehook_relay_subscribers (channel_id, name, acked)
       VALUES ($1, $2, least($3::bigint, coalesce((SELECT last_seq FROM bluehook_relay_channels WHERE id = $1), 0)))
       ON CONFLICT (channel_id, name) DO UPDATE SET acked = greatest(bluehook_relay_subscribers.acked, excluded.acked)`,
      [channelId, name, seq],
    );
  }

  async prune(retention: RelayRetention) {
    let removed = 0;
    let unread = 0;
    const { rows: channels } = await this.q<{ id: string; last_seq: string }>(
      'SELECT id, last_seq FROM bluehook_relay_channels',
    );
    for (const ch of channels) {
      const r = await this.transaction(async (c) => {
        let gone = 0;
        let lost = 0;
        // The channel row's lock keeps appends to it out while the cut is made.
        const lock = await c.query(
          'SELECT last_seq FROM bluehook_relay_channels WHERE id = $1 FOR UPDATE',
          [ch.id],
        );
        if (!lock.rows[0]) return { gone, lost };
        const lastSeq = Number(lock.rows[0].last_seq);
        const minAck = (
          await c.query(
            'SELECT min(acked) AS m FROM bluehook_relay_subscribers WHERE channel_id = $1',
            [ch.id],
          )
        ).rows[0].m as string | null;
        if (minAck !== null)
          gone += (
            await c.query(
              'DELETE FROM bluehook_relay_deliveries WHERE channel_id = $1 AND seq <= $2',
              [ch.id, minAck],
            )
          ).rowCount!;
        const byAge = (
          await c.query(
            'SELECT max(seq) AS s FROM bluehook_relay_deliveries WHERE channel_id = $1 AND received_ms < $2',
            [ch.id, Date.now() - retention.maxAgeMs],
          )
        ).rows[0].s as string | null;
        const cutoff = Math.max(Number(byAge ?? 0), lastSeq - retention.maxPerChannel);
        if (cutoff <= Number(minAck ?? 0)) return { gone, lost };
        const counted = await c.query(
          `UPDATE bluehook_relay_subscribers s SET dropped = s.dropped + n.n
           FROM (SELECT s2.name, (SELECT count(*) FROM bluehook_relay_deliveries d
                   WHERE d.channel_id = s2.channel_id AND d.rejected = 0 AND d.seq > s2.acked AND d.seq <= $2) AS n
                 FROM bluehook_relay_subscribers s2 WHERE s2.channel_id = $1 AND s2.acked < $2) n
           WHERE s.channel_id = $1 AND s.name = n.name AND n.n > 0 RETURNING n.n`,
          [ch.id, cutoff],
        );
        for (const row of counted.rows) lost += Number(row.n);
        gone += (
          await c.query(
            'DELETE FROM bluehook_relay_deliveries WHERE channel_id = $1 AND seq <= $2',
            [ch.id, cutoff],
          )
        ).rowCount!;
        return { gone, lost };
      });
      removed += r.gone;
      unread += r.lost;
    }
    return { removed, unread };
  }

  watch(wake: (channelId: string | null) => void) {
    this.wakers.add(wake);
    if (!this.listener) void this.listen();
    return () => {
      this.wakers.delete(wake);
    };
  }

  /** One dedicated connection LISTENs; when it drops it reconnects and wakes every stream (it may have missed some). */
  private async listen(): Promise<void> {
    const pg = (await import('pg')).default;
    const client = new pg.Client({ connectionString: this.url, connectionTimeoutMillis: 10_000 });
    this.listener = client;
    const retry = () => {
      if (this.closed || this.listener !== client) return;
      this.listener = undefined;
      client.end().catch(() => undefined);
      setTimeout(() => {
        if (!this.closed && this.wakers.size) void this.listen();
      }, 1000).unref();
    };
    client.on('error', retry);
    client.on('end', retry);
    client.on('notification', (n) => {
      for (const wake of this.wakers) wake(n.payload ?? null);
    });
    try {
      await client.connect();
      await client.query(`LISTEN ${NOTIFY_CHANNEL}`);
      for (const wake of this.wakers) wake(null);
    } catch {
      retry();
    }
  }

  async getSetting(key: string) {
    const { rows } = await this.q<{ value: string }>(
      'SELECT value FROM bluehook_relay_meta WHERE key = $1',
      [key],
    );
    return rows[0]?.value;
  }

  async setSetting(key: string, value: string) {
    await this.q(
      'INSERT INTO bluehook_relay_meta (key, value) VALUES ($1, $2) ON CONFLICT (key) DO UPDATE SET value = excluded.value',
      [key, value],
    );
  }

  async drain() {
    await this.appends.drain();
  }

  async close() {
    this.closed = true;
    await this.drain();
    const l = this.listener;
    this.listener = undefined;
    await l?.end().catch(() => undefined);
    await this.pool.end();
  }
}
