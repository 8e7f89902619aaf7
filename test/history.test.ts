/**
 * The history contract, run against both engines: a real SQLite file and a real PostgreSQL
 * database (created and dropped per run). Same calls, same answers.
 */
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import type { History } from '../src/history/history.js';
import { iterate, newest, summarize, type DeliverySummary } from '../src/history/history.js';
import { encodeBody, newDeliveryId, type DeliveryRecord } from '../src/history/record.js';
import { SqliteHistory } from '../src/history/sqlite.js';
import { PostgresHistory } from '../src/history/postgres.js';
import { closeDatabase, SCHEMA_VERSION } from '../src/db/database.js';
import { postgresDatabase, tempDir } from './helpers.js';
import Sqlite from 'better-sqlite3';
import { join } from 'node:path';

let clock = Date.parse('2026-01-01T00:00:00.000Z');

function record(
  over: Partial<DeliveryRecord> = {},
  body: Buffer = Buffer.from(
    JSON.stringify({ event: over.event ?? 'TODO_CREATED', n: Math.random() }),
  ),
): DeliveryRecord {
  clock += 1000;
  const base: DeliveryRecord = {
    id: newDeliveryId(),
    direction: 'in',
    time: new Date(clock).toISOString(),
    event: 'TODO_CREATED',
    webhookId: null,
    url: '/hook',
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-signature': 'ab'.repeat(32) },
    ...encodeBody(body),
    remoteAddress: '127.0.0.1',
    verdict: { valid: true, cause: 'valid', message: 'valid signature', webhookId: null },
    answer: { status: 200 },
  };
  return { ...base, ...over };
}

