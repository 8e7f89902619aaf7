/**
 * The catch server: reads each delivery's raw bytes, verifies the signature, records it in the
 * history BEFORE answering (so nothing acknowledged can be lost), optionally forwards it to
 * a local app, and answers the way it was told to. It knows nothing about terminals.
 */
import { flattenHeaders } from '../util/headers.js';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { processDelivery, type PipelineOptions, type ReceivedDelivery } from './pipeline.js';
import { guardConnections, type ConnectionGuard } from './connections.js';
import { listenOn } from '../util/listen.js';

export type { ForwardResult, ReceivedDelivery } from './pipeline.js';

export interface ReceiverOptions extends PipelineOptions {
  host: string;
  port: number;
  /** Only this path receives deliveries; others get 404. */
  path: string;
  maxBodyBytes: number;
  /**
   * Put the signature diagnosis in the 401's body. Off by default: whoever can reach the server
   * could otherwise probe it as a signature oracle; the diagnosis stays on the user's side.
   */
  explainRejections?: boolean;
  /** Called after a delivery has been recorded and answered. */
  onDelivery?: (delivery: ReceivedDelivery) => void;
  /** Called for requests that are not deliveries (wrong path or method, too large). */
  onRejected?: (info: { method: string; path: string; status: number; reason: string }) => void;
  /** Called when a delivery could not be recorded (it was answered 500, never 2xx). */
  onUnrecorded?: (error: Error) => void;
  headersTimeoutMs?: number;
  /**
   * Open connections at once (default MAX_CONNECTIONS); at the cap a new connection closes the
   * longest-idle one, and is refused only when every connection is busy (see connections.ts).
   */
  maxConnections?: number;
  /** Open connections from one address (default MAX_CONNECTIONS_PER_ADDRESS; 0: no limit). */
  maxConnectionsPerAddress?: number;
  requestTimeoutMs?: number;
}

export interface RunningReceiver {
  url: string;
  /** The address actually bound (what `--host 0` or a name resolved to). */
  address: string;
  server: Server;
  /** The connection cap: how many are open, and how many were closed to make room. */
  connections: ConnectionGuard;
  /** Stops accepting, lets requests in flight finish, flushes the log. */
  close(): Promise<void>;
}

export function readBody(
  req: IncomingMessage,
  limit: number,
  deadlineMs: number,
): Promise<Buffer | 'too-large' | 'aborted' | 'too-slow'> {
  return new Promise((resolve) => {
    const declared = Number(req.headers['content-length']);
    if (Number.isFinite(declared) && declared > limit) return resolve('too-large');
    // node's own requestTimeout does not cut a request whose body trickles in after its headers.
    const timer = setTimeout(() => resolve('too-slow'), deadlineMs);
    req.once('close', () => clearTimeout(timer));
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size <= limit) chunks.push(chunk);
    });
    req.on('end', () => {
      clearTimeout(timer);
      resolve(size > limit ? 'too-large' : Buffer.concat(chunks, size));
    });
    // 'close' without 'end': the client went away mid-body (a settled promise ignores it).
    req.on('close', () => resolve('aborted'));
  });
}

/** Blue delivers over a handful of connections; load tests rarely need more than a few hundred. */
export const MAX_CONNECTIONS = 2048;
/** Half the cap: one address cannot take all of it, and a load test of a thousand connections still fits. */
export const MAX_CONNECTIONS_PER_ADDRESS = 1024;

export async function startCatchServer(options: ReceiverOptions): Promise<RunningReceiver> {
  const inFlight = new Set<Promise<void>>();

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const started = performance.now();
    const path = (req.url ?? '/').split('?')[0]!;
    const reject = (status: number, reason: string, headers: Record<string, string> = {}) => {
      res
        .writeHead(status, { 'content-type': 'text/plain; charset=utf-8', ...headers })
        .end(`${reason}\n`);
      options.onRejected?.({ method: req.method ?? '?', path, status, reason });
    };
    if (path !== options.path) return reject(404, `not found: deliveries go to ${options.path}`);
    if (req.method !== 'POST')
      return reject(405, 'method not allowed: deliveries are POSTed', { allow: 'POST' });
    const body = await readBody(
      req,
      options.maxBodyBytes,
      (options.requestTimeoutMs ?? 30_000) - (performance.now() - started),
    );
    if (body === 'aborted') return; // the client went away mid-body: nothing was delivered
    if (body === 'too-slow') {
      reject(408, 'request timeout: the body did not arrive in time', { connection: 'close' });
      res.once('finish', () => req.socket.destroy());
      return;
    }
    // The request is in: answering may take a while (--respond-delay, a slow --forward-to app),
    // which the connection's inactivity cut-off must not cut.
    req.socket.setTimeout(0);
    if (body === 'too-large') {
      reject(413, `payload too large: the limit is ${options.maxBodyBytes} bytes`, {
        connection: 'close',
      });
      return;
    }
    const delivery = await processDelivery(options, {
      body,
      headers: flattenHeaders(req.headers),
      url: req.url ?? '/',
      remoteAddress: req.socket.remoteAddress,
      started,
    });
    const { status, verdict } = delivery;
    const reason =
      status < 300
        ? 'ok'
        : status === 401
          ? options.explainRejections
            ? `invalid signature: ${verdict.message}`
            : 'invalid signature'
          : status === 400
            ? 'body is not JSON'
            : 'error';
    res.writeHead(status, { 'content-type': 'text/plain; charset=utf-8' }).end(`${reason}\n`);
    options.onDelivery?.(delivery);
  };

  // Cut-offs are checked every second (node's default is every 30 s, which let idle and slow
  // connections live three times the configured limits).
  const server = createServer({ connectionsCheckingInterval: 1000 }, (req, res) => {
    const p = handle(req, res).catch((error: Error) => {
      // A write failure must never be acknowledged: answer 500 so the sender retries.
      if (!res.headersSent)
        res
          .writeHead(500, { 'content-type': 'text/plain' })
          .end('not recorded: the receiver could not store this delivery\n');
      options.onUnrecorded?.(error);
    });
    inFlight.add(p);
    void p.finally(() => inFlight.delete(p));
  });
  server.headersTimeout = options.headersTimeoutMs ?? 10_000;
  server.requestTimeout = options.requestTimeoutMs ?? 30_000;
  server.keepAliveTimeout = 5_000;
  // A connection that never sends a request is closed after the headers' cut-off (node closes
  // only connections with a request under way).
  server.timeout = server.headersTimeout;
  // A cap on open connections, far below the process's file descriptors, so that a client holding
  // thousands of idle sockets cannot exhaust them; at the cap the longest-idle one makes room.
  const connections = guardConnections(server, {
    max: options.maxConnections ?? MAX_CONNECTIONS,
    perAddress: options.maxConnectionsPerAddress ?? MAX_CONNECTIONS_PER_ADDRESS,
  });
  // No cap on the number of headers (a signature after the 200th would be dropped); their total
  // size stays bounded by node's 16 KiB header limit.
  server.maxHeadersCount = 0;

  const { port, address, urlHost } = await listenOn(server, options.port, options.host);
  return {
    url: `http://${urlHost}:${port}${options.path}`,
    address,
    server,
    connections,
    async close() {
      const closed = new Promise<void>((r) => server.close(() => r()));
      server.closeIdleConnections();
      await Promise.allSettled([...inFlight]);
      server.closeAllConnections();
      await closed;
      await options.history?.drain();
    },
  };
}
