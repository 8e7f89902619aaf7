/**
 * The catch server under hostile clients: idle and slow connections are cut at the configured
 * times, open connections are capped, and explaining invalid requests has a bounded budget, so
 * invalid traffic cannot starve valid deliveries. Real servers on 127.0.0.1; no timing asserted
 * beyond "closed before a generous bound".
 */
import assert from 'node:assert/strict';
import { connect, type Socket } from 'node:net';
import { test } from 'node:test';
import { startCatchServer } from '../src/receiver/server.js';
import { DIAGNOSIS_BUDGET, makeVerifier, type Candidate } from '../src/receiver/verifier.js';
import { getScheme } from '../src/signing/schemes.js';
import { post } from './helpers.js';

const verify = makeVerifier([{ secret: 's' }], 'blue');
const start = (extra: Partial<Parameters<typeof startCatchServer>[0]> = {}) =>
  startCatchServer({
    host: '127.0.0.1',
    port: 0,
    path: '/',
    maxBodyBytes: 1024 * 1024,
    verify,
    ...extra,
  });

const open = (port: number, first?: string) =>
  new Promise<Socket>((resolve) => {
    const s = connect(port, '127.0.0.1', () => {
      if (first) s.write(first);
      resolve(s);
    });
    s.on('error', () => undefined);
    // Read what the server says: node's own cut-off check answers an idle or slow connection
    // "408" before closing it (when it runs before the socket's idle timer, as on a loaded
    // machine), and a socket whose bytes are never read never sees the close that follows.
    s.resume();
  });
const closedWithin = (s: Socket, ms: number) =>
  new Promise<boolean>((resolve) => {
    if (s.destroyed) return resolve(true);
    const timer = setTimeout(() => resolve(false), ms);
    s.once('close', () => {
      clearTimeout(timer);
      resolve(true);
    });
  });

test('idle, slow-header and slow-body connections are cut at the configured times, not 30 s later', async (t) => {
  const rx = await start({ headersTimeoutMs: 1000, requestTimeoutMs: 2000 });
  t.after(() => rx.close());
  const port = Number(new URL(rx.url).port);
  const idle = await open(port);
  const slowHeaders = await open(port, 'POST / HTTP/1.1\r\nHost: x\r\n');
  const trickle = await open(port, 'POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 1000\r\n\r\n');
  // A body that keeps trickling in (so the connection is never idle) still ends at the request cut-off.
  const drip = setInterval(() => trickle.write('x'), 200);
  t.after(() => clearInterval(drip));
  const answer: string[] = [];
  trickle.on('data', (d: Buffer) => answer.push(d.toString()));
  const results = await Promise.all([
    // Bounds that only guard against hanging: well under node's own 30 s check.
    closedWithin(idle, 15_000),
    closedWithin(slowHeaders, 15_000),
    closedWithin(trickle, 15_000),
  ]);
  assert.deepEqual(results, [true, true, true], 'idle, slow headers, slow body');
  assert.match(answer.join(''), /^HTTP\/1\.1 408/, 'the slow body is told why');

  // A delivery that takes longer to answer than the idle cut-off is not cut (the request is in).
  const slowAnswer = await start({ headersTimeoutMs: 500, respondDelayMs: 1500 });
  t.after(() => slowAnswer.close());
  const body = '{"event":"TODO_CREATED"}';
  const r = await post(slowAnswer.url, body, {
    'x-signature': getScheme('blue').sign(Buffer.from(body), 's')['x-signature']!,
  });
  assert.equal(r.status, 200);
});

