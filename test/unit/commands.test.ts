/**
 * Command handlers run in process against a captured Io: the same code the CLI runs, without a
 * process or a terminal (what the Io seam is for).
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { test } from 'node:test';
import * as events from '../../src/cli/commands/events.js';
import * as payload from '../../src/cli/commands/payload.js';
import * as verify from '../../src/cli/commands/verify.js';
import type { Io } from '../../src/cli/output.js';
import { getScheme } from '../../src/signing/schemes.js';

function captureIo() {
  const out: string[] = [];
  const err: string[] = [];
  const stdout = new PassThrough();
  stdout.on('data', (d: Buffer) => out.push(d.toString()));
  const io: Io = {
    out: (t) => out.push(t.endsWith('\n') ? t : `${t}\n`),
    err: (t) => err.push(t.endsWith('\n') ? t : `${t}\n`),
    json: (v) => out.push(`${JSON.stringify(v, null, 2)}\n`),
    line: (t) => out.push(`${t}\n`),
    jsonLine: (v) => out.push(`${JSON.stringify(v)}\n`),
    stdout,
    stderr: new PassThrough(),
    isTTY: { stdin: false, stdout: false, stderr: false },
  };
  return { io, out: () => out.join(''), err: () => err.join('') };
}

test('events --json, in process', () => {
  const cap = captureIo();
  assert.equal(events.run({ json: true, group: 'tag' }, cap.io), 0);
  const listed = JSON.parse(cap.out()) as Array<{ name: string }>;
  assert.deepEqual(
    listed.map((e) => e.name),
    ['TAG_CREATED', 'TAG_DELETED', 'TAG_UPDATED'],
  );
  assert.equal(cap.err(), '');
});

test('payload writes the exact body to stdout, byte-identical for a seed', async () => {
  const a = captureIo();
  const b = captureIo();
  payload.run('TODO_CREATED', { seed: '7' }, a.io);
  payload.run('todo_created', { seed: '7' }, b.io);
  await new Promise((r) => setImmediate(r));
  assert.ok(a.out().length > 500);
  assert.equal(a.out(), b.out());
  assert.equal(JSON.parse(a.out()).event, 'TODO_CREATED');
});

test('verify: a valid signature is exit 0 on stdout; a wrong one exit 1 with the reason on stderr', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'bluehook-unit-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const file = join(dir, 'body.json');
  writeFileSync(file, '{"event":"TODO_CREATED"}');
  const signature = getScheme('blue').sign(Buffer.from('{"event":"TODO_CREATED"}'), 's3cret')[
    'x-signature'
  ]!;
  const env = { storeDir: dir, color: false };
  const good = captureIo();
  assert.equal(
    await verify.run(
      file,
      { ...env, secret: 's3cret', signature, tolerance: 300, scheme: 'blue' },
      good.io,
    ),
    0,
  );
  assert.match(good.out(), /^valid: /);
  const bad = captureIo();
  assert.equal(
    await verify.run(
      file,
      { ...env, secret: 'other', signature, tolerance: 300, scheme: 'blue' },
      bad.io,
    ),
    1,
  );
  assert.match(bad.err(), /^invalid: .*secret is wrong/);
});

test('list and deliveries count, in process over a store directory; a bad filter is a coded usage error', async (t) => {
  const { LocalWebhookStore } = await import('../../src/store/local-store.js');
  const { SqliteHistory } = await import('../../src/history/sqlite.js');
  const { closeDatabase } = await import('../../src/db/database.js');
  const list = await import('../../src/cli/commands/list.js');
  const deliveries = await import('../../src/cli/commands/deliveries.js');
  const { BluehookError } = await import('../../src/errors.js');
  const dir = mkdtempSync(join(tmpdir(), 'bluehook-commands-'));
  t.after(() => {
    closeDatabase(dir);
    rmSync(dir, { recursive: true, force: true });
  });
  const hook = await new LocalWebhookStore(dir).create({
    name: 'orders',
    url: 'https://example.com/hooks',
    secret: 'whsec_inprocess',
  });
  const listed = captureIo();
  assert.equal(await list.run({ storeDir: dir, json: true }, listed.io), 0);
  const rows = JSON.parse(listed.out()) as Array<{ id: string; secret: string }>;
  assert.deepEqual(
    rows.map((r) => r.id),
    [hook.id],
  );
  assert.ok(!rows[0]!.secret.includes('inprocess'), 'masked');

  const history = new SqliteHistory(dir, 'normal');
  await history.append({
    id: 'din1',
    direction: 'in',
    time: new Date().toISOString(),
    event: 'TODO_CREATED',
    url: '/',
    method: 'POST',
    headers: {},
    body: '{}',
    bodyEncoding: 'utf8',
    verdict: { valid: false, cause: 'wrong-secret', message: 'the secret is wrong' },
    answer: { status: 401 },
  });
  await history.close();
  const counted = captureIo();
  assert.equal(await deliveries.count({ storeDir: dir, json: true, invalid: true }, counted.io), 0);
  assert.equal((JSON.parse(counted.out()) as { count: number }).count, 1);
  await assert.rejects(
    deliveries.count({ storeDir: dir, status: 'abc' }, captureIo().io),
    (e: unknown) => e instanceof BluehookError && e.code === 'bad-status-filter',
  );
});
