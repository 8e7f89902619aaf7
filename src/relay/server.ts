/**
 * The relay's HTTP surface (protocol: docs/relay.md): Blue POSTs deliveries to a channel's path;
 * each is verified with the channel's secret and committed BEFORE it is answered 2xx; a
 * subscriber GETs the same path with its token and receives the channel's deliveries as
 * server-sent events, from its cursor, then live; it acknowledges what it has committed. The
 * relay makes no outgoing request. It knows nothing of terminals: it reports through `onEvent`.
 */
import {
  createServer as createHttpServer,
  type IncomingMessage,
  type Server,
  type ServerResponse,
} from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import { setTimeout as sleep } from 'node:timers/promises';
import { encodeBody, newDeliveryId } from '../history/record.js';
import { guardConnections, type ConnectionGuard } from '../receiver/connections.js';
import { readBody } from '../receiver/server.js';
import { makeVerifier, type Verifier } from '../receiver/verifier.js';
import { getScheme, SCHEME_NAMES } from '../signing/schemes.js';
import { flattenHeaders, HOP_BY_HOP_HEADERS } from '../util/headers.js';
import { RateLimiter } from './limits.js';
import {
  SUBSCRIBER_NAME,
  tokenMatches,
  type Channel,
  type RelayDelivery,
  type RelayRetention,
  type RelayStore,
} from './store.js';
import { listenOn } from '../util/listen.js';

export interface RelayLimits {
  maxBodyBytes: number;
  headersTimeoutMs: number;
  requestTimeoutMs: number;
  maxConnections: number;
  /** 0: none (behind a proxy every connection comes from the proxy). */
  maxConnectionsPerAddress: number;
  /** Deliveries (and stream openings) a second from one address; 0: no limit. */
  ratePerAddress: number;
  /** Deliveries a second to one channel; 0: no limit. */
  ratePerChannel: number;
  maxStreams: number;
  maxStreamsPerChannel: number;
  /** Failed token checks one address may make (refilled one every 10 s) before it gets 429. */
  authFailures: number;
  /** How long a failed token check is held before its 401 (slows guessing). */
  authFailureDelayMs: number;
  /** Between `: ping` comments on an idle stream. */
  pingMs: number;
  /** How often an open stream checks its token is still the channel's and re-reads the table. */
  recheckMs: number;
}

export const RELAY_LIMITS: RelayLimits = {
  maxBodyBytes: 1024 * 1024,
  headersTimeoutMs: 10_000,
  requestTimeoutMs: 30_000,
  maxConnections: 4096,
  maxConnectionsPerAddress: 1024,
  ratePerAddress: 100,
  ratePerChannel: 1000,
  maxStreams: 2000,
  maxStreamsPerChannel: 100,
  authFailures: 10,
  authFailureDelayMs: 1000,
  pingMs: 15_000,
  recheckMs: 2000,
};

export type RelayEvent =
  | {
      type: 'delivery';
      channel: string;
      id: string;
      valid: boolean | null;
      cause: string | null;
      status: number;
      bytes: number;
      address: string;
    }
  | { type: 'rejected'; method: string; status: number; reason: string; address: string }
  | {
      type: 'rate-limited';
      scope: 'address' | 'channel' | 'auth';
      address: string;
      channel?: string;
    }
  | { type: 'auth-failed'; address: string; channel: string | null }
  | {
      type: 'stream-open';
      channel: string;
      subscriber: string;
      resumeAfter: number;
      address: string;
    }
  | { type: 'stream-close'; channel: string; subscriber: string; sent: number; reason: string }
  | { type: 'ack'; channel: string; subscriber: string; seq: number }
  | { type: 'unrecorded'; channel: string; message: string }
  | { type: 'pruned'; removed: number; unread: number }
  | { type: 'error'; message: string };

export interface RelayServerOptions {
  host: string;
  port: number;
  store: RelayStore;
  tls?: { cert: Buffer; key: Buffer };
  /** Read the client address from X-Forwarded-For (only behind a proxy that sets it). */
  trustProxy?: boolean;
  limits?: Partial<RelayLimits>;
  retention: RelayRetention;
  /** How often retention runs (default every minute). */
  pruneEveryMs?: number;
  onEvent?: (event: RelayEvent) => void;
}

export interface RunningRelay {
  url: string;
  address: string;
  server: Server;
  connections: ConnectionGuard;
  /** Stops accepting, ends the streams, lets deliveries in flight commit and be answered. */
  close(): Promise<void>;
}

