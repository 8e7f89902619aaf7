/**
 * The load mode's HTTP/1.1 client for `http:` receivers: keep-alive sockets, each request one
 * socket write (the head and the body together), the answer read by a small parser.
 *
 * Why not undici here: at thousands of deliveries a second undici's own per-request work is the
 * ceiling (a bare undici loop reaches about 0.4x of wrk on the project's machine, the goal for
 * `send` is 0.45x; docs/performance.md). Everything else (single deliveries, replay, TLS, the
 * emulator, check) stays on undici. Same contract as `HttpClient.post`: never throws, errors are
 * classified; redirects are not followed.
 */
import { connect, type Socket } from 'node:net';
import type { AttemptResult, DeliveryClient, PostOptions } from './http.js';
import { HOP_BY_HOP_HEADERS } from '../util/headers.js';
import { classifyError } from '../util/network-errors.js';

/** Longest answer head read before the connection is given up (undici's default is 16 KiB too). */
const MAX_HEAD_BYTES = 16_384;
/** Idle connections are closed before a typical server's keep-alive timeout (Node's is 5 s). */
const IDLE_MS = 4_000;
/**
 * How much sooner than a server's `Keep-Alive: timeout=N` hint an idle connection is given up (as
 * undici does): a request written as the server closes is lost. A hint of 1 s leaves nothing: the
 * connection is not reused.
 */
const HINT_MARGIN_MS = 1_000;
const HEADER_NAME = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
const HEADER_VALUE = /^[\t\x20-\x7e\x80-\xff]*$/;

interface Pending {
  url: URL;
  /** The request head as latin1 text (checked: no CR/LF inside a header). */
  head: string;
  body: Buffer;
  keep: number;
  started: number;
  deadline: number;
  /** Only while it waits for a connection; a connection's own timer covers it once sent. */
  timer?: NodeJS.Timeout;
  resolve: (result: AttemptResult) => void;
}

const STATUS_LINE = /^HTTP\/1\.([01]) (\d{3})(?: .*)?$/;
const NO_BYTES = Buffer.alloc(0);

/** The value of a header in a lower-cased answer head (repeats joined with ", "), if present. */
function headerOf(lowerHead: string, name: string): string | undefined {
  const key = `\r\n${name}:`;
  let at = lowerHead.indexOf(key);
  let value: string | undefined;
  while (at >= 0) {
    const start = at + key.length;
    const end = lowerHead.indexOf('\r\n', start);
    const one = lowerHead.slice(start, end < 0 ? undefined : end).trim();
    value = value === undefined ? one : `${value}, ${one}`;
    at = lowerHead.indexOf(key, start);
  }
  return value;
}

/** An answer whose headers are parsed when first read. */
class Answer implements AttemptResult {
  readonly ok: boolean;
  private parsed: Record<string, string> | undefined;

  constructor(
    readonly status: number,
    private readonly head: string,
    readonly body: Buffer,
    readonly bodyBytes: number,
    readonly durationMs: number,
  ) {
    this.ok = status >= 200 && status < 300;
  }

  get headers(): Record<string, string> {
    if (!this.parsed) {
      const headers: Record<string, string> = {};
      for (const line of this.head.split('\r\n').slice(1)) {
        const colon = line.indexOf(':');
        if (colon <= 0) continue;
        const name = line.slice(0, colon).toLowerCase();
        const value = line.slice(colon + 1).trim();
        headers[name] = name in headers ? `${headers[name]}, ${value}` : value;
      }
      this.parsed = headers;
    }
    return this.parsed;
  }
}

const timedOut = () => Object.assign(new Error('timed out'), { name: 'TimeoutError' });
/** Classified as undici's closed socket is (`reset`). */
const closedByPeer = () =>
  Object.assign(new Error('other side closed'), { code: 'UND_ERR_SOCKET' });

class ProtocolError extends Error {
  override name = 'ProtocolError';
}

/** One keep-alive connection and the answer it is reading. */
class Connection {
  readonly socket: Socket;
  request: Pending | null = null;
  private buffered: Buffer | null = null;
  /** Where the answer's body is: none yet (reading the head), by length, chunked, or to the close. */
  private mode: 'head' | 'length' | 'chunked' | 'close' = 'head';
  private remaining = 0;
  private chunkState: 'size' | 'data' | 'data-end' | 'trailer' = 'size';
  private status = 0;
  private head = '';
  private kept: Buffer[] = [];
  private keptBytes = 0;
  private bodyBytes = 0;
  private keepAlive = true;
  idleSince = 0;
  /** How long the server said it keeps an idle connection, less the margin (its Keep-Alive hint). */
  idleLimit = Number.POSITIVE_INFINITY;
  /** One timer per connection, re-armed for each request (a timer per request cost more). */
  private timer: NodeJS.Timeout | undefined;
  private timerMs = 0;
  connected = false;
  closed = false;

