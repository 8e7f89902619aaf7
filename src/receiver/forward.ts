/**
 * Forwards a verified delivery byte-for-byte to a local app. Only the headers a webhook sender
 * sends are relayed (the list below), plus those the user adds: anything else a sender put on the
 * request (Authorization, Cookie, X-Forwarded-*, headers named in Connection) never reaches the app.
 */
import type { DeliveryRecord } from '../history/record.js';
import type { ForwardResult } from './pipeline.js';

/** What Blue sends (Content-Type, X-Signature), and the other schemes' signature headers. */
export const FORWARDED_HEADERS: readonly string[] = [
  'content-type',
  'user-agent',
  'x-signature',
  'webhook-id',
  'webhook-timestamp',
  'webhook-signature',
  'x-hub-signature-256',
];
const RELAYED = new Set(FORWARDED_HEADERS);

export function forwardedHeaders(
  received: Record<string, string>,
  added: Record<string, string> = {},
): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(received))
    if (RELAYED.has(k.toLowerCase())) out[k.toLowerCase()] = v;
  for (const [k, v] of Object.entries(added)) out[k.toLowerCase()] = v;
  return out;
}

/**
 * Where on the app a delivery goes: the target's path, or, when `--forward-to` names only an origin
 * (http://127.0.0.1:3000), the path the delivery arrived on; with the query string it arrived with
 * added to the target's own.
 */
export function forwardPath(target: URL, received: string, originOnly = false): string {
  const arrived = new URL(received, 'http://x');
  const query = new URLSearchParams(target.search);
  for (const [k, v] of arrived.searchParams) query.append(k, v);
  const search = query.toString();
  return `${originOnly ? arrived.pathname : target.pathname}${search ? `?${search}` : ''}`;
}

/** Whether a --forward-to value is just an origin (no path, not even "/"). */
export const isOriginOnly = (text: string) => /^https?:\/\/[^/?#]+$/i.test(text.trim());

export async function makeForwarder(
  target: URL,
  timeoutMs: number,
  added: Record<string, string> = {},
  originOnly = false,
): Promise<(record: DeliveryRecord, body: Buffer) => Promise<ForwardResult>> {
  const { Pool } = await import('undici');
  const pool = new Pool(target.origin, { connections: 16 });
  return async (record, body) => {
    const started = performance.now();
    try {
      const res = await pool.request({
        path: forwardPath(target, record.url, originOnly),
        method: 'POST',
        headers: forwardedHeaders(record.headers, added),
        body,
        signal: AbortSignal.timeout(timeoutMs),
      });
      await res.body.dump();
      return { status: res.statusCode, durationMs: performance.now() - started };
    } catch (error) {
      const e = error as { name?: string; code?: string; message?: string };
      const timedOut = e.name === 'TimeoutError' || e.name === 'AbortError';
      return {
        status: timedOut ? 504 : 502,
        error: timedOut ? 'forward timed out' : `forward failed: ${e.code ?? e.message}`,
        durationMs: performance.now() - started,
      };
    }
  };
}
