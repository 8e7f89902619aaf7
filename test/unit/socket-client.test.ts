/**
 * The load mode's keep-alive socket client against real servers on 127.0.0.1: a raw TCP server of
 * the test's own (to answer in every framing HTTP/1.1 allows, byte by byte, or badly) and
 * node:http (to see the requests as a server parses them).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer as createHttpServer } from 'node:http';
import { createServer, type Server, type Socket } from 'node:net';
import type { AddressInfo } from 'node:net';
import { SocketClient } from '../../src/delivery/socket-client.js';

const BODY = Buffer.from('{"event":"TODO_CREATED","title":"café ☕"}');
const HEADERS = { 'content-type': 'application/json', 'x-signature': 'abc123' };

/** A TCP server that hands each request's bytes to `answer`, which writes what it likes. */
async function rawServer(
  answer: (socket: Socket, request: string, n: number) => void,
): Promise<{ url: URL; server: Server; connections: () => number; requests: string[] }> {
  let connections = 0;
  const requests: string[] = [];
  const server = createServer((socket) => {
    connections++;
    let buffered = '';
    socket.on('data', (d) => {
      buffered += d.toString('latin1');
      // A whole request: its head, then content-length bytes.
      for (;;) {
        const end = buffered.indexOf('\r\n\r\n');
        if (end < 0) return;
        const length = Number(/content-length: (\d+)/i.exec(buffered.slice(0, end))?.[1] ?? 0);
        if (buffered.length < end + 4 + length) return;
        const request = buffered.slice(0, end + 4 + length);
        buffered = buffered.slice(end + 4 + length);
        requests.push(request);
        answer(socket, request, requests.length);
      }
    });
    socket.on('error', () => {});
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as AddressInfo;
  return {
    url: new URL(`http://127.0.0.1:${port}/hook?x=1`),
    server,
    connections: () => connections,
    requests,
  };
}

const close = (s: Server) => new Promise<void>((r) => s.close(() => r()));

test('the request goes out as node:http parses it: the path, Host, the headers, the exact body', async (t) => {
  const seen: Array<{
    method: string;
    url: string;
    headers: Record<string, unknown>;
    body: Buffer;
  }> = [];
  const server = createHttpServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      seen.push({
        method: req.method!,
        url: req.url!,
        headers: req.headers,
        body: Buffer.concat(chunks),
      });
      res.writeHead(200, { 'x-answer': 'yes' }).end('ok');
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  t.after(() => close(server as unknown as Server));
  const { port } = server.address() as AddressInfo;
  const client = new SocketClient(2);
  t.after(() => client.close());
  const url = new URL(`http://127.0.0.1:${port}/hook?x=1`);
  const r = await client.post(url, BODY, { ...HEADERS, 'x-list': ['a', 'b'] }, { timeoutMs: 5000 });
  assert.equal(r.ok, true);
  assert.equal(r.status, 200);
  assert.equal(r.headers?.['x-answer'], 'yes');
  assert.equal(r.body?.toString(), 'ok');
  assert.equal(r.bodyBytes, 2);
  const [s] = seen;
  assert.equal(s!.method, 'POST');
  assert.equal(s!.url, '/hook?x=1');
  assert.equal(s!.headers.host, `127.0.0.1:${port}`);
  assert.equal(s!.headers['x-signature'], 'abc123');
  assert.equal(s!.headers['x-list'], 'a, b');
  assert.equal(s!.headers['content-length'], String(BODY.length));
  assert.deepEqual(s!.body, BODY);
});

test('keep-alive: sequential requests share one connection; the cap holds under parallel ones', async (t) => {
  const rx = await rawServer((socket) =>
    socket.write('HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok'),
  );
  t.after(() => close(rx.server));
  const client = new SocketClient(2);
  t.after(() => client.close());
  for (let i = 0; i < 5; i++)
    assert.equal((await client.post(rx.url, BODY, HEADERS, { timeoutMs: 5000 })).status, 200);
  assert.equal(rx.connections(), 1);
  const all = await Promise.all(
    Array.from({ length: 10 }, () => client.post(rx.url, BODY, HEADERS, { timeoutMs: 5000 })),
  );
  assert.deepEqual(
    all.map((r) => r.status),
    Array(10).fill(200),
  );
  assert.ok(rx.connections() <= 2, `${rx.connections()} connections for a cap of 2`);
});

test('every framing: chunked (extensions, trailers, one byte at a time), to the close, 204, 1xx first', async (t) => {
  const rx = await rawServer((socket, _req, n) => {
    if (n === 1) {
      // Chunked, written one byte at a time.
      const text =
        'HTTP/1.1 201 Created\r\nTransfer-Encoding: chunked\r\n\r\n5;ext=1\r\nhello\r\n6\r\n world\r\n0\r\nX-Trailer: t\r\n\r\n';
      let i = 0;
      const drip = () => {
        if (i < text.length) socket.write(text[i++]!, 'latin1', drip);
      };
      drip();
    } else if (n === 2) {
      socket.write('HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 204 No Content\r\nX-A: 1\r\n\r\n');
    } else if (n === 3) {
      socket.end(
        'HTTP/1.1 500 Internal Server Error\r\nContent-Type: text/plain\r\n\r\nno length, to the close',
      );
    } else {
      socket.write('HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n');
    }
  });
  t.after(() => close(rx.server));
  const client = new SocketClient(1);
  t.after(() => client.close());
  const chunked = await client.post(rx.url, BODY, HEADERS, { timeoutMs: 5000 });
  assert.equal(chunked.status, 201);
  assert.equal(chunked.body?.toString(), 'hello world');
  assert.equal(chunked.bodyBytes, 11);
  const noContent = await client.post(rx.url, BODY, HEADERS, { timeoutMs: 5000 });
  assert.equal(noContent.status, 204);
  assert.equal(noContent.headers?.['x-a'], '1');
  assert.equal(rx.connections(), 1, 'chunked and 204 answers keep the connection');
  const toClose = await client.post(rx.url, BODY, HEADERS, { timeoutMs: 5000, keepBodyBytes: 9 });
  assert.equal(toClose.status, 500);
  assert.equal(toClose.ok, false);
  assert.equal(toClose.body?.toString(), 'no length');
  assert.equal(toClose.bodyBytes, 'no length, to the close'.length);
  const after = await client.post(rx.url, BODY, HEADERS, { timeoutMs: 5000 });
  assert.equal(after.status, 200);
  assert.equal(rx.connections(), 2, 'a close-delimited answer ends its connection');
});

test('Connection: close and HTTP/1.0 answers are not reused; bytes nobody asked for end the connection', async (t) => {
  const rx = await rawServer((socket, _req, n) => {
    if (n === 1)
      socket.write('HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 2\r\n\r\nok');
    else if (n === 2) socket.write('HTTP/1.0 200 OK\r\nContent-Length: 2\r\n\r\nok');
    else if (n === 3) socket.write('HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nokEXTRA');
    else socket.write('HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok');
  });
  t.after(() => close(rx.server));
  const client = new SocketClient(1);
  t.after(() => client.close());
  for (let i = 0; i < 4; i++)
    assert.equal((await client.post(rx.url, BODY, HEADERS, { timeoutMs: 5000 })).status, 200);
  assert.equal(rx.connections(), 4);
});

test('failures are classified, never thrown: refused, timeout, reset mid-answer, garbage, a bad length', async (t) => {
  const rx = await rawServer((socket, _req, n) => {
    if (n === 1) return; // never answers
    if (n === 2) socket.end('HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nshort');
    if (n === 3) socket.write('SSH-2.0-OpenSSH\r\n\r\n');
    if (n === 4) socket.write('HTTP/1.1 200 OK\r\nContent-Length: -1\r\n\r\n');
    if (n === 5) socket.write('HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok');
  });
  t.after(() => close(rx.server));
  const client = new SocketClient(1);
  t.after(() => client.close());
  const timedOut = await client.post(rx.url, BODY, HEADERS, { timeoutMs: 300 });
  assert.equal(timedOut.ok, false);
  assert.equal(timedOut.error?.kind, 'timeout');
  assert.ok(timedOut.durationMs >= 250, `${timedOut.durationMs} ms`);
  const cut = await client.post(rx.url, BODY, HEADERS, { timeoutMs: 5000 });
  assert.equal(cut.error?.kind, 'reset');
  const garbage = await client.post(rx.url, BODY, HEADERS, { timeoutMs: 5000 });
  assert.equal(garbage.error?.kind, 'error');
  assert.match(garbage.error!.message, /not an HTTP\/1\.x answer/);
  const badLength = await client.post(rx.url, BODY, HEADERS, { timeoutMs: 5000 });
  assert.match(badLength.error!.message, /content-length/);
  // The client still works after all of that.
  assert.equal((await client.post(rx.url, BODY, HEADERS, { timeoutMs: 5000 })).status, 200);

  const gone = createServer();
  await new Promise<void>((r) => gone.listen(0, '127.0.0.1', r));
  const port = (gone.address() as AddressInfo).port;
  await close(gone);
  const refused = await client.post(new URL(`http://127.0.0.1:${port}/`), BODY, HEADERS, {
    timeoutMs: 5000,
  });
  assert.equal(refused.error?.kind, 'refused');
});

test('a header that would split the request is refused before anything is sent', async (t) => {
  const rx = await rawServer((socket) =>
    socket.write('HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n'),
  );
  t.after(() => close(rx.server));
  const client = new SocketClient(1);
  t.after(() => client.close());
  const r = await client.post(
    rx.url,
    BODY,
    { 'x-evil': 'a\r\nx-injected: 1' },
    { timeoutMs: 5000 },
  );
  assert.equal(r.ok, false);
  assert.match(r.error!.message, /invalid value for header x-evil/);
  const name = await client.post(rx.url, BODY, { 'bad name': 'v' }, { timeoutMs: 5000 });
  assert.match(name.error!.message, /invalid header name/);
  // A later good request shows the refused ones never reached the server.
  assert.equal((await client.post(rx.url, BODY, HEADERS, { timeoutMs: 5000 })).status, 200);
  assert.equal(rx.requests.length, 1);
  assert.doesNotMatch(rx.requests[0]!, /x-injected/);
});

test('an idle connection is closed by the client before a server would time it out', async (t) => {
  let closedByPeer: () => void;
  const closed = new Promise<void>((r) => {
    closedByPeer = r;
  });
  const rx = await rawServer((socket) => {
    socket.once('end', () => closedByPeer());
    socket.write('HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n');
  });
  t.after(() => close(rx.server));
  const client = new SocketClient(1, 7000, undefined, 100);
  t.after(() => client.close());
  assert.equal((await client.post(rx.url, BODY, HEADERS, { timeoutMs: 5000 })).status, 200);
  await closed; // the client ended it, idle
  assert.equal((await client.post(rx.url, BODY, HEADERS, { timeoutMs: 5000 })).status, 200);
  assert.equal(rx.connections(), 2);
});

test('an answer with bare LF line ends fails at once as a protocol error, not a timeout', async (t) => {
  const rx = await rawServer((socket) => socket.write('HTTP/1.1 200 OK\nContent-Length: 2\n\nok'));
  t.after(() => close(rx.server));
  const client = new SocketClient(1);
  t.after(() => client.close());
  const r = await client.post(rx.url, BODY, HEADERS, { timeoutMs: 20_000 });
  assert.equal(r.ok, false);
  assert.equal(r.error?.kind, 'error');
  assert.match(r.error!.message, /HTTP\/1\.x/);
});

test("a server's Keep-Alive: timeout hint too short to trust ends the connection after the answer", async (t) => {
  // timeout=1: the server may close it any moment after a second; a request sent then is lost.
  let ended: () => void;
  const endedByClient = new Promise<void>((r) => {
    ended = r;
  });
  const rx = await rawServer((socket, _req, n) => {
    if (n === 1) socket.once('end', () => ended());
    socket.write('HTTP/1.1 200 OK\r\nKeep-Alive: timeout=1\r\nContent-Length: 2\r\n\r\nok');
  });
  t.after(() => close(rx.server));
  const client = new SocketClient(1);
  t.after(() => client.close());
  assert.equal((await client.post(rx.url, BODY, HEADERS, { timeoutMs: 5000 })).status, 200);
  // The next request right away goes on a new connection; the first one is ended by the client.
  assert.equal((await client.post(rx.url, BODY, HEADERS, { timeoutMs: 5000 })).status, 200);
  assert.equal(rx.connections(), 2);
  await endedByClient;
});