/** Deliveries read per query while a stream catches up: bounded memory even with 1 MiB bodies. */
const STREAM_BATCH = 100;
const CHANNEL_ROUTE = /^\/c\/([A-Za-z0-9_-]{16,64})(\/ack)?$/;
/** Headers never kept or streamed: the connection's own, and credentials. */
const DROPPED_HEADERS = new Set([
  ...HOP_BY_HOP_HEADERS,
  'authorization',
  'cookie',
  'proxy-authorization',
]);

const json = (
  res: ServerResponse,
  status: number,
  value: unknown,
  headers: Record<string, string> = {},
) => {
  if (res.headersSent) return;
  res
    .writeHead(status, {
      'content-type': 'application/json',
      'cache-control': 'no-store',
      ...headers,
    })
    .end(`${JSON.stringify(value)}\n`);
};

/** Verifies with every scheme bluehook knows: Blue's first, then the others. */
function channelVerifier(secret: string): Verifier {
  const blue = makeVerifier([{ secret }], 'blue');
  const others = SCHEME_NAMES.filter((n) => n !== 'blue').map((n) => getScheme(n));
  return (body, headers) => {
    const verdict = blue(body, headers);
    if (verdict.valid) return verdict;
    for (const scheme of others)
      if (scheme.verify(body, secret, headers).valid)
        return { valid: true, cause: 'valid', message: `valid ${scheme.name} signature` };
    return verdict;
  };
}

/** The event a subscriber receives for one delivery. */
export function deliveryEvent(d: RelayDelivery): string {
  const encoded = encodeBody(d.body);
  const data = JSON.stringify({
    seq: d.seq,
    id: d.id,
    receivedAt: d.receivedAt,
    method: 'POST',
    headers: d.headers,
    body: encoded.body,
    bodyEncoding: encoded.bodyEncoding,
    verdict: d.verdict,
  });
  return `id: ${d.seq}\nevent: delivery\ndata: ${data}\n\n`;
}

interface OpenStream {
  channelId: string;
  wake(): void;
  end(reason: string): void;
}