  constructor(
    readonly origin: string,
    host: string,
    port: number,
    connectTimeoutMs: number,
    private readonly onFree: (c: Connection) => void,
    private readonly onGone: (c: Connection) => void,
    lookup?: typeof import('node:dns').lookup,
  ) {
    this.socket = connect({ host, port, noDelay: true, ...(lookup ? { lookup } : {}) });
    this.socket.setTimeout(connectTimeoutMs, () => {
      if (!this.connected) this.fail(timedOut());
    });
    this.socket.once('connect', () => {
      this.connected = true;
      this.socket.setTimeout(0);
    });
    this.socket.on('data', (chunk: Buffer) => this.read(chunk));
    this.socket.on('error', (e) => this.fail(e));
    this.socket.on('end', () => {
      // A body that runs to the close ends here; anything else was cut short.
      if (this.request && this.mode === 'close') {
        this.finish();
        this.destroy();
      } else this.fail(closedByPeer());
    });
    this.socket.on('close', () => this.fail(closedByPeer()));
  }

  send(request: Pending): void {
    this.request = request;
    this.mode = 'head';
    this.status = 0;
    this.kept = [];
    this.keptBytes = 0;
    this.bodyBytes = 0;
    clearTimeout(request.timer);
    const ms = Math.max(1, Math.round(request.deadline - performance.now()));
    if (this.timer && this.timerMs === ms) this.timer.refresh();
    else {
      clearTimeout(this.timer);
      this.timerMs = ms;
      this.timer = setTimeout(() => {
        if (this.request) this.fail(timedOut());
      }, ms).unref();
    }
    const { head, body } = request;
    if (body.length > 65_536) {
      this.socket.write(head, 'latin1');
      this.socket.write(body);
      return;
    }
    // One write: the head and the body in one buffer, so one segment goes out for a delivery.
    const bytes = Buffer.allocUnsafe(head.length + body.length);
    bytes.write(head, 0, 'latin1');
    body.copy(bytes, head.length);
    this.socket.write(bytes);
  }

  private read(chunk: Buffer): void {
    if (!this.request) {
      // Bytes nobody asked for: the connection cannot be trusted for the next request.
      this.destroy();
      return;
    }
    let data = this.buffered ? Buffer.concat([this.buffered, chunk]) : chunk;
    this.buffered = null;
    try {
      while (data.length && this.request) {
        if (this.mode === 'head') {
          const end = data.indexOf('\r\n\r\n');
          if (end < 0) {
            if (data.length > MAX_HEAD_BYTES) throw new ProtocolError('answer head too large');
            // Lines ended by a bare LF would never show the CRLF CRLF that ends a head: waiting
            // for it would turn a broken answer into a timeout.
            for (let lf = data.indexOf(10); lf >= 0; lf = data.indexOf(10, lf + 1))
              if (lf === 0 || data[lf - 1] !== 13)
                throw new ProtocolError('not an HTTP/1.x answer (lines not ended by CRLF)');
            // A first line that is no status line is said as soon as it is in (an SSH banner).
            const eol = data.indexOf('\r\n');
            if (eol >= 0 && !STATUS_LINE.test(data.subarray(0, eol).toString('latin1')))
              throw new ProtocolError('not an HTTP/1.x answer');
            this.buffered = data;
            return;
          }
          this.parseHead(data.subarray(0, end).toString('latin1'));
          data = data.subarray(end + 4);
          if (this.mode === 'head') continue; // an interim 1xx answer: the real one follows
          if (this.mode === 'length' && this.remaining === 0) this.finish();
          continue;
        }
        if (this.mode === 'length') {
          const take = Math.min(this.remaining, data.length);
          this.keep(data.subarray(0, take));
          this.remaining -= take;
          data = data.subarray(take);
          if (this.remaining === 0) this.finish();
          continue;
        }
        if (this.mode === 'close') {
          this.keep(data);
          return;
        }
        data = this.readChunked(data);
      }
      if (this.request) return;
      // The answer is complete. Bytes past its end were not asked for: the connection cannot be
      // trusted with the next request.
      if (data.length || !this.keepAlive || this.closed) this.destroy();
      else this.onFree(this);
    } catch (e) {
      this.fail(e);
    }
  }