test('open connections are capped: at the cap the longest-idle ones make room; deliveries are answered', async (t) => {
  // No idle cut-off within the test (the first test covers it): whatever closes a connection here
  // is the cap, however slowly a loaded machine accepts the 30 (node accepts them one by one).
  const rx = await start({ maxConnections: 20, headersTimeoutMs: 120_000 });
  t.after(() => rx.close());
  const port = Number(new URL(rx.url).port);
  const sockets = await Promise.all(Array.from({ length: 30 }, () => open(port)));
  t.after(() => {
    for (const s of sockets) s.destroy();
  });
  // Each of the 10 past the cap closes one on arrival: wait for the 10 longest idle to close (the
  // bound only guards against hanging), then see which are closed at that moment.
  assert.deepEqual(
    await Promise.all(sockets.slice(0, 10).map((s) => closedWithin(s, 30_000))),
    Array(10).fill(true),
    'the first (longest idle) are the ones closed',
  );
  assert.deepEqual(rx.connections.stats, { evicted: 10, refused: 0 }, 'idle ones made room');
  assert.deepEqual(
    sockets.map((s) => s.closed || s.destroyed),
    sockets.map((_, i) => i < 10),
    'the 10 longest idle are closed as the 10 past the cap arrive, and only they',
  );
  // A delivery arriving at the cap is answered: the longest idle of the held ones makes room.
  const body = '{"event":"TODO_CREATED"}';
  const r = await post(rx.url, body, {
    'x-signature': getScheme('blue').sign(Buffer.from(body), 's')['x-signature']!,
  });
  assert.equal(r.status, 200);
  assert.equal(await closedWithin(sockets[10]!, 30_000), true, 'the next longest idle made room');
  assert.deepEqual(rx.connections.stats, { evicted: 11, refused: 0 });
  assert.deepEqual(
    sockets.map((s) => s.closed || s.destroyed),
    sockets.map((_, i) => i < 11),
  );
});

test('diagnosing invalid requests stays within its budget: per request, per second, and by body size', () => {
  const candidates: Candidate[] = Array.from({ length: 50 }, (_, i) => ({
    secret: `secret-${i}`,
    webhookId: `w${i}`,
  }));
  // A clock that moves 15 ms each time it is read: the verifier must stop by the clock, not by luck.
  let now = 0;
  const clock = () => (now += 15);
  const verifier = makeVerifier(candidates, 'blue', DIAGNOSIS_BUDGET, clock);
  const body = Buffer.from('{"event":"TODO_CREATED"}');
  const signedWith = (secret: string) => ({
    'x-signature': getScheme('blue').sign(body, secret)['x-signature']!,
  });
  const wrong = signedWith('nobody-has-this');
  // The webhook that gets deliveries (the 50th secret, the most work to find the first time).
  assert.deepEqual(
    [
      verifier(body, signedWith('secret-49')).valid,
      verifier(body, signedWith('secret-49')).webhookId,
    ],
    [true, 'w49'],
  );
  const first = verifier(body, wrong);
  assert.equal(first.valid, false);
  assert.match(
    first.message,
    /none of the 50 known webhook secrets.*not diagnosed within the time budget/,
  );
  // Keep sending within the same second: once the second's budget is spent, rejections are plain.
  const causes = Array.from({ length: 12 }, () => verifier(body, wrong).cause);
  assert.ok(causes.includes('not-diagnosed'), causes.join(','));
  // Past the budget, a request is checked only against the recently matched secrets: the webhook
  // that gets deliveries keeps getting them; one that never matched waits for the next second.
  const valid = verifier(body, signedWith('secret-49'));
  assert.deepEqual([valid.valid, valid.webhookId], [true, 'w49']);
  const rare = verifier(body, signedWith('secret-10'));
  assert.equal(rare.cause, 'not-diagnosed');
  assert.match(rare.message, /checked only against the 4 most recently matched of 50 secrets/);
  // In the next second, every secret is checked and diagnoses resume.
  now += 2000;
  assert.deepEqual([verifier(body, signedWith('secret-10')).valid], [true]);
  assert.notEqual(verifier(body, wrong).cause, 'not-diagnosed');

  // A large body is not re-serialised: it is rejected as a wrong secret, saying why no more was tried.
  const big = Buffer.from(
    JSON.stringify({
      event: 'TODO_CREATED',
      pad: 'x'.repeat(DIAGNOSIS_BUDGET.maxReserialiseBytes),
    }),
  );
  const one = makeVerifier([{ secret: 's' }], 'blue');
  const d = one(big, {
    'x-signature': getScheme('blue').sign(
      Buffer.from(JSON.stringify(JSON.parse(big.toString()), null, 2)),
      's',
    )['x-signature']!,
  });
  assert.equal(d.cause, 'wrong-secret');
  assert.match(d.message, /re-serialisations not tried on a body over 262144 bytes/);
});
