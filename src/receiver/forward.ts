/** Forwards a verified delivery byte-for-byte, with its original headers, to a local app. */
import type { DeliveryRecord } from '../history/record.js';
import { HOP_BY_HOP_HEADERS } from '../util/headers.js';
import type { ForwardResult } from './server.js';


export async function makeForwarder(target: URL, timeoutMs: number): Promise<(record: DeliveryRecord, body: Buffer) => Promise<ForwardResult>> {
  const { Pool } = await import('undici');
  const pool = new Pool(target.origin, { connections: 16 });
  return async (record, body) => {
    const started = performance.now();
    const headers = Object.fromEntries(Object.entries(record.headers).filter(([k]) => !HOP_BY_HOP_HEADERS.has(k)));
    try {
      const res = await pool.request({
        path: target.pathname + target.search,
        method: 'POST',
        headers,
        body,
        signal: AbortSignal.timeout(timeoutMs),
      });
      await res.body.dump();
      return { status: res.statusCode, durationMs: performance.now() - started };
    } catch (error) {
      const e = error as { name?: string; code?: string; message?: string };
      const timedOut = e.name === 'TimeoutError' || e.name === 'AbortError';
      return { status: timedOut ? 504 : 502, error: timedOut ? 'forward timed out' : `forward failed: ${e.code ?? e.message}`, durationMs: performance.now() - started };
    }
  };
}
