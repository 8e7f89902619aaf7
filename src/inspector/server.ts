/**
 * The inspector's HTTP side: the page, its JSON API and a live stream (server-sent events), over
 * an InspectorService. It guards what a page on the user's machine must: only loopback or IP-literal
 * Host headers (no DNS rebinding), and every state-changing request needs the page's Origin, a
 * per-run token and a JSON body (no cross-site requests); a strict Content-Security-Policy; every
 * asset served from the package.
 */
import { randomBytes, timingSafeEqual } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { isIP } from 'node:net';
import { fileURLToPath } from 'node:url';
import { BluehookError, internalError, usageError, type ErrorCategory } from '../errors.js';
import {
  summarize,
  type DeliveryFilter,
  type DeliverySummary,
  type Order,
} from '../history/history.js';
import { parseFilter } from '../history/filter.js';
import type {
  ApiCount,
  ApiDetail,
  ApiError,
  ApiMeta,
  ApiPage,
  ApiPrevious,
  ApiSendResult,
  ApiVerifyResult,
} from './api.js';
import type { InspectorService } from './service.js';
import { listenOn } from '../util/listen.js';

export interface RunningInspector {
  url: string;
  /** The address actually bound. */
  address: string;
  server: Server;
  close(): Promise<void>;
}

const CSP =
  "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";
// Room for an edited 2.4 MB body resent as base64 (bytes as they are), and no more.
const MAX_POST_BYTES = 8 * 1024 * 1024;

/** Where the built page is: beside the CLI bundle (dist/cli) or the compiled library (dist/src/inspector). */
function assetsDir(): string {
  for (const up of ['../inspector/', '../../inspector/', '../../../dist/inspector/']) {
    const dir = fileURLToPath(new URL(up, import.meta.url));
    if (existsSync(`${dir}index.html`) && existsSync(`${dir}app.js`)) return dir;
  }
  throw internalError('the inspector page is not built (run npm run build)');
}

// The HTTP status of each error category, as the CLI has its exit code.
const HTTP_STATUS: Record<ErrorCategory, number> = {
  usage: 400,
  'not-found': 404,
  check: 422,
  network: 502,
  store: 500,
  config: 500,
  internal: 500,
};

// Codes whose status is not their category's.
const STATUS_BY_CODE: Record<string, number> = { 'request-too-large': 413 };

const ASSETS: Record<string, string> = {
  '/app.js': 'text/javascript; charset=utf-8',
  '/app.css': 'text/css; charset=utf-8',
};

/** A Host header bluehook answers: localhost or an IP literal, on its own port. A rebinding name is neither. */
export function hostAllowed(host: string | undefined, port: number): boolean {
  if (!host) return false;
  const m = /^(\[[0-9a-f:.]+\]|[^:]+)(?::(\d+))?$/i.exec(host.trim());
  if (!m || Number(m[2] ?? 80) !== port) return false;
  const name = m[1]!.replace(/^\[|\]$/g, '').toLowerCase();
  return name === 'localhost' || isIP(name) !== 0;
}

/** The page's filter, read by the same parser as the CLI's flags: a bad value is a 400 with the same message. */
function filterOf(q: URLSearchParams): DeliveryFilter {
  const word = (key: string) => q.get(key) ?? undefined;
  const valid = q.get('valid');
  return parseFilter({
    event: word('event'),
    webhookId: word('webhook'),
    direction: word('direction') || undefined,
    valid: valid === 'true' ? true : valid === 'false' ? false : undefined,
    status: word('status'),
    since: word('since'),
    until: word('until'),
    replayOf: word('replayOf'),
    checkRun: word('checkRun') || undefined,
    search: word('search'),
    drift: word('drift') || undefined,
  });
}

