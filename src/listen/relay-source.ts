/**
 * The relay's stream as a source of deliveries: connects out to a channel's server-sent events,
 * hands each delivery to the caller (which commits it), acknowledges only what was committed,
 * resumes where it stopped, reconnects with backoff. Protocol: docs/relay.md ("Protocol").
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { Agent, request, type Dispatcher } from 'undici';
import { BluehookError, configError, networkError } from '../errors.js';
import { classifyError } from '../util/network-errors.js';

/** One delivery as the relay streams it. */
export interface RelayDelivery {
  seq: number;
  id: string;
  receivedAt: string;
  method: string;
  headers: Record<string, string>;
  body: string;
  bodyEncoding: 'utf8' | 'base64';
}

export type RelayEvent =
  | {
      type: 'relay-connected';
      channel: string;
      subscriber: string;
      resumeAfter: number;
      dropped: number;
    }
  | { type: 'relay-live' }
  | { type: 'relay-reconnecting'; attempt: number; of: number; delayMs: number; reason: string }
  | { type: 'relay-ack-failed'; seq: number; reason: string };

export interface RelaySourceOptions {
  /** The channel's URL (`https://relay.example.com/c/<id>`). */
  url: URL;
  token: string;
  /** The relay keeps one acknowledged cursor per subscriber name. */
  subscriber: string;
  /** PEM certificate(s) trusted for the relay, besides the system's. */
  ca?: string;
  /** Connection attempts in a row that may fail before giving up (the first one included). */
  attempts: number;
  /** First wait between attempts; doubles up to `maxDelayMs`. */
  initialDelayMs?: number;
  maxDelayMs?: number;
  /** A stream silent this long (no event, no ping) is taken as lost (the relay pings every 15 s). */
  idleMs?: number;
  /**
   * Commits a batch of deliveries (in seq order); resolves once every one is committed or known
   * already. What it rejects with ends the connection: the batch is streamed again on reconnect.
   */
  commit: (deliveries: RelayDelivery[]) => Promise<void>;
  onEvent: (event: RelayEvent) => void;
  /** Tests only: never acknowledge (a crash between commit and acknowledgement, made certain). */
  skipAck?: boolean;
}

export interface RunningRelaySource {
  /**
   * Settles after the first attempt: resolves when the stream opened, or when it failed in a way
   * worth retrying (the source goes on retrying); rejects when it was refused (a wrong token).
   */
  firstAttempt: Promise<void>;
  /** Settles when the source stops: resolves after stop(), rejects on a fatal error. */
  done: Promise<void>;
  /** Stops reading, acknowledges what was committed, closes the connection. */
  stop(): Promise<void>;
}

const tokenRefused = () =>
  configError(
    'the relay refused the subscriber token (wrong, or rotated)',
    undefined,
    'relay-token-refused',
  );

/** Splits a server-sent events stream into events; only the fields the relay sends are kept. */
export class EventStreamParser {
  private rest = '';
  private id: string | undefined;
  private event = '';
  private data: string[] = [];

  feed(text: string, emit: (e: { id?: string; event: string; data: string }) => void): void {
    let all = this.rest + text;
    // A CR at the end may be the first half of a CRLF: held back until the next chunk says.
    const held = all.endsWith('\r') ? '\r' : '';
    if (held) all = all.slice(0, -1);
    const lines = all.split(/\r\n|\r|\n/);
    this.rest = lines.pop()! + held;
    for (const line of lines) {
      if (line === '') {
        if (this.data.length || this.event)
          emit({ id: this.id, event: this.event || 'message', data: this.data.join('\n') });
        this.event = '';
        this.data = [];
        this.id = undefined;
        continue;
      }
      if (line.startsWith(':')) continue; // a comment: the relay's keep-alive ping
      const colon = line.indexOf(':');
      const field = colon < 0 ? line : line.slice(0, colon);
      let value = colon < 0 ? '' : line.slice(colon + 1);
      if (value.startsWith(' ')) value = value.slice(1);
      if (field === 'data') this.data.push(value);
      else if (field === 'event') this.event = value;
      else if (field === 'id') this.id = value;
    }
  }
}