function contract(
  name: string,
  open: () => Promise<{ history: History; close: () => Promise<void> } | { skip: string }>,
) {
  describe(`history contract: ${name}`, () => {
    let h: History;
    let done: () => Promise<void> = async () => undefined;
    let skip: string | undefined;
    before(async () => {
      const opened = await open();
      if ('skip' in opened) skip = opened.skip;
      else ({ history: h, close: done } = opened);
    });
    after(async () => done());

    test('append, then get by id and by unique prefix: the record comes back exactly, bodies byte-exact', async (t) => {
      if (skip) return t.skip(skip);
      const binary = randomBytes(300);
      const records = [
        record({ event: 'TODO_MOVED' }),
        record(
          {
            event: null,
            verdict: { valid: false, cause: 'not-json', message: 'x' },
            answer: { status: 400 },
          },
          binary,
        ),
        record({
          direction: 'out',
          url: 'http://127.0.0.1:1/x',
          verdict: undefined,
          answer: undefined,
          remoteAddress: undefined,
          ok: true,
          attempts: [{ attempt: 1, status: 200, durationMs: 1.5 }],
          response: { status: 200, headers: { a: 'b' }, body: 'ok' },
        }),
      ];
      await Promise.all(records.map((r) => h.append(r)));
      for (const r of records) {
        assert.deepEqual(await h.get(r.id), JSON.parse(JSON.stringify(r)));
      }
      const named = record({ id: 'dprefixcase0001' });
      await h.append(named);
      assert.equal((await h.get('dprefixcase')).id, named.id, 'a unique prefix');
      assert.equal((await h.get('DPREFIXCASE')).id, named.id, 'ids are case-insensitive as typed');
      assert.equal((await h.get(records[1]!.id)).bodyEncoding, 'base64');
      assert.ok(Buffer.from((await h.get(records[1]!.id)).body, 'base64').equals(binary));
      await assert.rejects(h.get('dzzzz-none'), /no recorded delivery/);
      await assert.rejects(h.get('d'), /ambiguous/);
    });

    test('drift: the report comes back whole; summaries say its level; the drift filter selects it (any, or warnings only)', async (t) => {
      if (skip) return t.skip(skip);
      await h.remove({});
      const warning = record({
        drift: {
          level: 'warning',
          count: 2,
          issues: [
            { path: 'currentValue.title', kind: 'missing', expected: 'title' },
            { path: 'currentValue.x', kind: 'added', actual: 'number' },
          ],
        },
      });
      const info = record({
        drift: {
          level: 'info',
          count: 1,
          issues: [{ path: 'eventId', kind: 'added', actual: 'string' }],
        },
      });
      const clean = record();
      for (const r of [warning, info, clean]) await h.append(r);
      assert.deepEqual(await h.get(warning.id), JSON.parse(JSON.stringify(warning)));
      const ids = async (drift?: 'any' | 'warning') =>
        (await h.summaries(drift ? { drift } : {}, { order: 'oldest' })).records.map((r) => [
          r.id,
          r.drift,
        ]);
      assert.deepEqual(await ids(), [
        [warning.id, 'warning'],
        [info.id, 'info'],
        [clean.id, null],
      ]);
      assert.deepEqual(await ids('any'), [
        [warning.id, 'warning'],
        [info.id, 'info'],
      ]);
      assert.deepEqual(await ids('warning'), [[warning.id, 'warning']]);
      assert.equal(await h.count({ drift: 'any' }), 2);
      assert.deepEqual(summarize(info), (await h.summaries({ ids: [info.id] })).records[0]);
      await h.remove({});
    });

    test('filters and keyset pages: every filter narrows as documented; pages cover all, in order, once', async (t) => {
      if (skip) return t.skip(skip);
      await h.remove({});
      const made: DeliveryRecord[] = [];
      for (let i = 0; i < 250; i++) {
        const out = i % 5 === 0;
        made.push(
          record(
            out
              ? {
                  direction: 'out',
                  url: 'http://x/',
                  verdict: undefined,
                  answer: undefined,
                  ok: i % 10 !== 0,
                  response: { status: i % 10 ? 200 : 503 },
                  webhookId: 'w1',
                  event: 'TODO_DELETED',
                  replayOf: i === 5 ? made[0]!.id : undefined,
                  // Marked as sent by a check run (delivered and failed ones): summaries carry it.
                  checkRun: i % 15 === 0 ? { id: 'run-1', check: 'genuine' } : undefined,
                }
              : {
                  event: i % 2 ? 'TODO_CREATED' : 'COMMENT_CREATED',
                  verdict: { valid: i % 3 !== 0, cause: 'x', message: 'y' },
                  answer: { status: i % 3 ? 200 : 401 },
                },
          ),
        );
      }
      for (const r of made) await h.append(r);
      const expectCount = async (
        filter: Parameters<History['count']>[0],
        want: (r: DeliveryRecord) => boolean,
      ) => {
        const n = made.filter(want).length;
        assert.equal(await h.count(filter), n, JSON.stringify(filter));
        const seen: string[] = [];
        for await (const r of iterate((page) => h.query(filter!, page), 'oldest', 7))
          seen.push(r.id);
        assert.deepEqual(
          seen,
          made.filter(want).map((r) => r.id),
          `pages of ${JSON.stringify(filter)}`,
        );
        // Summaries select and page the same, and say what a full record says.
        const summaries: DeliverySummary[] = [];
        for await (const r of iterate((page) => h.summaries(filter!, page), 'newest', 11))
          summaries.push(r);
        assert.deepEqual(
          summaries,
          made.filter(want).reverse().map(summarize),
          `summaries of ${JSON.stringify(filter)}`,
        );
      };
      await expectCount({}, () => true);
      assert.ok(made.some((r) => r.checkRun && r.ok) && made.some((r) => r.checkRun && !r.ok));
      await expectCount({ direction: 'out' }, (r) => r.direction === 'out');
      await expectCount({ event: 'COMMENT_CREATED' }, (r) => r.event === 'COMMENT_CREATED');
      await expectCount({ webhookId: 'w1' }, (r) => r.webhookId === 'w1');
      await expectCount({ valid: false }, (r) =>
        r.direction === 'in' ? !r.verdict!.valid : !r.ok,
      );
      await expectCount({ status: 401 }, (r) => r.answer?.status === 401);
      await expectCount({ statusClass: 5 }, (r) => r.response?.status === 503);
      await expectCount(
        { since: Date.parse(made[100]!.time), until: Date.parse(made[150]!.time) },
        (r) => r.time >= made[100]!.time && r.time < made[150]!.time,
      );
      await expectCount({ replayOf: made[0]!.id }, (r) => r.replayOf === made[0]!.id);
      await expectCount({ checkRun: 'run-1' }, (r) => r.checkRun?.id === 'run-1');
      await expectCount({ checkRun: 'run-2' }, () => false);
      await expectCount({ search: 'comment' }, (r) => r.event === 'COMMENT_CREATED');
      await expectCount({ search: made[42]!.id }, (r) => r.id === made[42]!.id);
      await expectCount(
        { ids: [made[1]!.id, made[2]!.id] },
        (r) => r.id === made[1]!.id || r.id === made[2]!.id,
      );
      const newestFirst = await h.query({}, { order: 'newest', limit: 3 });
      assert.deepEqual(
        newestFirst.records.map((r) => r.id),
        made
          .slice(-3)
          .reverse()
          .map((r) => r.id),
      );
      assert.ok(newestFirst.next);
      const second = await h.query({}, { order: 'newest', limit: 3, after: newestFirst.next });
      assert.deepEqual(
        second.records.map((r) => r.id),
        made
          .slice(-6, -3)
          .reverse()
          .map((r) => r.id),
      );
      assert.deepEqual(
        (await newest((page) => h.query({}, page), 1200)).map((r) => r.id),
        made.map((r) => r.id),
        'newest n above one page',
      );
      await assert.rejects(h.query({}, { after: 'x; DROP TABLE' }), /invalid page cursor/);
    });

    test('relayId: kept on the record (a column of its own), and found by the relayIds filter', async (t) => {
      if (skip) return t.skip(skip);
      const relayed = [record({ relayId: 'drelayone0001' }), record({ relayId: 'drelaytwo0002' })];
      const local = record();
      await Promise.all([...relayed, local].map((r) => h.append(r)));
      assert.deepEqual(await h.get(relayed[0]!.id), JSON.parse(JSON.stringify(relayed[0])));
      assert.equal((await h.get(local.id)).relayId, undefined);
      const found = await h.query({ relayIds: ['drelaytwo0002', 'dnotthere', 'drelayone0001'] });
      assert.deepEqual(found.records.map((r) => r.id).sort(), relayed.map((r) => r.id).sort());
      assert.equal((await h.query({ relayIds: [] })).records.length, 0);
      assert.equal(await h.count({ relayIds: ['drelayone0001'] }), 1);
    });

    test('importRecords skips ids already there; remove takes exactly what it selects', async (t) => {
      if (skip) return t.skip(skip);
      await h.remove({});
      const made = Array.from({ length: 20 }, () => record());
      assert.equal(await h.importRecords(made.slice(0, 10)), 10);
      assert.equal(await h.importRecords(made), 10, 'only the new ten');
      assert.equal(await h.count(), 20);
      assert.equal(await h.remove({ ids: [made[3]!.id, made[7]!.id] }), 2);
      assert.equal(await h.count(), 18);
      await assert.rejects(h.get(made[3]!.id), /no recorded delivery/);
      assert.equal(
        await h.remove({ until: Date.parse(made[10]!.time) }),
        8,
        'the first ten but the two removed',
      );
      assert.equal(await h.count(), 10);
    });

    test('a removal while others append removes only what it was asked to', async (t) => {
      if (skip) return t.skip(skip);
      await h.remove({});
      const old = Array.from({ length: 3000 }, () => record({ time: '2020-01-01T00:00:00.000Z' }));
      await h.importRecords(old);
      let appended = 0;
      let stop = false;
      const writer = (async () => {
        while (!stop) {
          await Promise.all(Array.from({ length: 20 }, () => h.append(record())));
          appended += 20;
        }
      })();
      const removed = await h.remove({ until: Date.parse('2021-01-01T00:00:00.000Z') });
      stop = true;
      await writer;
      assert.equal(removed, 3000);
      assert.ok(appended > 0);
      assert.equal(await h.count(), appended, 'every record appended meanwhile is still there');
    });

    test('prune: by age and by record count', async (t) => {
      if (skip) return t.skip(skip);
      await h.remove({});
      const now = Date.now();
      await h.importRecords([
        ...Array.from({ length: 30 }, (_, i) =>
          record({ time: new Date(now - 40 * 86_400_000 + i).toISOString() }),
        ),
        ...Array.from({ length: 50 }, (_, i) =>
          record({ time: new Date(now - 60_000 + i).toISOString() }),
        ),
      ]);
      assert.equal(await h.prune({ maxAgeMs: 30 * 86_400_000 }), 30);
      assert.equal(await h.prune({ maxRecords: 20 }), 30);
      assert.equal(await h.count(), 20);
      assert.equal(await h.prune({ maxRecords: 20 }), 0);
    });

    test('follow yields what lands after it starts, in order, and stops on abort', async (t) => {
      if (skip) return t.skip(skip);
      await h.append(record());
      const abort = new AbortController();
      const seen: string[] = [];
      const made = Array.from({ length: 30 }, () => record({ event: 'TAG_CREATED' }));
      // Markers (records the filter takes, told apart by id) prove the follower is under way
      // before the records it must yield are appended: it has seen one land.
      const markers = new Set<string>();
      let live: () => void = () => undefined;
      const isLive = new Promise<void>((r) => (live = r));
      const following = (async () => {
        for await (const r of h.follow(
          { event: 'TAG_CREATED' },
          { signal: abort.signal, intervalMs: 20 },
        )) {
          if (markers.has(r.id)) {
            live();
            continue;
          }
          seen.push(r.id);
          if (seen.length === made.length) abort.abort();
        }
      })();
      let started = false;
      void isLive.then(() => (started = true));
      while (!started) {
        const marker = record({ event: 'TAG_CREATED' });
        markers.add(marker.id);
        await h.append(marker);
        await Promise.race([isLive, new Promise((r) => setTimeout(r, 50))]);
      }
      for (const r of made) {
        await h.append(r);
        await h.append(record({ event: 'TODO_CREATED' }));
      }
      const timer = setTimeout(() => abort.abort(), 30_000); // a guard against hanging only
      await following;
      clearTimeout(timer);
      assert.deepEqual(
        seen,
        made.map((r) => r.id),
      );
    });
  });
}

