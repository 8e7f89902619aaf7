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
import { isIP, type AddressInfo } from 'node:net';
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
  ApiSendResult,
  ApiVerifyResult,
} from './api.js';
import type { InspectorService } from './service.js';

export interface RunningInspector {
  url: string;
  /** The address actually bound. */
  address: string;
  server: Server;
  close(): Promise<void>;
}

const CSP =
  "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";
const MAX_POST_BYTES = 2 * 1024 * 1024;

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
    search: word('search'),
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

export async function startInspector(
  service: InspectorService,
  options: { host: string; port: number },
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
  const streams = new Set<ServerResponse>();
  const aborts = new Set<AbortController>();
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

  /** A state-changing request from the page itself: same origin, the run's token, a JSON body. */
  const fromThePage = (req: IncomingMessage): boolean => {
    const origin = req.headers.origin;
    if (!origin || origin !== `http://${req.headers.host}`) return false;
    if (!String(req.headers['content-type'] ?? '').startsWith('application/json')) return false;
    const given = Buffer.from(String(req.headers['x-bluehook-token'] ?? ''));
    const expected = Buffer.from(token);
    return given.length === expected.length && timingSafeEqual(given, expected);
  };

  const stream = (req: IncomingMessage, res: ServerResponse, filter: DeliveryFilter) => {
    res.writeHead(200, {
      'content-type': 'text/event-stream',
      'cache-control': 'no-store',
      connection: 'keep-alive',
      'x-content-type-options': 'nosniff',
    });
    res.write(': live\n\n');
    const abort = new AbortController();
    aborts.add(abort);
    streams.add(res);
    let batch: DeliverySummary[] = [];
    // Records landing together go out as one event, at most ten a second: a burst of 1,000/s costs
    // the page ten renders, not a thousand.
    const timer = setInterval(() => {
      if (batch.length) res.write(`event: deliveries\ndata: ${JSON.stringify(batch)}\n\n`);
      else res.write(': idle\n\n');
      batch = [];
    }, 100);
    const stop = () => {
      clearInterval(timer);
      abort.abort();
      aborts.delete(abort);
      streams.delete(res);
    };
    req.on('close', stop);
    void (async () => {
      try {
        for await (const r of service.follow(filter, abort.signal)) batch.push(summarize(r));
      } catch (e) {
        res.write(`event: problem\ndata: ${JSON.stringify({ error: (e as Error).message })}\n\n`);
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
      if (path === '/api/meta') return json<ApiMeta>(res, 200, await service.meta());
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
      if (path === '/api/stream') return stream(req, res, filterOf(url.searchParams));
      const detail = /^\/api\/deliveries\/([^/]+)$/.exec(path);
      if (detail)
        return json<ApiDetail>(res, 200, await service.detail(decodeURIComponent(detail[1]!)));
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
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const bound = server.address() as AddressInfo;
  port = bound.port;
  const shown =
    bound.address === '0.0.0.0' || bound.address === '::'
      ? '127.0.0.1'
      : bound.address.includes(':')
        ? `[${bound.address}]`
        : bound.address;
  return {
    url: `http://${shown}:${port}/`,
    address: bound.address,
    server,
    async close() {
      for (const a of aborts) a.abort();
      for (const s of streams) s.end();
      await new Promise<void>((r) => {
        server.close(() => r());
        server.closeAllConnections();
      });
      await service.close();
    },
  };
}