export function startRelaySource(options: RelaySourceOptions): RunningRelaySource {
  const dispatcher: Dispatcher = new Agent({
    keepAliveTimeout: 10_000,
    connect: { timeout: 10_000, ...(options.ca ? { ca: options.ca } : {}) },
    // The stream stays open for hours: no body timeout; silence is watched below instead.
    bodyTimeout: 0,
    headersTimeout: 15_000,
  });
  const base = new URL(options.url);
  base.hash = '';
  base.search = '';
  const streamUrl = new URL(base);
  streamUrl.searchParams.set('subscriber', options.subscriber);
  const ackUrl = new URL(`${base.pathname.replace(/\/$/, '')}/ack`, base);
  ackUrl.searchParams.set('subscriber', options.subscriber);
  const auth = `Bearer ${options.token}`;

  let stopping = false;
  const stopController = new AbortController();
  /** The highest seq committed here, and the highest the relay has been told of. */
  let committed = -1;
  let acked = -1;
  let acking: Promise<void> | undefined;

  let ackAgain = false;
  /** Tells the relay what is committed: one request at a time, the newest seq when it goes out. */
  const ack = (): Promise<void> => {
    if (options.skipAck) return Promise.resolve();
    if (acking) {
      ackAgain = true;
      return acking;
    }
    if (committed <= acked) return Promise.resolve();
    const seq = committed;
    acking = (async () => {
      try {
        const res = await request(ackUrl, {
          method: 'POST',
          dispatcher,
          headers: { authorization: auth, 'content-type': 'application/json' },
          body: JSON.stringify({ seq }),
          headersTimeout: 10_000,
          bodyTimeout: 10_000,
        });
        await res.body.dump();
        if (res.statusCode === 204 || res.statusCode === 200) acked = Math.max(acked, seq);
        else
          options.onEvent({
            type: 'relay-ack-failed',
            seq,
            reason: res.statusCode === 401 ? 'token refused' : `HTTP ${res.statusCode}`,
          });
      } catch (e) {
        // Not fatal: the relay streams unacknowledged deliveries again, and they are known here.
        options.onEvent({ type: 'relay-ack-failed', seq, reason: classifyError(e).message });
      } finally {
        acking = undefined;
      }
      if (ackAgain) {
        ackAgain = false;
        await ack();
      }
    })();
    return acking;
  };
  /** Waits until what is committed has been acknowledged (or tried once). */
  const flushAck = async () => {
    await acking;
    await ack();
  };

  /** One connection: resolves when the stream ends or breaks (with why), throws when fatal. */
  const connectOnce = async (onOpen: () => void): Promise<string> => {
    const headers: Record<string, string> = {
      authorization: auth,
      accept: 'text/event-stream',
    };
    if (committed >= 0) headers['last-event-id'] = String(committed);
    const silence = new AbortController();
    const signal = AbortSignal.any([stopController.signal, silence.signal]);
    let res: Dispatcher.ResponseData;
    try {
      res = await request(streamUrl, { method: 'GET', dispatcher, headers, signal });
    } catch (e) {
      if (stopping) return 'stopped';
      throw Object.assign(new Error(classifyError(e).message), { retryable: true });
    }
    if (res.statusCode === 401 || res.statusCode === 403) {
      await res.body.dump().catch(() => undefined);
      throw tokenRefused();
    }
    if (res.statusCode !== 200) {
      await res.body.dump().catch(() => undefined);
      const reason = `the relay answered ${res.statusCode}`;
      if (res.statusCode >= 500 || res.statusCode === 429) {
        // A relay that is busy (429) or stopping (503) says when to come back.
        const after = Number(res.headers['retry-after']);
        throw Object.assign(new Error(reason), {
          retryable: true,
          retryAfterMs: Number.isFinite(after) ? Math.min(after, 300) * 1000 : 0,
        });
      }
      throw configError(`${reason} for the channel ${base.href} (is the URL the channel's?)`);
    }
    onOpen();
    const parser = new EventStreamParser();
    let idle: NodeJS.Timeout | undefined;
    const watch = () => {
      clearTimeout(idle);
      idle = setTimeout(() => silence.abort(), options.idleMs ?? 45_000);
    };
    watch();
    res.body.setEncoding('utf8');
    try {
      for await (const chunk of res.body as AsyncIterable<string>) {
        watch();
        // Events in stream order; the deliveries between two other events are committed as one batch.
        const items: Array<RelayDelivery | RelayEvent> = [];
        parser.feed(chunk, (e) => {
          if (e.event === 'delivery') {
            const d = JSON.parse(e.data) as RelayDelivery;
            if (d.seq > committed) items.push(d);
          } else if (e.event === 'hello') {
            const h = JSON.parse(e.data) as {
              channel: string;
              subscriber: string;
              resumeAfter: number;
              dropped?: number;
            };
            items.push({
              type: 'relay-connected',
              channel: h.channel,
              subscriber: h.subscriber,
              resumeAfter: h.resumeAfter,
              dropped: h.dropped ?? 0,
            });
          } else if (e.event === 'live') items.push({ type: 'relay-live' });
        });
        let batch: RelayDelivery[] = [];
        const commitBatch = async () => {
          if (!batch.length) return;
          // Read no further until this batch is committed: the stream waits (backpressure).
          await options.commit(batch);
          committed = batch.at(-1)!.seq;
          batch = [];
          void ack();
        };
        for (const item of items) {
          if (!('type' in item)) batch.push(item);
          else {
            await commitBatch();
            options.onEvent(item);
          }
        }
        await commitBatch();
      }
      return stopping ? 'stopped' : 'the relay closed the stream';
    } catch (e) {
      if (stopping) return 'stopped';
      if (e instanceof BluehookError && e.category !== 'network') throw e;
      if (silence.signal.aborted) return 'the stream went silent';
      return classifyError(e).message;
    } finally {
      clearTimeout(idle);
      res.body.destroy();
    }
  };

  let attempted: () => void = () => undefined;
  const firstAttempt = new Promise<void>((resolve) => (attempted = resolve));
  const run = async (): Promise<void> => {
    let failures = 0;
    let delay = options.initialDelayMs ?? 500;
    while (!stopping) {
      let reason: string;
      let retryAfterMs = 0;
      try {
        reason = await connectOnce(() => {
          attempted();
          failures = 0;
          delay = options.initialDelayMs ?? 500;
        });
      } catch (e) {
        if (!(e as { retryable?: boolean }).retryable) throw e;
        reason = (e as Error).message;
        retryAfterMs = (e as { retryAfterMs?: number }).retryAfterMs ?? 0;
        failures++;
        attempted();
      }
      if (stopping) break;
      if (failures >= options.attempts)
        throw networkError(
          `cannot reach the relay at ${base.origin}: ${reason} (${failures} attempt${failures === 1 ? '' : 's'})`,
          undefined,
        );
      const wait = Math.max(retryAfterMs, Math.round(delay * (0.8 + Math.random() * 0.4)));
      options.onEvent({
        type: 'relay-reconnecting',
        attempt: failures + 1,
        of: options.attempts,
        delayMs: wait,
        reason,
      });
      await sleep(wait, undefined, { signal: stopController.signal }).catch(() => undefined);
      delay = Math.min(delay * 2, options.maxDelayMs ?? 30_000);
    }
  };

  const done = run().finally(async () => {
    await flushAck().catch(() => undefined);
    await dispatcher.close().catch(() => undefined);
  });
  done.catch(() => undefined);
  return {
    firstAttempt: Promise.race([firstAttempt, done]),
    done,
    async stop() {
      stopping = true;
      stopController.abort();
      await done.catch(() => undefined);
    },
  };
}