function readJsonBody(req: IncomingMessage): Promise<Record<string, unknown>> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size > MAX_POST_BYTES)
        reject(usageError('request too large', undefined, 'request-too-large'));
      else chunks.push(c);
    });
    req.on('end', () => {
      try {
        const value = JSON.parse(Buffer.concat(chunks).toString('utf8')) as unknown;
        if (!value || typeof value !== 'object' || Array.isArray(value))
          throw new Error('not an object');
        resolve(value as Record<string, unknown>);
      } catch {
        reject(usageError('the request body must be a JSON object', undefined, 'bad-request-body'));
      }
    });
    req.on('error', reject);
  });
}

const str = (v: unknown) => (typeof v === 'string' && v !== '' ? v : undefined);

/** Live streams at once, in all and per key (the page's token, or none). */
export const MAX_STREAMS = 48;
export const MAX_STREAMS_PER_KEY = 32;
/** Bytes a stream may have waiting for a client that does not read before it is closed. */
const MAX_STREAM_BUFFER = 1024 * 1024;
/** A comment line every 15 s (150 ticks of 100 ms) keeps proxies and idle timers from closing a quiet stream. */
const HEARTBEAT_TICKS = 150;

interface LiveStream {
  res: ServerResponse;
  key: string;
  batch: DeliverySummary[];
  abort: AbortController;
}