  private parseHead(text: string): void {
    const eol = text.indexOf('\r\n');
    const statusLine = STATUS_LINE.exec(eol < 0 ? text : text.slice(0, eol));
    if (!statusLine) throw new ProtocolError('not an HTTP/1.x answer');
    const status = Number(statusLine[2]);
    // Only the headers that frame the answer are read now; the rest when someone asks (a load
    // run asks for none of a delivery answered as expected).
    const lower = text.toLowerCase();
    const connection = headerOf(lower, 'connection') ?? '';
    const te = headerOf(lower, 'transfer-encoding');
    const length = headerOf(lower, 'content-length');
    if (status < 200) {
      if (status === 101) throw new ProtocolError('the target switched protocols');
      return; // 100 Continue, 103 Early Hints: interim, the answer follows
    }
    this.status = status;
    this.head = text;
    this.keepAlive =
      statusLine[1] === '1' ? !/\bclose\b/.test(connection) : /\bkeep-alive\b/.test(connection);
    const hint = /(?:^|[\s,;])timeout\s*=\s*(\d{1,9})/.exec(headerOf(lower, 'keep-alive') ?? '');
    if (hint) {
      this.idleLimit = Number(hint[1]) * 1000 - HINT_MARGIN_MS;
      if (this.idleLimit <= 0) this.keepAlive = false;
    }
    if (status === 204 || status === 304) {
      this.mode = 'length';
      this.remaining = 0;
    } else if (te !== undefined) {
      if (!/(?:^|,)\s*chunked\s*$/i.test(te)) {
        this.mode = 'close';
        this.keepAlive = false;
      } else {
        this.mode = 'chunked';
        this.chunkState = 'size';
      }
    } else if (length !== undefined) {
      if (!/^\d{1,15}$/.test(length))
        throw new ProtocolError('an invalid content-length in the answer');
      this.mode = 'length';
      this.remaining = Number(length);
    } else {
      this.mode = 'close';
      this.keepAlive = false;
    }
  }

  /** Reads what it can of a chunked body; returns the bytes after the answer's end. */
  private readChunked(input: Buffer): Buffer {
    let data = input;
    while (data.length && this.request && this.mode === 'chunked') {
      if (this.chunkState === 'size' || this.chunkState === 'trailer') {
        const eol = data.indexOf('\r\n');
        if (eol < 0) {
          if (data.length > MAX_HEAD_BYTES) throw new ProtocolError('a chunk line too long');
          this.buffered = data;
          return NO_BYTES;
        }
        const line = data.subarray(0, eol).toString('latin1');
        data = data.subarray(eol + 2);
        if (this.chunkState === 'trailer') {
          if (line === '') this.finish();
          continue;
        }
        const size = /^([0-9a-fA-F]{1,12})(?:;.*)?$/.exec(line);
        if (!size) throw new ProtocolError('an invalid chunk size in the answer');
        this.remaining = Number.parseInt(size[1]!, 16);
        this.chunkState = this.remaining === 0 ? 'trailer' : 'data';
      } else if (this.chunkState === 'data') {
        const take = Math.min(this.remaining, data.length);
        this.keep(data.subarray(0, take));
        this.remaining -= take;
        data = data.subarray(take);
        if (this.remaining === 0) this.chunkState = 'data-end';
      } else {
        if (data.length < 2) {
          this.buffered = data;
          return NO_BYTES;
        }
        if (data[0] !== 13 || data[1] !== 10) throw new ProtocolError('a chunk not ended by CRLF');
        data = data.subarray(2);
        this.chunkState = 'size';
      }
    }
    return data;
  }

  private keep(bytes: Buffer): void {
    this.bodyBytes += bytes.length;
    const room = this.request!.keep - this.keptBytes;
    if (room > 0) {
      const part = bytes.length > room ? bytes.subarray(0, room) : bytes;
      // A copy: the socket's buffer is reused by the next read.
      this.kept.push(Buffer.from(part));
      this.keptBytes += part.length;
    }
  }

  private finish(): void {
    const request = this.request!;
    this.request = null;
    this.mode = 'head';
    clearTimeout(request.timer);
    request.resolve(
      new Answer(
        this.status,
        this.head,
        this.kept.length === 1
          ? this.kept[0]!
          : this.kept.length
            ? Buffer.concat(this.kept)
            : NO_BYTES,
        this.bodyBytes,
        performance.now() - request.started,
      ),
    );
  }

  /** The request in flight fails with `error`; the connection is not used again. */
  fail(error: unknown): void {
    const request = this.request;
    this.request = null;
    this.destroy();
    if (!request) return;
    clearTimeout(request.timer);
    request.resolve({
      ok: false,
      durationMs: performance.now() - request.started,
      error: classifyError(error),
    });
  }

  destroy(): void {
    clearTimeout(this.timer);
    if (!this.closed) {
      this.closed = true;
      this.socket.destroy();
      this.onGone(this);
    }
  }
}