contract('SQLite', async () => {
  const dir = tempDir();
  return {
    history: new SqliteHistory(dir.path),
    close: async () => {
      closeDatabase(dir.path);
      dir.cleanup();
    },
  };
});

contract('PostgreSQL', async () => {
  const db = await postgresDatabase();
  if (db.skip !== undefined) return { skip: db.skip };
  const history = await PostgresHistory.open(db.url);
  return {
    history,
    close: async () => {
      await history.close();
      await db.drop();
    },
  };
});

test('a SQLite history written before relayId (schema 1) is migrated in place: old records kept, relayId recorded from then on', async (t) => {
  const dir = tempDir();
  t.after(() => dir.cleanup());
  const old = record();
  const first = new SqliteHistory(dir.path);
  await first.append(old);
  await first.close();
  closeDatabase(dir.path);
  // Back to what schema 1 was: no drift (2), no relay_id (3) column, no search index (4, 5).
  const raw = new Sqlite(join(dir.path, 'bluehook.db'));
  raw.exec(
    'DROP TRIGGER deliveries_search_insert; DROP TRIGGER deliveries_search_delete; DROP TRIGGER deliveries_search_update; DROP TABLE deliveries_search; DROP TABLE deliveries_unindexed; DROP INDEX deliveries_relay; ALTER TABLE deliveries DROP COLUMN relay_id; DROP INDEX deliveries_drift; ALTER TABLE deliveries DROP COLUMN drift',
  );
  raw.pragma('user_version = 1');
  raw.close();

  const reopened = new SqliteHistory(dir.path);
  t.after(() => closeDatabase(dir.path));
  assert.deepEqual(await reopened.get(old.id), JSON.parse(JSON.stringify(old)));
  const relayed = record({ relayId: 'dmigrated0001' });
  await reopened.append(relayed);
  assert.equal((await reopened.get(relayed.id)).relayId, 'dmigrated0001');
  const check = new Sqlite(join(dir.path, 'bluehook.db'), { readonly: true });
  t.after(() => check.close());
  assert.equal(check.pragma('user_version', { simple: true }), SCHEMA_VERSION);
});

