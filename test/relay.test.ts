/**
 * `bluehook relay` end to end: the built CLI spawned as a user would, real SQLite files, the real
 * PostgreSQL, raw HTTP and SSE clients on 127.0.0.1. The wire protocol is docs/relay.md's.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { readFileSync, statSync, writeFileSync } from 'node:fs';
import { request as httpRequest, type ClientRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { connect } from 'node:net';
import { join } from 'node:path';
import { test } from 'node:test';
import Sqlite from 'better-sqlite3';
import { hmac, post, postgresDatabase, runCli, storeBytes, tempDir } from './helpers.js';
import {
  createChannel,
  deliveriesOf,
  openStream,
  postSigned,
  startRelay,
  untilDeliveries,
  untilLine,
} from './relay-helpers.js';

const NO_LIMITS = ['--rate-per-address', '0', '--rate-per-channel', '0'];

function home(t: { after: (fn: () => void) => void }) {
  const dir = tempDir('bluehook-relay-');
  t.after(dir.cleanup);
  return { dir: dir.path, env: { BLUEHOOK_HOME: dir.path } };
}

const relayRows = (dir: string, sql: string) => {
  const db = new Sqlite(join(dir, 'relay.db'), { readonly: true, fileMustExist: true });
  try {
    return db.prepare(sql).all() as Array<Record<string, unknown>>;
  } finally {
    db.close();
  }
};

test('channel create/list/rotate-token/rm: the token is shown once, only its hash is kept, 0600', async (t) => {
  const { dir, env } = home(t);
  writeFileSync(join(dir, 'blue.secret'), 'blue-secret-value-123\n');
  const ch = await createChannel(['laptop', '--secret-file', join(dir, 'blue.secret')], env);
  assert.deepEqual(Object.keys(ch).sort(), ['name', 'path', 'token', 'url']);
  assert.equal(ch.name, 'laptop');
  assert.equal(ch.url, null, 'no public URL known yet');
  assert.match(ch.path, /^\/c\/[A-Za-z0-9_-]{22,}$/);
  assert.match(ch.token, /^bht_[A-Za-z0-9_-]{43}$/);

  // Only the hash is stored; the secret is (it verifies deliveries); the file is 0600.
  const rows = relayRows(dir, 'SELECT name, token_hash, secret FROM relay_channels');
  assert.deepEqual(rows, [
    {
      name: 'laptop',
      token_hash: createHash('sha256').update(ch.token).digest('hex'),
      secret: 'blue-secret-value-123',
    },
  ]);
  assert.ok(!storeBytes(dir).includes(ch.token), 'the token is nowhere in the store');
  assert.equal(statSync(join(dir, 'relay.db')).mode & 0o777, 0o600);

  // With a public URL the channel's full URL is known.
  const withUrl = await createChannel(['ci', '--public-url', 'https://relay.example.com/'], env);
  assert.equal(withUrl.url, `https://relay.example.com${withUrl.path}`);

  const listed = await runCli(['relay', 'channel', 'list', '--json'], { env });
  assert.equal(listed.code, 0, listed.stderr);
  const channels = JSON.parse(listed.stdout) as Array<Record<string, unknown>>;
  assert.deepEqual(
    channels.map((c) => [c.name, c.path, c.verified, c.url]),
    [
      ['ci', withUrl.path, false, `https://relay.example.com${withUrl.path}`],
      ['laptop', ch.path, true, `https://relay.example.com${ch.path}`],
    ],
  );
  const text = await runCli(['relay', 'channel', 'list'], { env });
  for (const out of [listed.stdout, text.stdout, text.stderr]) {
    assert.ok(!out.includes(ch.token) && !out.includes('blue-secret-value-123'), out);
    assert.ok(!out.includes(createHash('sha256').update(ch.token).digest('hex')));
  }
  assert.match(text.stdout, /laptop\s+\/c\/\S+\s+yes/);

  const dup = await runCli(['relay', 'channel', 'create', 'laptop'], { env });
  assert.equal(dup.code, 4);
  assert.match(dup.stderr, /a channel named laptop exists already/);
  const bad = await runCli(['relay', 'channel', 'create', '../x'], { env });
  assert.equal(bad.code, 2);

  const rotated = await runCli(['relay', 'channel', 'rotate-token', 'laptop', '--json'], { env });
  assert.equal(rotated.code, 0, rotated.stderr);
  const { token } = JSON.parse(rotated.stdout) as { token: string };
  assert.notEqual(token, ch.token);
  assert.equal(
    relayRows(dir, "SELECT token_hash FROM relay_channels WHERE name = 'laptop'")[0]!.token_hash,
    createHash('sha256').update(token).digest('hex'),
  );

  const noYes = await runCli(['relay', 'channel', 'rm', 'ci'], { env });
  assert.equal(noYes.code, 2, 'no terminal, no --yes: refused');
  const rm = await runCli(['relay', 'channel', 'rm', 'ci', '--yes'], { env });
  assert.equal(rm.code, 0, rm.stderr);
  const missing = await runCli(['relay', 'channel', 'rm', 'ci', '--yes'], { env });
  assert.equal(missing.code, 2);
  assert.match(missing.stderr, /no channel named ci/);
  assert.deepEqual(
    relayRows(dir, 'SELECT name FROM relay_channels').map((r) => r.name),
    ['laptop'],
  );
});

test('receiving: valid → 200 after commit; forgery → 401, recorded as rejected, never streamed; unknown channel 404', async (t) => {
  const { dir, env } = home(t);
  const ch = await createChannel(['laptop', '--secret', 'blue-s'], env);
  const relay = await startRelay(NO_LIMITS, env);
  t.after(() => relay.child.kill('SIGKILL'));
  const url = `${relay.url}${ch.path}`;

  const body = '{"event":"TODO_CREATED","todo":{"id":"t1"}}';
  const ok = await postSigned(url, 'blue-s', body);
  assert.equal(ok.status, 200);
  const { id } = JSON.parse(ok.text) as { ok: boolean; id: string };
  assert.equal(JSON.parse(ok.text).ok, true);
  // Answered 200 means committed: the row is there now, read by another connection.
  assert.deepEqual(relayRows(dir, 'SELECT id, seq, rejected, status FROM relay_deliveries'), [
    { id, seq: 1, rejected: 0, status: 200 },
  ]);

  const forged = await postSigned(url, 'not-the-secret', '{"event":"TODO_DELETED"}');
  assert.equal(forged.status, 401);
  assert.deepEqual(JSON.parse(forged.text), { error: 'invalid signature' });
  const unsigned = await post(url, '{"event":"TODO_DELETED"}');
  assert.equal(unsigned.status, 401);
  assert.deepEqual(relayRows(dir, 'SELECT rejected, status FROM relay_deliveries ORDER BY seq'), [
    { rejected: 0, status: 200 },
    { rejected: 1, status: 401 },
    { rejected: 1, status: 401 },
  ]);

  // Other schemes bluehook knows verify too (GitHub's sha256=…).
  const gh = await post(url, '{"event":"TODO_MOVED"}', {
    'x-hub-signature-256': `sha256=${hmac('blue-s', '{"event":"TODO_MOVED"}')}`,
  });
  assert.equal(gh.status, 200, gh.text);

  assert.equal(
    (await postSigned(`${relay.url}/c/AAAAAAAAAAAAAAAAAAAAAA`, 'blue-s', body)).status,
    404,
  );
  assert.equal((await post(`${relay.url}/elsewhere`, body)).status, 404);
  assert.equal((await post(url, '', {}, 'PUT')).status, 405);

  // The stream carries the two valid ones only, in order, then says it is live.
  const s = await openStream(url, { authorization: `Bearer ${ch.token}` });
  t.after(() => s.close());
  assert.equal(s.status, 200);
  assert.equal(s.headers['content-type'], 'text/event-stream');
  assert.equal(s.headers['cache-control'], 'no-store');
  assert.equal(s.headers['x-accel-buffering'], 'no');
  await s.next((e) => e.event === 'live');
  const got = deliveriesOf(s);
  assert.deepEqual(
    got.map((d) => [d.seq, d.body]),
    [
      [1, body],
      [4, '{"event":"TODO_MOVED"}'],
    ],
  );
  assert.equal(got[0]!.id, id);
  assert.deepEqual(got[0]!.verdict, { valid: true, cause: 'valid' });
  assert.equal(got[0]!.headers['x-signature'], hmac('blue-s', body));
  assert.equal(got[0]!.headers.host, undefined, 'hop-by-hop headers are not relayed');
  const hello = JSON.parse(s.events[0]!.data);
  assert.deepEqual(hello, { channel: 'laptop', subscriber: 'default', resumeAfter: 0, dropped: 0 });
  s.close();
  relay.child.kill('SIGTERM');
  assert.equal(await relay.exited, 143);
  // No token or secret in anything the relay printed.
  const printed = JSON.stringify(relay.lines()) + relay.stderr();
  assert.ok(!printed.includes(ch.token) && !printed.includes('blue-s'), printed);
});

test('stream: live deliveries, resume by acknowledged cursor and by Last-Event-ID, subscribers apart', async (t) => {
  const { env } = home(t);
  const ch = await createChannel(['laptop'], env);
  const relay = await startRelay(NO_LIMITS, env);
  t.after(() => relay.child.kill('SIGKILL'));
  const url = `${relay.url}${ch.path}`;
  const auth = { authorization: `Bearer ${ch.token}` };
  for (let i = 1; i <= 3; i++) assert.equal((await post(url, `{"n":${i}}`)).status, 200);

  const a = await openStream(`${url}?subscriber=laptop-a`, auth);
  await a.next((e) => e.event === 'live');
  assert.deepEqual(
    deliveriesOf(a).map((d) => d.seq),
    [1, 2, 3],
  );
  assert.equal(deliveriesOf(a)[0]!.verdict, null, 'no secret: unverified');
  // Live: a delivery posted now arrives on the open stream.
  assert.equal((await post(url, '{"n":4}')).status, 200);
  await untilDeliveries(a, 4);
  assert.deepEqual(
    deliveriesOf(a).map((d) => d.body),
    ['{"n":1}', '{"n":2}', '{"n":3}', '{"n":4}'],
  );
  a.close();

  const ack = (seq: unknown, sub = 'laptop-a') =>
    post(`${url}/ack?subscriber=${sub}`, JSON.stringify({ seq }), auth);
  assert.equal((await ack(2)).status, 204);
  assert.equal((await ack(1)).status, 204, 'a lower ack is a no-op');
  assert.equal((await ack('x')).status, 400);
  assert.equal((await post(`${url}/ack`, '{"seq":1}')).status, 401);

  // Back: resumes after the acknowledged cursor.
  const a2 = await openStream(`${url}?subscriber=laptop-a`, auth);
  await a2.next((e) => e.event === 'live');
  assert.equal(JSON.parse(a2.events[0]!.data).resumeAfter, 2);
  assert.deepEqual(
    deliveriesOf(a2).map((d) => d.seq),
    [3, 4],
  );
  a2.close();
  // Last-Event-ID wins over the cursor.
  const a3 = await openStream(`${url}?subscriber=laptop-a`, { ...auth, 'last-event-id': '3' });
  await a3.next((e) => e.event === 'live');
  assert.deepEqual(
    deliveriesOf(a3).map((d) => d.seq),
    [4],
  );
  a3.close();
  // Another subscriber has a cursor of its own: from the oldest kept.
  const b = await openStream(`${url}?subscriber=desk`, auth);
  await b.next((e) => e.event === 'live');
  assert.deepEqual(
    deliveriesOf(b).map((d) => d.seq),
    [1, 2, 3, 4],
  );
  b.close();
  // An ack past the last seq cannot skip what has not arrived yet.
  assert.equal((await ack(999, 'desk')).status, 204);
  assert.equal((await post(url, '{"n":5}')).status, 200);
  const b2 = await openStream(`${url}?subscriber=desk`, auth);
  await b2.next((e) => e.event === 'live');
  assert.equal(JSON.parse(b2.events[0]!.data).resumeAfter, 4);
  assert.deepEqual(
    deliveriesOf(b2).map((d) => d.body),
    ['{"n":5}'],
  );
  b2.close();
  const badName = await openStream(`${url}?subscriber=${'x'.repeat(65)}`, auth);
  assert.equal(badName.status, 400);
});

test('tokens: missing, wrong, unknown channel and rotated all get the same 401; a rotated token ends an open stream', async (t) => {
  const { env } = home(t);
  const ch = await createChannel(['laptop'], env);
  const relay = await startRelay(NO_LIMITS, env);
  t.after(() => relay.child.kill('SIGKILL'));
  const url = `${relay.url}${ch.path}`;
  const answers = await Promise.all([
    openStream(url, {}),
    openStream(url, { authorization: 'Bearer bht_wrong' }),
    openStream(url, { authorization: ch.token }),
    openStream(`${relay.url}/c/AAAAAAAAAAAAAAAAAAAAAA`, { authorization: `Bearer ${ch.token}` }),
  ]);
  for (const a of answers) {
    await a.ended;
    assert.equal(a.status, 401);
    assert.deepEqual(JSON.parse(a.body()), { error: 'unauthorized' });
  }
  const open = await openStream(url, { authorization: `Bearer ${ch.token}` });
  assert.equal(open.status, 200);
  await open.next((e) => e.event === 'live');
  const rotated = await runCli(['relay', 'channel', 'rotate-token', 'laptop', '--json'], { env });
  const { token } = JSON.parse(rotated.stdout) as { token: string };
  await open.ended; // the relay ends it by itself (within its recheck period)
  const old = await openStream(url, { authorization: `Bearer ${ch.token}` });
  await old.ended;
  assert.equal(old.status, 401);
  const fresh = await openStream(url, { authorization: `Bearer ${token}` });
  assert.equal(fresh.status, 200);
  fresh.close();
  await untilLine(relay, (l) => l.type === 'auth-failed');
  const printed = JSON.stringify(relay.lines()) + relay.stderr();
  assert.ok(!printed.includes(ch.token) && !printed.includes(token));
});

for (const engine of ['sqlite', 'postgres'] as const)
  test(`retention (${engine}): what it removes unread is reported once in hello.dropped; what all acknowledged is removed; SIGTERM exits 143`, async (t) => {
    const { env: base } = home(t);
    let env: Record<string, string> = base;
    if (engine === 'postgres') {
      const db = await postgresDatabase();
      if (db.skip !== undefined) return t.skip(db.skip);
      t.after(() => db.drop());
      env = { ...base, BLUEHOOK_HISTORY_URL: db.url };
    }
    const ch = await createChannel(['laptop'], env);
    const auth = { authorization: `Bearer ${ch.token}` };
    const first = await startRelay(NO_LIMITS, env);
    t.after(() => first.child.kill('SIGKILL'));
    const url = `${first.url}${ch.path}`;
    // The subscriber is known (connected once, acknowledged nothing), then away.
    const s = await openStream(url, auth);
    await s.next((e) => e.event === 'live');
    s.close();
    for (let i = 1; i <= 5; i++) assert.equal((await post(url, `{"n":${i}}`)).status, 200);
    first.child.kill('SIGTERM');
    assert.equal(await first.exited, 143);

    // At most 2 a channel: the 3 oldest go, unread.
    const second = await startRelay([...NO_LIMITS, '--history-max-records', '2'], env);
    t.after(() => second.child.kill('SIGKILL'));
    const back = await openStream(`${second.url}${ch.path}`, auth);
    await back.next((e) => e.event === 'live');
    assert.deepEqual(JSON.parse(back.events[0]!.data), {
      channel: 'laptop',
      subscriber: 'default',
      resumeAfter: 0,
      dropped: 3,
    });
    assert.deepEqual(
      deliveriesOf(back).map((d) => d.body),
      ['{"n":4}', '{"n":5}'],
    );
    back.close();
    const again = await openStream(`${second.url}${ch.path}`, auth);
    await again.next((e) => e.event === 'live');
    assert.equal(JSON.parse(again.events[0]!.data).dropped, 0, 'reported once');
    again.close();
    await untilLine(second, (l) => l.type === 'pruned' && l.removed === 3 && l.unread === 3);

    // Acknowledged by every subscriber that ever connected: removed at the next retention run.
    assert.equal((await post(`${second.url}${ch.path}/ack`, '{"seq":5}', auth)).status, 204);
    second.child.kill('SIGTERM');
    assert.equal(await second.exited, 143);
    const third = await startRelay(NO_LIMITS, env);
    t.after(() => third.child.kill('SIGKILL'));
    await untilLine(third, (l) => l.type === 'pruned' && l.removed === 2 && l.unread === 0);
    const listed = await runCli(['relay', 'channel', 'list', '--json'], { env });
    assert.equal((JSON.parse(listed.stdout) as Array<{ kept: number }>)[0]!.kept, 0);
  });

test('kill -9 of the relay during a burst: every delivery it answered 2xx is streamed after a restart', async (t) => {
  const { env } = home(t);
  const ch = await createChannel(['laptop'], env);
  const relay = await startRelay(NO_LIMITS, env);
  t.after(() => relay.child.kill('SIGKILL'));
  const url = `${relay.url}${ch.path}`;
  const answered: string[] = [];
  let sent = 0;
  const worker = async () => {
    while (sent < 2000) {
      sent++;
      try {
        const r = await post(url, `{"n":${sent}}`);
        if (r.status === 200) answered.push((JSON.parse(r.text) as { id: string }).id);
        if (answered.length === 150) relay.child.kill('SIGKILL');
      } catch {
        return; // the relay is gone
      }
    }
  };
  await Promise.all(Array.from({ length: 16 }, worker));
  await relay.exited;
  assert.ok(answered.length >= 150, `${answered.length} answered`);
  assert.ok(sent < 2000, 'killed during the burst');

  const again = await startRelay(NO_LIMITS, env);
  t.after(() => again.child.kill('SIGKILL'));
  const s = await openStream(`${again.url}${ch.path}`, { authorization: `Bearer ${ch.token}` });
  await s.next((e) => e.event === 'live');
  const streamed = deliveriesOf(s);
  const ids = new Set(streamed.map((d) => d.id));
  const lost = answered.filter((id) => !ids.has(id));
  assert.deepEqual(lost, [], 'nothing answered 200 is lost');
  assert.deepEqual(
    streamed.map((d) => d.seq),
    streamed.map((_, i) => i + 1),
    'seq 1..n, no gap',
  );
  s.close();
});

test('TLS with a certificate made by openssl: receive and stream over https', async (t) => {
  const { dir, env } = home(t);
  const cert = join(dir, 'cert.pem');
  const key = join(dir, 'key.pem');
  execFileSync(
    'openssl',
    [
      'req',
      '-x509',
      '-newkey',
      'rsa:2048',
      '-nodes',
      '-keyout',
      key,
      '-out',
      cert,
      '-days',
      '1',
      '-subj',
      '/CN=127.0.0.1',
      '-addext',
      'subjectAltName=IP:127.0.0.1',
    ],
    { stdio: 'ignore' },
  );
  const ca = readFileSync(cert);
  const ch = await createChannel(['laptop', '--secret', 'blue-s'], env);
  const relay = await startRelay([...NO_LIMITS, '--tls-cert', cert, '--tls-key', key], env);
  t.after(() => relay.child.kill('SIGKILL'));
  assert.match(relay.url, /^https:\/\/127\.0\.0\.1:\d+$/);
  // A connection that never starts its handshake is cut (checked at the end of this test).
  const silent = connect(Number(new URL(relay.url).port), '127.0.0.1');
  silent.on('error', () => undefined);
  const silentCut = new Promise<boolean>((resolve) => {
    const timer = setTimeout(() => resolve(false), 25_000);
    silent.once('close', () => {
      clearTimeout(timer);
      resolve(true);
    });
  });
  const url = `${relay.url}${ch.path}`;
  const body = '{"event":"TODO_CREATED"}';
  const status = await new Promise<number>((resolve, reject) => {
    const req = httpsRequest(
      url,
      { method: 'POST', ca, headers: { 'x-signature': hmac('blue-s', body) } },
      (res) => {
        res.resume();
        res.on('end', () => resolve(res.statusCode!));
      },
    );
    req.on('error', reject);
    req.end(body);
  });
  assert.equal(status, 200);
  const s = await openStream(url, { authorization: `Bearer ${ch.token}` }, { ca });
  await s.next((e) => e.event === 'live');
  assert.deepEqual(
    deliveriesOf(s).map((d) => d.body),
    [body],
  );
  s.close();
  // Plain HTTP to the TLS port gets no answer a client could take for a delivery's.
  await assert.rejects(post(url, body));
  assert.equal(await silentCut, true, 'a connection without a handshake is cut');
});

test('two relays on one PostgreSQL: a subscriber on each gets every delivery once, in order', async (t) => {
  const db = await postgresDatabase();
  if (db.skip !== undefined) return t.skip(db.skip);
  t.after(() => db.drop());
  const { env } = home(t);
  const pgEnv = { ...env, BLUEHOOK_HISTORY_URL: db.url };
  const ch = await createChannel(['team'], pgEnv);
  const one = await startRelay(NO_LIMITS, pgEnv);
  const two = await startRelay(NO_LIMITS, pgEnv);
  t.after(() => {
    one.child.kill('SIGKILL');
    two.child.kill('SIGKILL');
  });
  const auth = { authorization: `Bearer ${ch.token}` };
  const a = await openStream(`${one.url}${ch.path}?subscriber=a`, auth);
  const b = await openStream(`${two.url}${ch.path}?subscriber=b`, auth);
  await Promise.all([a.next((e) => e.event === 'live'), b.next((e) => e.event === 'live')]);
  // Concurrent posts to both relays: commits race on one channel.
  const N = 200;
  let n = 0;
  const ids: string[] = [];
  const worker = async (relayUrl: string) => {
    while (n < N) {
      const i = ++n;
      const r = await post(`${relayUrl}${ch.path}`, `{"n":${i}}`);
      assert.equal(r.status, 200, r.text);
      ids.push((JSON.parse(r.text) as { id: string }).id);
    }
  };
  await Promise.all([
    ...Array.from({ length: 6 }, () => worker(one.url)),
    ...Array.from({ length: 6 }, () => worker(two.url)),
  ]);
  for (const s of [a, b]) {
    const got = await untilDeliveries(s, N);
    assert.equal(got.length, N, 'each once');
    assert.deepEqual(
      got.map((d) => d.seq),
      got.map((_, i) => i + 1),
      'in seq order, none skipped',
    );
    assert.deepEqual(new Set(got.map((d) => d.id)), new Set(ids));
    s.close();
  }
  // The cursor is shared too: acknowledged on one relay, resumed on the other.
  const acked = await post(`${one.url}${ch.path}/ack?subscriber=a`, `{"seq":${N + 50}}`, auth);
  assert.equal(acked.status, 204);
  const a2 = await openStream(`${two.url}${ch.path}?subscriber=a`, auth);
  await a2.next((e) => e.event === 'live');
  assert.equal(JSON.parse(a2.events[0]!.data).resumeAfter, N, 'clamped to the last seq');
  assert.equal(deliveriesOf(a2).length, 0);
  a2.close();
});

test('rate limits: 429 with Retry-After past the per-address rate', async (t) => {
  const { env } = home(t);
  const ch = await createChannel(['laptop'], env);
  const relay = await startRelay(['--rate-per-address', '2', '--rate-per-channel', '0'], env);
  t.after(() => relay.child.kill('SIGKILL'));
  const url = `${relay.url}${ch.path}`;
  const answers = await Promise.all(
    Array.from(
      { length: 10 },
      () =>
        new Promise<{ status: number; retryAfter?: string }>((resolve, reject) => {
          const req = httpsOrHttp(url, (status, retryAfter) => resolve({ status, retryAfter }));
          req.on('error', reject);
        }),
    ),
  );
  const limited = answers.filter((a) => a.status === 429);
  assert.equal(answers.filter((a) => a.status === 200).length, 4, 'the burst (2 × 2/s) passes');
  assert.equal(limited.length, 6);
  for (const a of limited) assert.match(a.retryAfter ?? '', /^[1-9]\d*$/);
  await untilLine(relay, (l) => l.type === 'rate-limited' && l.scope === 'address');
});

function httpsOrHttp(
  url: string,
  done: (status: number, retryAfter?: string) => void,
): ClientRequest {
  const req = httpRequest(
    url,
    { method: 'POST', headers: { 'content-type': 'application/json' } },
    (res) => {
      res.resume();
      res.on('end', () => done(res.statusCode!, res.headers['retry-after'] as string | undefined));
    },
  );
  req.end('{"event":"TODO_CREATED"}');
  return req;
}

test('--trust-proxy: limits and logs use the address the proxy added to X-Forwarded-For; stream caps answer 429', async (t) => {
  const { env } = home(t);
  const ch = await createChannel(['laptop'], env);
  const relay = await startRelay(
    [
      '--trust-proxy',
      '--rate-per-address',
      '1',
      '--rate-per-channel',
      '0',
      '--max-streams-per-channel',
      '1',
    ],
    env,
  );
  t.after(() => relay.child.kill('SIGKILL'));
  const url = `${relay.url}${ch.path}`;
  const from = (chain: string) => post(url, '{"n":1}', { 'x-forwarded-for': chain });
  // Burst of 2 per address: the third from 203.0.113.7 is limited, whatever the client wrote first.
  const a = [
    await from('198.51.100.1, 203.0.113.7'),
    await from('198.51.100.2, 203.0.113.7'),
    await from('203.0.113.7'),
  ].map((r) => r.status);
  assert.deepEqual(a, [200, 200, 429]);
  assert.equal((await from('203.0.113.8')).status, 200, 'another address has its own budget');
  await untilLine(relay, (l) => l.type === 'delivery' && l.address === '203.0.113.8');
  const lines = relay.lines();
  assert.deepEqual(
    lines.filter((l) => l.type === 'delivery').map((l) => l.address),
    ['203.0.113.7', '203.0.113.7', '203.0.113.8'],
  );
  assert.ok(lines.some((l) => l.type === 'rate-limited' && l.address === '203.0.113.7'));

  const auth = { authorization: `Bearer ${ch.token}`, 'x-forwarded-for': '192.0.2.50' };
  const first = await openStream(url, auth);
  t.after(() => first.close());
  assert.equal(first.status, 200);
  const second = await openStream(url, { ...auth, 'x-forwarded-for': '192.0.2.51' });
  await second.ended;
  assert.equal(second.status, 429);
  assert.match(String(second.headers['retry-after']), /^\d+$/);
});

test('SIGTERM: a delivery in flight is committed and answered 200, then the relay exits 143', async (t) => {
  const { env } = home(t);
  const ch = await createChannel(['laptop'], env);
  const relay = await startRelay(NO_LIMITS, env);
  t.after(() => relay.child.kill('SIGKILL'));
  const port = Number(new URL(relay.url).port);
  const body = '{"event":"TODO_CREATED"}';
  // Headers and half the body now, the rest after the relay was told to stop.
  const slow = connect(port, '127.0.0.1');
  await new Promise((r) => slow.once('connect', r));
  let answer = '';
  slow.on('data', (d) => (answer += d));
  const answered = new Promise<void>((r) => slow.on('end', r));
  slow.write(
    `POST ${ch.path} HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: ${body.length}\r\n\r\n${body.slice(0, 10)}`,
  );
  // A full request on another connection: once it is answered, the relay has read the slow one's headers too.
  assert.equal(
    (await post(`${relay.url}${ch.path}`, '{"n":0}', { connection: 'close' })).status,
    200,
  );
  relay.child.kill('SIGTERM');
  // Stopped accepting: a new connection is refused (the event that says the signal was handled).
  for (;;) {
    const refused = await new Promise<boolean>((resolve) => {
      const probe = connect(port, '127.0.0.1');
      probe.once('connect', () => {
        probe.destroy();
        resolve(false);
      });
      probe.once('error', () => resolve(true));
    });
    if (refused) break;
  }
  slow.end(body.slice(10));
  await answered;
  assert.match(answer, /^HTTP\/1\.1 200/);
  const id = /"id":"([^"]+)"/.exec(answer)?.[1];
  assert.equal(await relay.exited, 143);

  const again = await startRelay(NO_LIMITS, env);
  t.after(() => again.child.kill('SIGKILL'));
  const s = await openStream(`${again.url}${ch.path}`, { authorization: `Bearer ${ch.token}` });
  await s.next((e) => e.event === 'live');
  assert.deepEqual(
    deliveriesOf(s).map((d) => [d.body, d.id === id]),
    [
      ['{"n":0}', false],
      [body, true],
    ],
  );
  s.close();
});

test('a closed stream frees its slot: with one stream a channel, subscribers come and go', async (t) => {
  const { env } = home(t);
  const ch = await createChannel(['laptop'], env);
  const relay = await startRelay([...NO_LIMITS, '--max-streams-per-channel', '1'], env);
  t.after(() => relay.child.kill('SIGKILL'));
  const url = `${relay.url}${ch.path}`;
  const auth = { authorization: `Bearer ${ch.token}` };
  for (let i = 1; i <= 3; i++) {
    const s = await openStream(url, auth);
    assert.equal(s.status, 200, `stream ${i}`);
    await s.next((e) => e.event === 'live');
    s.close();
    await untilLine(
      relay,
      (l) =>
        l.type === 'stream-close' &&
        relay.lines().filter((x) => x.type === 'stream-close').length >= i,
    );
  }
});
