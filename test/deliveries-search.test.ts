/**
 * `deliveries list --search` finds words inside headers and bodies, through each engine's index
 * (SQLite FTS5 kept by triggers, PostgreSQL's GIN index on a tsvector), and still matches what it
 * matched before (an id prefix, a part of the event name). The SQLite migration backfills the index
 * of a history recorded before it existed. And the CLI's times: local with the offset, or --utc.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import Sqlite from 'better-sqlite3';
import type { DeliveryRecord } from '../src/history/record.js';
import { postgresDatabase, runCli, tempDir } from './helpers.js';

function record(id: string, event: string, body: string, headers: Record<string, string> = {}) {
  return {
    id,
    direction: 'in',
    time: new Date(Date.UTC(2026, 0, 1, 12, 0, Number(id.slice(-2)))).toISOString(),
    event,
    url: '/webhooks/blue',
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body,
    bodyEncoding: 'utf8',
    verdict: { valid: true, cause: 'ok', message: 'valid' },
    answer: { status: 200 },
  } satisfies DeliveryRecord;
}

const RECORDS = [
  record('dsearch000001', 'TODO_CREATED', '{"event":"TODO_CREATED","title":"Buy marmalade"}'),
  record('dsearch000002', 'TODO_MOVED', '{"event":"TODO_MOVED","title":"Ship the rocket"}', {
    'x-trace-id': 'zebracorn-42',
  }),
  record('dother0000003', 'COMMENT_CREATED', '{"event":"COMMENT_CREATED","text":"Marmalades"}'),
];

async function ids(args: string[], env: Record<string, string>): Promise<string[]> {
  const r = await runCli(['deliveries', 'list', '--json', ...args], { env });
  assert.equal(r.code, 0, r.stderr);
  return r.stdout
    .trim()
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l).id as string)
    .sort();
}

async function searches(env: Record<string, string>) {
  // A word inside a body, a prefix of one (the word being typed), case aside.
  assert.deepEqual(await ids(['--search', 'rocket'], env), ['dsearch000002']);
  assert.deepEqual(await ids(['--search', 'Marmal'], env), ['dother0000003', 'dsearch000001']);
  // Every word must be there, in any order.
  assert.deepEqual(await ids(['--search', 'buy marmalade'], env), ['dsearch000001']);
  assert.deepEqual(await ids(['--search', 'rocket marmalade'], env), []);
  // A header's value.
  assert.deepEqual(await ids(['--search', 'zebracorn'], env), ['dsearch000002']);
  // What it matched before: an id prefix, a part of an event name.
  assert.deepEqual(await ids(['--search', 'dsearch'], env), ['dsearch000001', 'dsearch000002']);
  assert.deepEqual(await ids(['--search', 'MOVE'], env), ['dsearch000002']);
  // Operators of the index's query language are words like any other.
  assert.deepEqual(await ids(['--search', 'rocket" OR "marmalade'], env), []);
  assert.deepEqual(await ids(['--search', '*'], env), []);
}

test('deliveries list --search finds words in bodies and headers (SQLite FTS5)', async (t) => {
  const dir = tempDir();
  t.after(dir.cleanup);
  const env = { BLUEHOOK_HOME: dir.path };
  const file = join(dir.path, 'in.ndjson');
  writeFileSync(file, RECORDS.map((r) => JSON.stringify(r)).join('\n'));
  assert.equal((await runCli(['deliveries', 'import', file], { env })).code, 0);
  // An import leaves nothing waiting for the index (its process would not live to index it).
  const after = new Sqlite(join(dir.path, 'bluehook.db'), { readonly: true });
  assert.equal(
    (after.prepare('SELECT count(*) AS n FROM deliveries_unindexed').get() as { n: number }).n,
    0,
  );
  after.close();
  await searches(env);

  // Removed deliveries leave the index with them (the delete trigger).
  assert.equal((await runCli(['deliveries', 'clear', '--yes'], { env })).code, 0);
  assert.deepEqual(await ids(['--search', 'rocket'], env), []);
  assert.equal((await runCli(['deliveries', 'import', file], { env })).code, 0);

  // A history from before the index: the migration builds it from what is recorded.
  const db = new Sqlite(join(dir.path, 'bluehook.db'));
  db.exec(`DROP TRIGGER deliveries_search_insert; DROP TRIGGER deliveries_search_delete;
    DROP TRIGGER deliveries_search_update; DROP TABLE deliveries_search;
    DROP TABLE deliveries_unindexed;`);
  db.pragma('user_version = 3');
  db.close();
  assert.deepEqual(await ids(['--search', 'rocket'], env), ['dsearch000002']);
  await searches(env);
});

test('deliveries list --search finds words in bodies and headers (PostgreSQL)', async (t) => {
  const pg = await postgresDatabase();
  if (pg.skip !== undefined) return t.skip(pg.skip);
  t.after(pg.drop);
  const dir = tempDir();
  t.after(dir.cleanup);
  const env = { BLUEHOOK_HOME: dir.path, BLUEHOOK_HISTORY_URL: pg.url };
  const file = join(dir.path, 'in.ndjson');
  writeFileSync(file, RECORDS.map((r) => JSON.stringify(r)).join('\n'));
  assert.equal((await runCli(['deliveries', 'import', file], { env })).code, 0);
  await searches(env);
});

test('times: local with the offset shown, --utc in UTC (deliveries list and show)', async (t) => {
  const dir = tempDir();
  t.after(dir.cleanup);
  const env = { BLUEHOOK_HOME: dir.path, TZ: 'Asia/Kolkata' };
  const file = join(dir.path, 'in.ndjson');
  writeFileSync(file, JSON.stringify(RECORDS[0]));
  assert.equal((await runCli(['deliveries', 'import', file], { env })).code, 0);
  // Recorded 2026-01-01T12:00:01Z: 17:30:01 in Kolkata (+05:30).
  const local = await runCli(['deliveries', 'list', '--wide'], { env });
  assert.match(local.stdout, /2026-01-01 17:30:01 \+05:30/);
  const utc = await runCli(['deliveries', 'list', '--wide', '--utc'], { env });
  assert.match(utc.stdout, /2026-01-01 12:00:01Z/);
  const show = await runCli(['deliveries', 'show', 'dsearch000001'], { env });
  assert.match(show.stdout, /17:30:01 \+05:30/);
  const showUtc = await runCli(['deliveries', 'show', 'dsearch000001', '--utc'], { env });
  assert.match(showUtc.stdout, /12:00:01Z/);
  // --json keeps the recorded ISO time.
  const json = await runCli(['deliveries', 'list', '--json'], { env });
  assert.equal(JSON.parse(json.stdout).time, '2026-01-01T12:00:01.000Z');
});

test('a search while another process writes waits its turn instead of failing as "locked for 15 s"', async (t) => {
  const { SqliteHistory } = await import('../src/history/sqlite.js');
  const { Worker } = await import('node:worker_threads');
  const tmp = tempDir();
  t.after(tmp.cleanup);
  const dir = tmp.path;
  const history = new SqliteHistory(dir);
  await history.append(record('dsearch000001', 'TODO_CREATED', '{"title":"Buy marmalade"}'));
  // Another connection (a thread has its own) commits rows one by one, as listen does.
  const writer = new Worker(
    `const { parentPort, workerData } = require('node:worker_threads');
     const Sqlite = require(workerData.sqlite);
     const db = new Sqlite(workerData.file, { timeout: 15000 });
     const insert = db.prepare("INSERT INTO deliveries (id, time_ms, direction, event, url, method, headers, body, detail) VALUES (?, 0, 'in', 'TODO_CREATED', '/', 'POST', '{}', ?, '{}')");
     let n = 0, stop = false;
     parentPort.on('message', () => { stop = true; });
     const loop = () => {
       for (let i = 0; i < 20; i++) insert.run('dw' + n++, Buffer.from('{"title":"marmalade"}'));
       if (n === 20) parentPort.postMessage('writing');
       if (stop) { db.close(); parentPort.postMessage(n); } else setImmediate(loop);
     };
     loop();`,
    {
      eval: true,
      workerData: {
        sqlite: join(process.cwd(), 'node_modules', 'better-sqlite3'),
        file: join(dir, 'bluehook.db'),
      },
    },
  );
  t.after(() => writer.terminate());
  const done = new Promise<number>((resolve) =>
    writer.on('message', (m) => {
      if (typeof m === 'number') resolve(m);
    }),
  );
  await new Promise<void>((resolve) => writer.once('message', () => resolve()));
  for (let i = 0; i < 30; i++) assert.ok((await history.count({ search: 'marmalade' })) >= 1);
  writer.postMessage('stop');
  const written = await done;
  assert.equal(await history.count({ search: 'marmalade' }), written + 1);
});