test('SQLite search: rows are indexed when searched, not when inserted; removals before and after indexing, a reused seq, and the index stays whole', async (t) => {
  const dir = tempDir();
  t.after(() => dir.cleanup());
  t.after(() => closeDatabase(dir.path));
  // Only searches index here (no background indexing), so the test sees what waits.
  const h = new SqliteHistory(dir.path, undefined, null);
  const withWord = (word: string) =>
    record({}, Buffer.from(JSON.stringify({ event: 'TODO_CREATED', title: `a ${word} here` })));
  const raw = new Sqlite(join(dir.path, 'bluehook.db'), { readonly: true });
  t.after(() => raw.close());
  const waiting = () =>
    (raw.prepare('SELECT count(*) AS n FROM deliveries_unindexed').get() as { n: number }).n;
  const indexed = () =>
    (raw.prepare('SELECT count(*) AS n FROM deliveries_search_docsize').get() as { n: number }).n;
  // The index must agree with the table: FTS5's own check of an external-content index.
  const whole = () => {
    const db = new Sqlite(join(dir.path, 'bluehook.db'));
    try {
      db.exec(
        "INSERT INTO deliveries_search (deliveries_search, rank) VALUES ('integrity-check', 1)",
      );
    } finally {
      db.close();
    }
  };

  const kept = Array.from({ length: 1200 }, (_, i) => withWord(i % 2 ? 'wombat' : 'numbat'));
  for (const r of kept) await h.append(r);
  assert.equal(waiting(), 1200, 'inserted rows wait for the index');
  assert.equal(indexed(), 0);
  // Removed before they were ever indexed: nothing to take out of the index.
  assert.equal(
    await h.remove({ search: undefined, event: 'TODO_CREATED', limit: undefined } as never),
    1200,
  );
  assert.equal(waiting(), 0);
  for (const r of kept) await h.append({ ...r, id: `${r.id}b` });
  // A search indexes what waits (in chunks), then finds it.
  assert.equal(await h.count({ search: 'wombat' }), 600);
  assert.equal(waiting(), 0);
  assert.equal(indexed(), 1200);
  whole();
  // Removed after indexing: taken out of the index too.
  assert.equal(await h.remove({ search: 'numbat' }), 600);
  assert.equal(await h.count({ search: 'numbat' }), 0);
  assert.equal(indexed(), 600);
  whole();
  // The newest row removed, then a new row takes a seq that was indexed before (SQLite gives the
  // new row the largest seq left plus one): indexed as the new row, found as such.
  const last = (raw.prepare('SELECT max(seq) AS m FROM deliveries').get() as { m: number }).m;
  const newest = (
    raw.prepare('SELECT id FROM deliveries WHERE seq = ?').get(last) as { id: string }
  ).id;
  assert.equal(await h.remove({ search: newest }), 1);
  const again = withWord('quokka');
  await h.append(again);
  const reused = (
    raw.prepare('SELECT seq FROM deliveries WHERE id = ?').get(again.id) as { seq: number }
  ).seq;
  assert.ok(reused <= last, `seq ${reused} was indexed before (the largest was ${last})`);
  assert.deepEqual(
    (await h.query({ search: 'quokka' })).records.map((r) => r.id),
    [again.id],
  );
  assert.equal(await h.count({ search: 'wombat' }), 599);
  whole();
});

test('SQLite search: a recording process indexes what waits once appends pause, and not before', async (t) => {
  const dir = tempDir();
  t.after(() => dir.cleanup());
  t.after(() => closeDatabase(dir.path));
  const h = new SqliteHistory(dir.path, undefined, 200);
  const raw = new Sqlite(join(dir.path, 'bluehook.db'), { readonly: true });
  t.after(() => raw.close());
  const waiting = () =>
    (raw.prepare('SELECT count(*) AS n FROM deliveries_unindexed').get() as { n: number }).n;
  for (let i = 0; i < 1100; i++) await h.append(record());
  // Appends came faster than the pause: nothing indexed yet (checked before any pause elapsed).
  const started = performance.now();
  const before = waiting();
  if (performance.now() - started < 150) assert.ok(before > 0, `${before} waiting`);
  // Then, with no search, the backlog drains by itself (three chunks), as the process stays idle.
  const deadline = Date.now() + 30_000;
  while (waiting() > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
  assert.equal(waiting(), 0);
  assert.equal(await h.count({ search: 'TODO_CREATED' }), 1100);
  await h.close();
});
