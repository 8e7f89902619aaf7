/**
 * One HTTP POST attempt through undici, with a keep-alive pool per origin. Redirects are never
 * followed (Blue treats a 3xx as a failure). Errors are classified, never thrown.
 */
import { Pool, type Dispatcher } from 'undici';
import { flattenHeaders } from '../util/headers.js';
import { classifyError, type FailureKind } from '../util/network-errors.js';

export { classifyError, type FailureKind };

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
  /** Another method than POST (the check suite asks what a receiver does with one). */
  method?: string;
}

/** What posts deliveries: undici's pool (here) or the load mode's sockets (`socket-client.ts`). */
export interface DeliveryClient {
  post(
    url: URL,
    body: Buffer,
    headers: Record<string, string | string[]>,
    options: PostOptions,
  ): Promise<AttemptResult>;
  close(): Promise<void>;
}

export class HttpClient implements DeliveryClient {
  private readonly pools = new Map<string, Pool>();

  constructor(
    private readonly connections = 8,
    private readonly connectTimeoutMs = 7_000,
    /** How host names are resolved when connecting (the emulator refuses private addresses here). */
    private readonly lookup?: typeof import('node:dns').lookup,
  ) {}

  private pool(origin: string): Pool {
    let pool = this.pools.get(origin);
    if (!pool) {
      pool = new Pool(origin, {
        connections: this.connections,
        pipelining: 1,
        keepAliveTimeout: 10_000,
        connect: {
          timeout: this.connectTimeoutMs,
          ...(this.lookup ? { lookup: this.lookup } : {}),
        },
      });
      this.pools.set(origin, pool);
    }
    return pool;
  }

  /**
   * One POST. Uses undici's dispatch handler API: the answer is collected in callbacks,
   * with no stream or promise per chunk, which matters at thousands of deliveries per second.
   */
  post(
    url: URL,
    body: Buffer,
    /** A list value sends the header once per item (the check suite duplicates X-Signature). */
    headers: Record<string, string | string[]>,
    options: PostOptions,
  ): Promise<AttemptResult> {
    const started = performance.now();
    const keep = options.keepBodyBytes ?? 65_536;
    return new Promise((resolve) => {
      // undici's own timeouts tick about once a second; this timer makes --timeout exact.
      let abort: ((reason: Error) => void) | undefined;
      const timer = setTimeout(
        () => abort?.(Object.assign(new Error('timed out'), { name: 'TimeoutError' })),
        options.timeoutMs,
      );
      let status = 0;
      let responseHeaders: Record<string, string> = {};
      const chunks: Buffer[] = [];
      let kept = 0;
      let total = 0;
      this.pool(url.origin).dispatch(
        {
          path: url.pathname + url.search,
          method: options.method ?? 'POST',
          headers,
          body,
          // undici's own timers bound each phase; a per-request AbortSignal costs more than the send.
          headersTimeout: options.timeoutMs,
          bodyTimeout: options.timeoutMs,
        },
        {
          onRequestStart(controller) {
            abort = (reason) => controller.abort(reason);
          },
          onResponseStart(_controller, statusCode, headers) {
            status = statusCode;
            responseHeaders = flattenHeaders(headers);
          },
          onResponseData(_controller, chunk) {
            // Read the whole answer (so the connection can be reused) but keep only its start.
            total += chunk.length;
            if (kept < keep) {
              chunks.push(chunk.subarray(0, keep - kept));
              kept += Math.min(chunk.length, keep - kept);
            }
          },
          onResponseEnd() {
            clearTimeout(timer);
            resolve({
              ok: status >= 200 && status < 300,
              status,
              headers: responseHeaders,
              body: chunks.length === 1 ? chunks[0] : Buffer.concat(chunks),
              bodyBytes: total,
              durationMs: performance.now() - started,
            });
          },
          onResponseError(_controller, error) {
            clearTimeout(timer);
            resolve({
              ok: false,
              durationMs: performance.now() - started,
              error: classifyError(error),
            });
          },
        } satisfies Dispatcher.DispatchHandler,
      );
    });
  }

  async close(): Promise<void> {
    await Promise.all([...this.pools.values()].map((p) => p.close().catch(() => undefined)));
  }
}
