/** Helpers of the relay tests: a raw server-sent-events client, channel creation, signed posts. */
import { request as httpRequest, type ClientRequest, type IncomingMessage } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { hmac, post, runCli, startReady, type ReadyProcess } from './helpers.js';

export interface SseEvent {
  event: string;
  id?: string;
  data: string;
}

export interface SseClient {
  status: number;
  headers: IncomingMessage['headers'];
  events: SseEvent[];
  /** Resolves with the first event (from the start) at or after `from` that matches. */
  next(match: (e: SseEvent) => boolean, from?: number): Promise<SseEvent>;
  /** Resolves when the server ends the stream. */
  ended: Promise<void>;
  body: () => string;
  close(): void;
}

/** A GET of a channel with exact headers: parses `event:`/`id:`/`data:` blocks as they arrive. */
export function openStream(
  url: string,
  headers: Record<string, string>,
  options: { ca?: Buffer } = {},
): Promise<SseClient> {
  return new Promise((resolve, reject) => {
    const u = new URL(url);
    const make = u.protocol === 'https:' ? httpsRequest : httpRequest;
    const req: ClientRequest = make(
      u,
      { method: 'GET', headers: { accept: 'text/event-stream', ...headers }, ca: options.ca },
      (res) => {
        const events: SseEvent[] = [];
        const waiters = new Set<() => void>();
        let buffer = '';
        let raw = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => {
          raw += chunk;
          buffer += chunk;
          let i = buffer.indexOf('\n\n');
          while (i >= 0) {
            const block = buffer.slice(0, i);
            buffer = buffer.slice(i + 2);
            const e: SseEvent = { event: 'message', data: '' };
            let hasField = false;
            for (const line of block.split('\n')) {
              if (line.startsWith(':')) continue;
              const [field, ...rest] = line.split(':');
              const value = rest.join(':').replace(/^ /, '');
              hasField = true;
              if (field === 'event') e.event = value;
              else if (field === 'id') e.id = value;
              else if (field === 'data') e.data += value;
            }
            if (hasField) events.push(e);
            i = buffer.indexOf('\n\n');
          }
          for (const w of [...waiters]) w();
        });
        const ended = new Promise<void>((r) => {
          res.on('end', r);
          res.on('close', r);
          res.on('error', () => r());
        });
        void ended.then(() => {
          for (const w of [...waiters]) w();
        });
        let isEnded = false;
        void ended.then(() => (isEnded = true));
        resolve({
          status: res.statusCode!,
          headers: res.headers,
          events,
          ended,
          body: () => raw,
          close: () => req.destroy(),
          next(match, from = 0) {
            return new Promise((ok, fail) => {
              const timer = setTimeout(
                () =>
                  fail(new Error(`no matching event within 20 s; got ${JSON.stringify(events)}`)),
                20_000,
              );
              const check = () => {
                const hit = events.slice(from).find(match);
                if (hit || isEnded) {
                  clearTimeout(timer);
                  waiters.delete(check);
                  if (hit) ok(hit);
                  else fail(new Error(`the stream ended; got ${JSON.stringify(events)}`));
                }
              };
              waiters.add(check);
              check();
            });
          },
        });
      },
    );
    req.on('error', reject);
    req.end();
  });
}

/** The deliveries of a stream, parsed. */
export const deliveriesOf = (c: SseClient) =>
  c.events
    .filter((e) => e.event === 'delivery')
    .map(
      (e) =>
        JSON.parse(e.data) as {
          seq: number;
          id: string;
          body: string;
          bodyEncoding: string;
          headers: Record<string, string>;
          verdict: { valid: boolean; cause: string } | null;
        },
    );

/** Waits until a stream holds `n` deliveries. */
export async function untilDeliveries(c: SseClient, n: number) {
  let seen = 0;
  while (deliveriesOf(c).length < n) {
    await c.next((e) => e.event === 'delivery', seen);
    seen = c.events.length;
  }
  return deliveriesOf(c);
}

export interface CreatedChannel {
  name: string;
  path: string;
  url: string | null;
  token: string;
}

export async function createChannel(
  args: string[],
  env: Record<string, string>,
): Promise<CreatedChannel> {
  const r = await runCli(['relay', 'channel', 'create', ...args, '--json'], { env });
  if (r.code !== 0) throw new Error(`channel create failed: ${r.stderr}`);
  return JSON.parse(r.stdout) as CreatedChannel;
}

export const startRelay = (args: string[], env: Record<string, string>): Promise<ReadyProcess> =>
  startReady(['relay', '--port', '0', '--host', '127.0.0.1', ...args], env);

/** A POST signed the way Blue signs (hex HMAC-SHA256 in X-Signature). */
export const postSigned = (url: string, secret: string, body: string) =>
  post(url, body, { 'x-signature': hmac(secret, body) });

/** Resolves once a process started by startReady has printed a JSON line that matches. */
export function untilLine(
  p: ReadyProcess,
  match: (line: Record<string, unknown>) => boolean,
): Promise<Record<string, unknown>> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      p.child.stdout!.off('data', check);
      reject(new Error(`no such line within 20 s: ${JSON.stringify(p.lines())}`));
    }, 20_000);
    function check() {
      const hit = p.lines().find(match);
      if (!hit) return;
      clearTimeout(timer);
      p.child.stdout!.off('data', check);
      resolve(hit);
    }
    p.child.stdout!.on('data', check);
    check();
  });
}
