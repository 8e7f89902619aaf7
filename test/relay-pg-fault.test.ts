/**
 * The relay on a PostgreSQL that goes away: a cluster of this test's own (port 5492, or
 * BLUEHOOK_TEST_FAULT_PG_PORT) is stopped hard while the relay runs. A delivery arriving then is
 * answered 500, never 2xx; once the server is back, deliveries are accepted and streamed live
 * again without restarting the relay. Skipped where no cluster can be made (not root, no
 * pg_createcluster).
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { after, before, test } from 'node:test';
import { post, tempDir } from './helpers.js';
import {
  createChannel,
  deliveriesOf,
  openStream,
  startRelay,
  untilDeliveries,
} from './relay-helpers.js';

const PORT = Number(process.env.BLUEHOOK_TEST_FAULT_PG_PORT ?? 5492);
const CLUSTER = 'bluehook_relay_fault';
const can =
  process.getuid?.() === 0 &&
  existsSync('/usr/bin/pg_createcluster') &&
  existsSync('/usr/bin/pg_ctlcluster');
const pgctl = (...args: string[]) =>
  execFileSync('pg_ctlcluster', ['15', CLUSTER, ...args], { stdio: 'ignore' });

// A cluster left by an interrupted run is dropped first.
before(() => {
  if (can && existsSync(`/etc/postgresql/15/${CLUSTER}`))
    execFileSync('pg_dropcluster', ['15', CLUSTER, '--stop'], { stdio: 'ignore' });
});
after(() => {
  if (can && existsSync(`/etc/postgresql/15/${CLUSTER}`))
    execFileSync('pg_dropcluster', ['15', CLUSTER, '--stop'], { stdio: 'ignore' });
});

test('PostgreSQL stopped under the relay: 500, never 2xx; back: accepted and streamed live again', {
  skip: !can && 'needs root and pg_createcluster',
}, async (t) => {
  execFileSync('pg_createcluster', ['15', CLUSTER, '-p', String(PORT), '--', '--auth=trust'], {
    stdio: 'ignore',
  });
  pgctl('start');
  const pg = (await import('pg')).default;
  const admin = new pg.Client({
    connectionString: `postgres://postgres@127.0.0.1:${PORT}/postgres`,
  });
  await admin.connect();
  await admin.query('CREATE DATABASE relay');
  await admin.end();
  const dir = tempDir();
  t.after(dir.cleanup);
  const env = {
    BLUEHOOK_HOME: dir.path,
    BLUEHOOK_HISTORY_URL: `postgres://postgres@127.0.0.1:${PORT}/relay`,
  };
  const ch = await createChannel(['laptop'], env);
  const relay = await startRelay(['--rate-per-address', '0'], env);
  t.after(() => relay.child.kill('SIGKILL'));
  const url = `${relay.url}${ch.path}`;
  const auth = { authorization: `Bearer ${ch.token}` };
  // A fresh connection each: the test's event loop is blocked while the cluster stops and starts,
  // long enough for the relay to close a kept-alive one.
  const send = (body: string) => post(url, body, { connection: 'close' });

  assert.equal((await send('{"n":1}')).status, 200);
  pgctl('stop', '-m', 'immediate');
  const during = await send('{"n":2}');
  assert.equal(during.status, 500, during.text);
  pgctl('start');
  // The pool reconnects by itself: the sender's retry is accepted.
  let retried = await send('{"n":2}');
  for (let i = 0; i < 20 && retried.status !== 200; i++) retried = await send('{"n":2}');
  assert.equal(retried.status, 200);

  const s = await openStream(url, auth);
  t.after(() => s.close());
  await s.next((e) => e.event === 'live');
  assert.deepEqual(
    deliveriesOf(s).map((d) => [d.seq, d.body]),
    [
      [1, '{"n":1}'],
      [2, '{"n":2}'],
    ],
  );
  assert.equal((await send('{"n":3}')).status, 200);
  const got = await untilDeliveries(s, 3);
  assert.equal(got[2]!.body, '{"n":3}');
  assert.equal(relay.child.exitCode, null, 'the relay kept running');
});