export async function startRelay(options: RelayServerOptions): Promise<RunningRelay> {
  const limits: RelayLimits = { ...RELAY_LIMITS, ...options.limits };
  const { store } = options;
  const emit = (e: RelayEvent) => options.onEvent?.(e);
  const inFlight = new Set<Promise<void>>();
  const streams = new Set<OpenStream>();
  const streamsByChannel = new Map<string, Set<OpenStream>>();
  const byAddress = new RateLimiter(limits.ratePerAddress);
  const byChannel = new RateLimiter(limits.ratePerChannel);
  const authFailures = new RateLimiter(0.1, limits.authFailures);
  let closing = false;

  // Channels are read often (every delivery, every stream's recheck): kept a second at most, so a
  // rotated token or a removed channel takes effect within that second on every relay process.
  const channelCache = new Map<string, { at: number; channel: Promise<Channel | undefined> }>();
  const channelOf = (id: string): Promise<Channel | undefined> => {
    const now = performance.now();
    const hit = channelCache.get(id);
    if (hit && now - hit.at < 1000) return hit.channel;
    if (channelCache.size > 10_000) channelCache.clear();
    const channel = store.channelById(id);
    channelCache.set(id, { at: now, channel });
    channel.catch(() => channelCache.delete(id));
    return channel;
  };
  const verifiers = new Map<string, { secret: string; verify: Verifier }>();
  const verifierOf = (c: Channel & { secret: string }) => {
    let v = verifiers.get(c.id);
    if (!v || v.secret !== c.secret) {
      v = { secret: c.secret, verify: channelVerifier(c.secret) };
      verifiers.set(c.id, v);
    }
    return v.verify;
  };

  const clientAddress = (req: IncomingMessage): string => {
    if (options.trustProxy) {
      const forwarded = req.headers['x-forwarded-for'];
      const list = (Array.isArray(forwarded) ? forwarded.join(',') : (forwarded ?? '')).split(',');
      // The last address is the one the proxy in front of the relay added: the others the client wrote.
      const last = list.at(-1)?.trim();
      if (last) return last;
    }
    return req.socket.remoteAddress ?? '?';
  };

  const tooMany = (res: ServerResponse, retryAfterS: number, what: string) =>
    json(res, 429, { error: `too many requests: ${what}` }, { 'retry-after': String(retryAfterS) });

  /** The channel when the bearer token is its own; otherwise answers (401, or 429 for a guesser) and returns undefined. */
  const authorize = async (
    req: IncomingMessage,
    res: ServerResponse,
    id: string,
    address: string,
  ): Promise<Channel | undefined> => {
    const header = req.headers.authorization ?? '';
    const token = /^Bearer\s+(\S+)$/i.exec(header)?.[1];
    const channel = await channelOf(id);
    // A hash is compared whether or not the channel exists: the same work, the same answer.
    const ok =
      tokenMatches(token ?? '', channel ?? { tokenHash: '0'.repeat(64) }) &&
      Boolean(channel && token);
    if (ok) return channel;
    emit({ type: 'auth-failed', address, channel: channel?.name ?? null });
    const budget = authFailures.take(address);
    if (!budget.ok) {
      emit({ type: 'rate-limited', scope: 'auth', address });
      tooMany(res, budget.retryAfterS, 'too many failed token checks from this address');
      return undefined;
    }
    await sleep(limits.authFailureDelayMs);
    json(res, 401, { error: 'unauthorized' }, { 'www-authenticate': 'Bearer' });
    return undefined;
  };

  const receive = async (
    req: IncomingMessage,
    res: ServerResponse,
    id: string,
    address: string,
  ) => {
    const started = performance.now();
    const perAddress = byAddress.take(address);
    if (!perAddress.ok) {
      emit({ type: 'rate-limited', scope: 'address', address });
      return tooMany(res, perAddress.retryAfterS, 'this address sends too fast');
    }
    const channel = await channelOf(id);
    if (!channel) {
      emit({ type: 'rejected', method: 'POST', status: 404, reason: 'no such channel', address });
      return json(res, 404, { error: 'not found' });
    }
    const perChannel = byChannel.take(channel.id);
    if (!perChannel.ok) {
      emit({ type: 'rate-limited', scope: 'channel', address, channel: channel.name });
      return tooMany(res, perChannel.retryAfterS, 'this channel receives too fast');
    }
    const body = await readBody(
      req,
      limits.maxBodyBytes,
      limits.requestTimeoutMs - (performance.now() - started),
    );
    if (body === 'aborted') return;
    if (body === 'too-slow') {
      emit({
        type: 'rejected',
        method: 'POST',
        status: 408,
        reason: 'the body did not arrive in time',
        address,
      });
      json(res, 408, { error: 'request timeout' }, { connection: 'close' });
      res.once('finish', () => req.socket.destroy());
      return;
    }
    req.socket.setTimeout(0);
    if (body === 'too-large') {
      emit({
        type: 'rejected',
        method: 'POST',
        status: 413,
        reason: `larger than ${limits.maxBodyBytes} bytes`,
        address,
      });
      return json(
        res,
        413,
        { error: `payload too large: the limit is ${limits.maxBodyBytes} bytes` },
        { connection: 'close' },
      );
    }
    const headers: Record<string, string> = {};
    for (const [k, v] of Object.entries(flattenHeaders(req.headers, true)))
      if (!DROPPED_HEADERS.has(k)) headers[k] = v;
    const verdict = channel.secret
      ? verifierOf(channel as Channel & { secret: string })(body, headers)
      : null;
    const rejected = verdict !== null && !verdict.valid;
    const status = rejected ? 401 : 200;
    const deliveryId = newDeliveryId();
    try {
      // Durable before acknowledged: the answer goes out only once the row is committed.
      await store.append({
        id: deliveryId,
        channelId: channel.id,
        receivedAt: new Date().toISOString(),
        headers,
        body,
        verdict: verdict && { valid: verdict.valid, cause: verdict.cause },
        rejected,
        status,
        remoteAddress: address,
      });
    } catch (error) {
      emit({ type: 'unrecorded', channel: channel.name, message: (error as Error).message });
      return json(res, 500, { error: 'not recorded: the relay could not store this delivery' });
    }
    if (rejected) json(res, 401, { error: 'invalid signature' });
    else json(res, 200, { ok: true, id: deliveryId });
    emit({
      type: 'delivery',
      channel: channel.name,
      id: deliveryId,
      valid: verdict ? verdict.valid : null,
      cause: verdict ? verdict.cause : null,
      status,
      bytes: body.length,
      address,
    });
  };

  const subscriberOf = (req: IncomingMessage): string | undefined => {
    const q = new URL(req.url ?? '/', 'http://relay').searchParams.get('subscriber');
    if (q === null) return 'default';
    return SUBSCRIBER_NAME.test(q) ? q : undefined;
  };

  const stream = async (req: IncomingMessage, res: ServerResponse, id: string, address: string) => {
    const perAddress = byAddress.take(address);
    if (!perAddress.ok) {
      emit({ type: 'rate-limited', scope: 'address', address });
      return tooMany(res, perAddress.retryAfterS, 'this address connects too fast');
    }
    const channel = await authorize(req, res, id, address);
    if (!channel) return;
    const subscriber = subscriberOf(req);
    if (!subscriber)
      return json(res, 400, { error: 'subscriber must be 1-64 characters of A-Z a-z 0-9 . _ -' });
    const lastEventId = req.headers['last-event-id'];
    let resumeFrom: number | undefined;
    if (lastEventId !== undefined) {
      if (!/^\d{1,15}$/.test(String(lastEventId).trim()))
        return json(res, 400, { error: 'Last-Event-ID must be a seq' });
      resumeFrom = Number(String(lastEventId).trim());
    }
    const openHere = streamsByChannel.get(channel.id)?.size ?? 0;
    if (streams.size >= limits.maxStreams || openHere >= limits.maxStreamsPerChannel)
      return tooMany(
        res,
        5,
        streams.size >= limits.maxStreams
          ? 'the relay holds its most streams'
          : 'this channel holds its most streams',
      );
    const state = await store.subscriber(channel.id, subscriber, true);
    // Gone while the cursor was read: nothing to stream to (and no 'close' left to wait for).
    if (res.destroyed || req.socket.destroyed) return;
    let last = resumeFrom ?? state.acked;
    req.socket.setTimeout(0);
    req.socket.setNoDelay(true);
    res.writeHead(200, {
      'content-type': 'text/event-stream',
      'cache-control': 'no-store',
      'x-accel-buffering': 'no',
    });
    res.write(
      `event: hello\ndata: ${JSON.stringify({ channel: channel.name, subscriber, resumeAfter: last, dropped: state.dropped })}\n\n`,
    );
    emit({ type: 'stream-open', channel: channel.name, subscriber, resumeAfter: last, address });

    let ended = false;
    let endReason = 'closed by the subscriber';
    let pending = true;
    let wakeUp: (() => void) | undefined;
    let sent = 0;
    const self: OpenStream = {
      channelId: channel.id,
      wake: () => {
        pending = true;
        wakeUp?.();
      },
      end: (reason) => {
        if (ended) return;
        ended = true;
        endReason = reason;
        wakeUp?.();
        res.end();
      },
    };
    // Looked up after the awaits above: another stream of this channel may have opened meanwhile.
    const mine = streamsByChannel.get(channel.id) ?? new Set<OpenStream>();
    streamsByChannel.set(channel.id, mine);
    streams.add(self);
    mine.add(self);
    res.once('close', () => self.end(endReason));
    const ping = setInterval(() => res.write(': ping\n\n'), limits.pingMs);
    const recheck = setInterval(() => self.wake(), limits.recheckMs);
    let checkedAt = performance.now();
    try {
      let live = false;
      while (!ended) {
        if (!pending) await new Promise<void>((r) => (wakeUp = r));
        wakeUp = undefined;
        pending = false;
        if (ended) break;
        if (performance.now() - checkedAt >= limits.recheckMs) {
          checkedAt = performance.now();
          const now = await channelOf(channel.id);
          if (!now || now.tokenHash !== channel.tokenHash) {
            self.end(now ? 'the token was rotated' : 'the channel was removed');
            break;
          }
        }
        const batch = await store.readAfter(channel.id, last, STREAM_BATCH);
        for (const d of batch) {
          if (ended) break;
          last = d.seq;
          sent++;
          // Back-pressure: a slow subscriber is not buffered without bound.
          if (!res.write(deliveryEvent(d)) && !res.destroyed)
            await new Promise<void>((r) => {
              const done = () => {
                res.off('drain', done);
                res.off('close', done);
                r();
              };
              res.on('drain', done);
              res.on('close', done);
            });
        }
        if (batch.length === STREAM_BATCH) pending = true;
        else if (!live && !ended) {
          live = true;
          res.write('event: live\ndata: {}\n\n');
        }
      }
    } catch (error) {
      self.end(`store error: ${(error as Error).message}`);
    } finally {
      clearInterval(ping);
      clearInterval(recheck);
      streams.delete(self);
      mine.delete(self);
      if (!mine.size && streamsByChannel.get(channel.id) === mine)
        streamsByChannel.delete(channel.id);
      emit({ type: 'stream-close', channel: channel.name, subscriber, sent, reason: endReason });
    }
  };

  const ack = async (req: IncomingMessage, res: ServerResponse, id: string, address: string) => {
    const channel = await authorize(req, res, id, address);
    if (!channel) return;
    const subscriber = subscriberOf(req);
    if (!subscriber)
      return json(res, 400, { error: 'subscriber must be 1-64 characters of A-Z a-z 0-9 . _ -' });
    const body = await readBody(req, 1024, limits.requestTimeoutMs);
    if (typeof body === 'string')
      return json(res, 400, { error: 'the body must be {"seq":<int>}' });
    let seq: unknown;
    try {
      seq = (JSON.parse(body.toString('utf8')) as { seq?: unknown }).seq;
    } catch {
      seq = undefined;
    }
    if (typeof seq !== 'number' || !Number.isSafeInteger(seq) || seq < 0)
      return json(res, 400, { error: 'the body must be {"seq":<int>}' });
    await store.ack(channel.id, subscriber, seq);
    res.writeHead(204, { 'cache-control': 'no-store' }).end();
    emit({ type: 'ack', channel: channel.name, subscriber, seq });
  };

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const address = clientAddress(req);
    const path = (req.url ?? '/').split('?')[0]!;
    const route = CHANNEL_ROUTE.exec(path);
    if (closing) return json(res, 503, { error: 'the relay is stopping' }, { connection: 'close' });
    if (path === '/healthz' && req.method === 'GET') return json(res, 200, { ok: true });
    if (!route) {
      emit({
        type: 'rejected',
        method: req.method ?? '?',
        status: 404,
        reason: 'not a channel path',
        address,
      });
      return json(res, 404, { error: 'not found' });
    }
    const [, id, isAck] = route as unknown as [string, string, string | undefined];
    if (isAck) {
      if (req.method !== 'POST')
        return json(res, 405, { error: 'method not allowed' }, { allow: 'POST' });
      return ack(req, res, id, address);
    }
    if (req.method === 'POST') return receive(req, res, id, address);
    if (req.method === 'GET') return stream(req, res, id, address);
    return json(res, 405, { error: 'method not allowed' }, { allow: 'GET, POST' });
  };

  const onRequest = (req: IncomingMessage, res: ServerResponse) => {
    const p = handle(req, res).catch((error: Error) => {
      emit({ type: 'error', message: error.message });
      json(res, 500, { error: 'internal error' });
    });
    inFlight.add(p);
    void p.finally(() => inFlight.delete(p));
  };
  const server: Server = options.tls
    ? (createHttpsServer(
        { cert: options.tls.cert, key: options.tls.key, handshakeTimeout: limits.headersTimeoutMs },
        onRequest,
      ) as unknown as Server)
    : createHttpServer({ connectionsCheckingInterval: 1000 }, onRequest);
  server.headersTimeout = limits.headersTimeoutMs;
  server.requestTimeout = limits.requestTimeoutMs;
  server.keepAliveTimeout = 5_000;
  server.timeout = limits.headersTimeoutMs;
  server.maxHeadersCount = 0;
  // With TLS the rule applies to connections past their handshake; those still in it are cut
  // after the headers' cut-off, and at most twice the cap of them are accepted.
  if (options.tls) server.maxConnections = limits.maxConnections * 2;
  const connections = guardConnections(
    server,
    {
      max: limits.maxConnections,
      perAddress: options.trustProxy ? 0 : limits.maxConnectionsPerAddress,
    },
    options.tls ? 'secureConnection' : 'connection',
  );

  const stopWatching = store.watch((channelId) => {
    if (channelId === null) for (const s of streams) s.wake();
    else for (const s of streamsByChannel.get(channelId) ?? []) s.wake();
  });

  let pruning: Promise<void> = Promise.resolve();
  const prune = () => {
    pruning = store.prune(options.retention).then(
      (r) => (r.removed ? emit({ type: 'pruned', ...r }) : undefined),
      (e: Error) => emit({ type: 'error', message: `retention could not run: ${e.message}` }),
    );
  };
  // The first run completes before the relay listens: a subscriber's first hello counts it.
  prune();
  await pruning;
  const pruneTimer = setInterval(prune, options.pruneEveryMs ?? 60_000);
  pruneTimer.unref();

  const { port, address, urlHost } = await listenOn(server, options.port, options.host);
  return {
    url: `${options.tls ? 'https' : 'http'}://${urlHost}:${port}`,
    address,
    server,
    connections,
    async close() {
      closing = true;
      clearInterval(pruneTimer);
      stopWatching();
      const closed = new Promise<void>((r) => server.close(() => r()));
      for (const s of [...streams]) s.end('the relay is stopping');
      server.closeIdleConnections();
      await Promise.allSettled([...inFlight]);
      server.closeAllConnections();
      await closed;
      await pruning;
      await store.drain();
    },
  };
}