export async function startInspector(
  service: InspectorService,
  options: { host: string; port: number; maxStreams?: number; maxStreamsPerKey?: number },
): Promise<RunningInspector> {
  const dir = assetsDir();
  const token = randomBytes(24).toString('base64url');
  const page = readFileSync(`${dir}index.html`, 'utf8').replace('__BLUEHOOK_TOKEN__', token);
  const assets = new Map(
    Object.entries(ASSETS).map(([path, type]) => [
      path,
      { type, body: readFileSync(`${dir}${path.slice(1)}`) },
    ]),
  );
  const limits = {
    total: options.maxStreams ?? MAX_STREAMS,
    perKey: options.maxStreamsPerKey ?? MAX_STREAMS_PER_KEY,
  };
  let port = 0;

  const send = (
    res: ServerResponse,
    status: number,
    body: string | Buffer,
    type: string,
    extra: Record<string, string> = {},
  ) => {
    res
      .writeHead(status, {
        'content-type': type,
        'cache-control': 'no-store',
        'x-content-type-options': 'nosniff',
        'referrer-policy': 'no-referrer',
        'content-security-policy': CSP,
        ...extra,
      })
      .end(body);
  };
  // The type argument names what a route answers (./api.ts), so the page and the server agree.
  const json = <T>(res: ServerResponse, status: number, value: T) =>
    send(res, status, JSON.stringify(value), 'application/json; charset=utf-8');

  const tokenMatches = (text: string): boolean => {
    const given = Buffer.from(text);
    const expected = Buffer.from(token);
    return given.length === expected.length && timingSafeEqual(given, expected);
  };

  /** A state-changing request from the page itself: same origin, the run's token, a JSON body. */
  const fromThePage = (req: IncomingMessage): boolean => {
    const origin = req.headers.origin;
    if (!origin || origin !== `http://${req.headers.host}`) return false;
    if (!String(req.headers['content-type'] ?? '').startsWith('application/json')) return false;
    return tokenMatches(String(req.headers['x-bluehook-token'] ?? ''));
  };

  /**
   * The live streams. Each one polls the history and holds a socket, so they are capped: per key
   * (the page's token, or none for any other client) and in all. 3,000 uncapped streams took the
   * process to 94% CPU and slowed `listen --inspect`'s deliveries from 2 ms to 91 ms.
   */
  const open = new Map<ServerResponse, LiveStream>();
  const perKey = new Map<string, number>();
  let ticker: NodeJS.Timeout | undefined;
  let ticks = 0;
  /** History followers still running: each closed stream's must end (the meta endpoint shows it). */
  let following = 0;

  const tick = () => {
    ticks++;
    for (const s of open.values()) {
      // A client that does not read is not let to fill this process's memory with what it misses.
      if (s.res.writableLength > MAX_STREAM_BUFFER) {
        s.res.destroy();
        continue;
      }
      if (s.batch.length) {
        s.res.write(`event: deliveries\ndata: ${JSON.stringify(s.batch)}\n\n`);
        s.batch = [];
      } else if (ticks % HEARTBEAT_TICKS === 0) s.res.write(': idle\n\n');
    }
  };

  const stream = (url: URL, res: ServerResponse, filter: DeliveryFilter) => {
    const given = url.searchParams.get('token');
    if (given !== null && !tokenMatches(given))
      return json(res, 403, { error: "refused: that is not this inspector's token" });
    const key = given === null ? 'anonymous' : 'page';
    if ((perKey.get(key) ?? 0) >= limits.perKey)
      return json(res, 429, {
        error: `too many live streams open (${limits.perKey}${given === null ? " without the page's token" : ' for this page'}); close one`,
      });
    if (open.size >= limits.total)
      return json(res, 503, {
        error: `too many live streams open (${limits.total} in all); close one`,
      });
    res.writeHead(200, {
      'content-type': 'text/event-stream',
      'cache-control': 'no-store',
      connection: 'keep-alive',
      'x-content-type-options': 'nosniff',
    });
    res.write(': live\n\n');
    const live: LiveStream = { res, key, batch: [], abort: new AbortController() };
    open.set(res, live);
    perKey.set(key, (perKey.get(key) ?? 0) + 1);
    // Records landing together go out as one event, at most ten a second: a burst of 1,000/s costs
    // the page ten renders, not a thousand. One timer serves every stream.
    ticker ??= setInterval(tick, 100);
    const stop = () => {
      if (!open.delete(res)) return;
      live.abort.abort();
      perKey.set(key, perKey.get(key)! - 1);
      if (open.size === 0) {
        clearInterval(ticker);
        ticker = undefined;
      }
    };
    res.on('close', stop);
    void (async () => {
      following++;
      try {
        for await (const r of service.follow(filter, live.abort.signal))
          live.batch.push(summarize(r));
      } catch (e) {
        if (open.has(res))
          res.write(`event: problem\ndata: ${JSON.stringify({ error: (e as Error).message })}\n\n`);
      } finally {
        following--;
      }
    })();
  };

  const route = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    if (!hostAllowed(req.headers.host, port))
      return send(
        res,
        403,
        'forbidden: this inspector answers only to localhost or an IP address\n',
        'text/plain; charset=utf-8',
      );
    const url = new URL(req.url ?? '/', 'http://inspector');
    const path = url.pathname;
    if (req.method === 'GET') {
      if (path === '/' || path === '/index.html')
        return send(res, 200, page, 'text/html; charset=utf-8');
      const asset = assets.get(path);
      if (asset) return send(res, 200, asset.body, asset.type);
      if (path === '/api/meta')
        return json<ApiMeta>(res, 200, {
          ...(await service.meta()),
          streams: {
            open: open.size,
            following,
            timer: ticker !== undefined,
            max: limits.total,
            maxPerPage: limits.perKey,
          },
        });
      if (path === '/api/deliveries') {
        const order: Order = url.searchParams.get('order') === 'oldest' ? 'oldest' : 'newest';
        const filter = filterOf(url.searchParams);
        const page = await service.list(filter, {
          order,
          limit: Number(url.searchParams.get('limit')) || 100,
          after: url.searchParams.get('after'),
        });
        return json<ApiPage>(res, 200, page);
      }
      if (path === '/api/count')
        return json<ApiCount>(res, 200, {
          count: await service.count(filterOf(url.searchParams)),
        });
      if (path === '/api/stream') return stream(url, res, filterOf(url.searchParams));
      const detail = /^\/api\/deliveries\/([^/]+)$/.exec(path);
      if (detail)
        return json<ApiDetail>(
          res,
          200,
          await service.detail(
            decodeURIComponent(detail[1]!),
            url.searchParams.get('lean') === '1',
          ),
        );
      const previous = /^\/api\/deliveries\/([^/]+)\/previous$/.exec(path);
      if (previous)
        return json<ApiPrevious>(res, 200, {
          previous: await service.previous(decodeURIComponent(previous[1]!)),
        });
      if (path === '/api/export') {
        const ids = (url.searchParams.get('ids') ?? '').split(',').filter(Boolean);
        if (ids.length === 0 || ids.length > 1000)
          throw usageError('export takes 1 to 1000 ids', undefined, 'bad-export-ids');
        return send(res, 200, await service.exportMany(ids), 'application/x-ndjson', {
          'content-disposition': 'attachment; filename="deliveries.ndjson"',
        });
      }
      const exported = /^\/api\/deliveries\/([^/]+)\/export$/.exec(path);
      if (exported) {
        const out = await service.exportAs(
          decodeURIComponent(exported[1]!),
          url.searchParams.get('format') ?? 'json',
          str(url.searchParams.get('to')),
        );
        return send(res, 200, out.body, out.contentType, {
          'content-disposition': `attachment; filename="${out.filename.replace(/[^\w.-]/g, '_')}"`,
        });
      }
      return json<ApiError>(res, 404, { error: 'not found' });
    }
    if (req.method === 'POST') {
      if (!fromThePage(req))
        return json<ApiError>(res, 403, {
          error: 'refused: state-changing requests come only from the inspector page itself',
        });
      const body = await readJsonBody(req);
      if (path === '/api/replay')
        return json<ApiSendResult>(
          res,
          200,
          await service.replay({
            id: String(body.id ?? ''),
            to: str(body.to),
            resign: body.resign === true,
            secret: str(body.secret),
          }),
        );
      if (path === '/api/send') {
        const set = Array.isArray(body.set)
          ? body.set.filter((s): s is string => typeof s === 'string' && s.trim() !== '')
          : undefined;
        return json<ApiSendResult>(
          res,
          200,
          await service.send({
            event: str(body.event),
            seed: str(body.seed),
            set,
            body: typeof body.body === 'string' ? body.body : undefined,
            bodyBase64: typeof body.bodyBase64 === 'string' ? body.bodyBase64 : undefined,
            webhookId: str(body.webhookId),
            url: str(body.url),
            secret: str(body.secret),
            replayOf: str(body.replayOf),
          }),
        );
      }
      if (path === '/api/verify')
        return json<ApiVerifyResult>(
          res,
          200,
          await service.verify(String(body.id ?? ''), str(body.secret), str(body.webhookId)),
        );
      return json<ApiError>(res, 404, { error: 'not found' });
    }
    return send(res, 405, 'method not allowed\n', 'text/plain; charset=utf-8', {
      allow: 'GET, POST',
    });
  };

  const server = createServer((req, res) => {
    route(req, res).catch((error: Error) => {
      if (res.headersSent) return void res.end();
      if (!(error instanceof BluehookError))
        return json<ApiError>(res, 500, { error: error.message });
      json<ApiError>(res, STATUS_BY_CODE[error.code] ?? HTTP_STATUS[error.category], {
        error: error.message,
        code: error.code,
        hint: error.hint ?? null,
      });
    });
  });
  server.headersTimeout = 10_000;
  server.requestTimeout = 0; // the live stream stays open
  const bound = await listenOn(server, options.port, options.host);
  port = bound.port;
  return {
    url: `http://${bound.urlHost}:${port}/`,
    address: bound.address,
    server,
    async close() {
      for (const s of open.values()) {
        s.abort.abort(); // the followers stop before the history they read is closed
        s.res.end();
      }
      clearInterval(ticker);
      await new Promise<void>((r) => {
        server.close(() => r());
        server.closeAllConnections();
      });
      await service.close();
    },
  };
}
