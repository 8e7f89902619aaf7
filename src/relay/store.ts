/**
 * The relay's store: channels, the deliveries they received and each subscriber's acknowledged
 * cursor. One interface, two engines (SQLite for one relay, PostgreSQL shared by several relays).
 *
 * Order: every channel row carries a `last_seq` counter. A commit takes the channel row's lock
 * (UPDATE … SET last_seq = last_seq + n), numbers its deliveries from it and releases the lock
 * only when it commits, so two commits on one channel are serialised and seq order IS commit
 * order: once a reader sees seq N committed, every seq below N of that channel is committed
 * (a rolled-back commit rolls its counter back too). A stream that reads "seq > last" therefore
 * never skips one, whichever relay process committed it.
 */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';

export interface Channel {
  id: string;
  name: string;
  /** SHA-256 of the subscriber token, hex. The token itself is never kept. */
  tokenHash: string;
  /** Blue's webhook secret, when deliveries are to be verified. */
  secret: string | null;
  createdAt: string;
}

export interface ChannelSummary {
  name: string;
  id: string;
  path: string;
  hasSecret: boolean;
  createdAt: string;
  /** Deliveries kept (streamable ones). */
  kept: number;
  subscribers: number;
  lastSeq: number;
}

/** A delivery as the relay keeps it. `rejected` ones (forgeries) are never streamed. */
export interface RelayDelivery {
  seq: number;
  id: string;
  channelId: string;
  receivedAt: string;
  headers: Record<string, string>;
  body: Buffer;
  /** null: the channel has no secret (unverified). */
  verdict: { valid: boolean; cause: string } | null;
  rejected: boolean;
  status: number;
  remoteAddress: string | null;
}

export type NewDelivery = Omit<RelayDelivery, 'seq'>;

export interface SubscriberState {
  /** Everything up to this seq is acknowledged (0: nothing). */
  acked: number;
  /** Deliveries retention removed before this subscriber acknowledged them, not yet reported. */
  dropped: number;
  known: boolean;
}

export interface RelayRetention {
  /** Remove deliveries older than this, read or not. */
  maxAgeMs: number;
  /** Keep at most this many deliveries per channel (the newest). */
  maxPerChannel: number;
}

/** Seven days and 100,000 a channel: a channel nobody reads cannot fill a disk. */
export const DEFAULT_RELAY_RETENTION: RelayRetention = {
  maxAgeMs: 7 * 24 * 3600_000,
  maxPerChannel: 100_000,
};

export interface RelayStore {
  readonly engine: 'sqlite' | 'postgres';
  /** Where it lives, safe to print. */
  readonly location: string;
  createChannel(name: string, secret: string | null): Promise<{ channel: Channel; token: string }>;
  listChannels(): Promise<ChannelSummary[]>;
  /** false when there is no such channel. */
  removeChannel(name: string): Promise<boolean>;
  /** The new token; the old one stops working at once. */
  rotateToken(name: string): Promise<string>;
  channelById(id: string): Promise<Channel | undefined>;
  channelByName(name: string): Promise<Channel | undefined>;
  /** Resolves once the delivery is committed (batched with others of the same event-loop turn). */
  append(delivery: NewDelivery): Promise<void>;
  /** Streamable deliveries of a channel after `afterSeq`, in seq order. */
  readAfter(channelId: string, afterSeq: number, limit: number): Promise<RelayDelivery[]>;
  /** The lowest seq still kept of a channel's streamable deliveries minus one (0 when none). */
  oldestKeptBefore(channelId: string): Promise<number>;
  /** The subscriber's state; `claim` records it as known and hands over (resets) its dropped count. */
  subscriber(channelId: string, name: string, claim: boolean): Promise<SubscriberState>;
  /** Moves the cursor forward (never back, and never past the channel's last seq: nothing not yet received is skipped). */
  ack(channelId: string, name: string, seq: number): Promise<void>;
  /**
   * Removes what every known subscriber acknowledged, and what the retention bounds exclude
   * (counted per subscriber that had not acknowledged it). Returns how many were removed.
   */
  prune(retention: RelayRetention): Promise<{ removed: number; unread: number }>;
  /** Calls `wake(channelId)` after a commit on a channel, from this or (PostgreSQL) another process. */
  watch(wake: (channelId: string | null) => void): () => void;
  getSetting(key: string): Promise<string | undefined>;
  setSetting(key: string, value: string): Promise<void>;
  drain(): Promise<void>;
  close(): Promise<void>;
}

export const channelPath = (id: string) => `/c/${id}`;
export const newChannelId = () => randomBytes(16).toString('base64url');
export const newToken = () => `bht_${randomBytes(32).toString('base64url')}`;
export const hashToken = (token: string) => createHash('sha256').update(token).digest('hex');

/** Constant time in the token's content: both sides are hashed to the same length first. */
export function tokenMatches(token: string, channel: Pick<Channel, 'tokenHash'>): boolean {
  const given = createHash('sha256').update(token).digest();
  const kept = Buffer.from(channel.tokenHash, 'hex');
  return kept.length === given.length && timingSafeEqual(given, kept);
}

export const CHANNEL_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;
export const SUBSCRIBER_NAME = /^[A-Za-z0-9._-]{1,64}$/;

/** What the table keeps of a delivery's verdict and headers. */
export function detailOf(d: NewDelivery): string {
  return JSON.stringify({ verdict: d.verdict, remoteAddress: d.remoteAddress });
}