export class SocketClient implements DeliveryClient {
  private readonly idle: Connection[] = [];
  private readonly all = new Set<Connection>();

  constructor(
    private readonly connections = 8,
    private readonly connectTimeoutMs = 7_000,
    private readonly lookup?: typeof import('node:dns').lookup,
    private readonly idleMs = IDLE_MS,
  ) {}

  post(
    url: URL,
    body: Buffer,
    headers: Record<string, string | string[]>,
    options: PostOptions,
  ): Promise<AttemptResult> {
    const started = performance.now();
    return new Promise((resolve) => {
      let head: string;
      try {
        head = this.head(url, body.length, headers, options.method ?? 'POST');
      } catch (e) {
        resolve({ ok: false, durationMs: 0, error: classifyError(e) });
        return;
      }
      const request: Pending = {
        url,
        head,
        body,
        keep: options.keepBodyBytes ?? 65_536,
        started,
        deadline: started + options.timeoutMs,
        resolve,
      };
      this.dispatch(request);
    });
  }

  private readonly queue: Pending[] = [];
  private sweeper: NodeJS.Timeout | undefined;

  /** Idle connections are closed before a server's keep-alive timeout can race a new request. */
  private sweep(): void {
    const now = performance.now();
    for (const c of [...this.idle]) if (this.stale(c, now)) c.destroy();
  }

  /** Idle for longer than this client keeps a connection, or than its server said it would. */
  private stale(c: Connection, now: number): boolean {
    return now - c.idleSince >= Math.min(this.idleMs, c.idleLimit);
  }

  private dispatch(request: Pending): void {
    let free = this.idle.pop();
    // An idle connection to another origin is of no use to this request; one idle too long (the
    // sweep runs once a second) may be closed by its server as the request goes out.
    while (free && (free.origin !== request.url.origin || this.stale(free, performance.now()))) {
      free.destroy();
      free = this.idle.pop();
    }
    if (free) free.send(request);
    else if (this.all.size < this.connections) this.open(request.url).send(request);
    else {
      request.timer = setTimeout(() => {
        const at = this.queue.indexOf(request);
        if (at >= 0) this.queue.splice(at, 1);
        request.resolve({
          ok: false,
          durationMs: performance.now() - request.started,
          error: classifyError(timedOut()),
        });
      }, request.deadline - performance.now());
      this.queue.push(request);
    }
  }

  private open(url: URL): Connection {
    const c = new Connection(
      url.origin,
      url.hostname.replace(/^\[|\]$/g, ''),
      Number(url.port || 80),
      this.connectTimeoutMs,
      (free) => {
        const next = this.queue.shift();
        if (next) {
          if (next.url.origin === free.origin) return free.send(next);
          free.destroy(); // its place goes to a connection to the waiting request's origin
          return this.dispatch(next);
        }
        free.idleSince = performance.now();
        this.idle.push(free);
        this.sweeper ??= setInterval(() => this.sweep(), Math.min(1000, this.idleMs)).unref();
      },
      (gone) => {
        this.all.delete(gone);
        const at = this.idle.indexOf(gone);
        if (at >= 0) this.idle.splice(at, 1);
        // A request waiting for a connection gets a new one in place of the one that went.
        const next = this.queue.shift();
        if (next) this.dispatch(next);
      },
      this.lookup,
    );
    this.all.add(c);
    return c;
  }

  /** The request head: the request line, Host, the headers, Content-Length; checked for CR/LF. */
  private head(
    url: URL,
    length: number,
    headers: Record<string, string | string[]>,
    method: string,
  ): string {
    let text = `${method} ${url.pathname}${url.search} HTTP/1.1\r\nhost: ${url.host}\r\n`;
    for (const name in headers) {
      const value = headers[name]!;
      if (!HEADER_NAME.test(name)) throw new TypeError(`invalid header name: ${name}`);
      // This client frames the request and owns the connection: the caller's copies are dropped.
      if (HOP_BY_HOP_HEADERS.has(name.toLowerCase())) continue;
      for (const v of Array.isArray(value) ? value : [value]) {
        if (!HEADER_VALUE.test(v)) throw new TypeError(`invalid value for header ${name}`);
        text += `${name}: ${v}\r\n`;
      }
    }
    text += `content-length: ${length}\r\n\r\n`;
    return text;
  }

  async close(): Promise<void> {
    clearInterval(this.sweeper);
    this.sweeper = undefined;
    for (const request of this.queue.splice(0)) {
      clearTimeout(request.timer);
      request.resolve({
        ok: false,
        durationMs: performance.now() - request.started,
        error: { kind: 'error', message: 'the client was closed' },
      });
    }
    for (const c of [...this.all]) c.fail(new Error('the client was closed'));
    this.idle.length = 0;
  }
}
