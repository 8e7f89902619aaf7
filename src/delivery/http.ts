/**
 * One HTTP POST attempt through undici, with a keep-alive pool per origin. Redirects are never
 * followed (Blue treats a 3xx as a failure). Errors are classified, never thrown.
 */
import { Pool } from 'undici';

export type FailureKind = 'refused' | 'dns' | 'tls' | 'timeout' | 'reset' | 'error';

export interface AttemptResult {
  /** 2xx, Blue's definition of success. */
  ok: boolean;
  status?: number;
  headers?: Record<string, string>;
  /** The start of the response body (at most `keepBodyBytes`). */
  body?: Buffer;
  bodyBytes?: number;
  durationMs: number;
  error?: { kind: FailureKind; message: string };
}

export interface PostOptions {
  timeoutMs: number;
  keepBodyBytes?: number;
}

const TLS_CODES = /^(ERR_TLS|CERT_|DEPTH_ZERO|SELF_SIGNED|UNABLE_TO_(GET|VERIFY)|ERR_SSL)/;

export function classifyError(error: unknown): { kind: FailureKind; message: string } {
  const e = error as { name?: string; code?: string; message?: string; cause?: { code?: string; message?: string } };
  const code = e.code ?? e.cause?.code ?? '';
  const message = e.message || e.cause?.message || String(error);
  if (e.name === 'TimeoutError' || e.name === 'AbortError' || /TIMEOUT/.test(code)) return { kind: 'timeout', message: 'timed out' };
  if (code === 'ECONNREFUSED') return { kind: 'refused', message: 'connection refused' };
  if (code === 'ENOTFOUND' || code === 'EAI_AGAIN') return { kind: 'dns', message: `host not found (${code})` };
  if (TLS_CODES.test(code)) return { kind: 'tls', message: `TLS error: ${message}` };
  if (code === 'ECONNRESET' || code === 'EPIPE' || code === 'UND_ERR_SOCKET' || code === 'UND_ERR_CLOSED') return { kind: 'reset', message: 'connection reset or closed by the target' };
  return { kind: 'error', message: code ? `${code}: ${message}` : message };
}

/** Lower-cased single-valued response headers. */
function flatHeaders(headers: Record<string, string | string[] | undefined>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(headers)) if (v !== undefined) out[k] = Array.isArray(v) ? v.join(', ') : v;
  return out;
}

export class HttpClient {
  private readonly pools = new Map<string, Pool>();

  constructor(
    private readonly connections = 8,
    private readonly connectTimeoutMs = 7_000,
  ) {}

  private pool(origin: string): Pool {
    let pool = this.pools.get(origin);
    if (!pool) {
      pool = new Pool(origin, { connections: this.connections, pipelining: 1, keepAliveTimeout: 10_000, connect: { timeout: this.connectTimeoutMs } });
      this.pools.set(origin, pool);
    }
    return pool;
  }

  async post(url: URL, body: Buffer, headers: Record<string, string>, options: PostOptions): Promise<AttemptResult> {
    const started = performance.now();
    try {
      const res = await this.pool(url.origin).request({
        path: url.pathname + url.search,
        method: 'POST',
        headers,
        body,
        // undici's own timers bound each phase; a per-request AbortSignal costs more than the send.
        headersTimeout: options.timeoutMs,
        bodyTimeout: options.timeoutMs,
      });
      const keep = options.keepBodyBytes ?? 65_536;
      const chunks: Buffer[] = [];
      let kept = 0;
      let total = 0;
      // Read the whole answer (so the connection can be reused) but keep only its start.
      for await (const chunk of res.body as AsyncIterable<Buffer>) {
        total += chunk.length;
        if (kept < keep) {
          chunks.push(chunk.subarray(0, keep - kept));
          kept += Math.min(chunk.length, keep - kept);
        }
      }
      return {
        ok: res.statusCode >= 200 && res.statusCode < 300,
        status: res.statusCode,
        headers: flatHeaders(res.headers),
        body: Buffer.concat(chunks),
        bodyBytes: total,
        durationMs: performance.now() - started,
      };
    } catch (error) {
      return { ok: false, durationMs: performance.now() - started, error: classifyError(error) };
    }
  }

  async close(): Promise<void> {
    await Promise.all([...this.pools.values()].map((p) => p.close().catch(() => undefined)));
  }
}
