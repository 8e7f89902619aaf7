/**
 * Hardening of the data and its secrets (issue 25, items 1–6): a history URL's password in every
 * form and every place it could be shown, another program's SQLite file, a corrupt database, a
 * hung PostgreSQL, hostile import files, and directories where the store expects files. The built
 * CLI against real files and the real PostgreSQL server.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import {
  closeSync,
  existsSync,
  mkdirSync,
  openSync,
  readdirSync,
  readFileSync,
  renameSync,
  statSync,
  writeFileSync,
  writeSync,
} from 'node:fs';
import { connect, createServer as createNetServer, type AddressInfo } from 'node:net';
import { join } from 'node:path';
import Sqlite from 'better-sqlite3';
import {
  hmac,
  jsonLines,
  post,
  postgresDatabase,
  runCli,
  spawnCli,
  startListen,
  startReady,
  tempDir,
} from './helpers.js';

const CHROMIUM = process.env.BLUEHOOK_CHROMIUM ?? '/usr/bin/chromium';

/** Resolves with everything the stream said once `pattern` appears in it. */
function waitForText(
  child: ChildProcess,
  stream: 'stdout' | 'stderr',
  pattern: RegExp,
): Promise<string> {
  return new Promise((resolve, reject) => {
    let text = '';
    const timer = setTimeout(() => reject(new Error(`no ${pattern} in: ${text}`)), 30_000);
    child[stream]!.on('data', (d) => {
      text += d;
      if (pattern.test(text)) {
        clearTimeout(timer);
        resolve(text);
      }
    });
    child.on('close', () => reject(new Error(`exited before ${pattern}: ${text}`)));
  });
}

test('a history URL password in any form is shown nowhere: config, count, listen, inspect, /api/meta, the page, errors', {
  timeout: 120_000,
}, async (t) => {
  const db = await postgresDatabase();
  if (db.skip !== undefined) return t.skip(db.skip);
  const dir = tempDir();
  t.after(async () => {
    dir.cleanup();
    await db.drop();
  });
  const env = { BLUEHOOK_HOME: dir.path };
  const SECRET = 'Pw0rdLeaks9';
  // The server trusts local logins, so every form connects: the password is carried, not checked.
  const base = new URL(db.url);
  const forms = [
    `${db.url}?password=${SECRET}`,
    `${db.url}?sslmode=disable&password=${SECRET}`,
    `${db.url}?pass%77ord=${SECRET}`,
    `postgres://${base.username}:${SECRET}@${base.host}${base.pathname}`,
    `postgres://${base.username}:${SECRET}@${base.host}${base.pathname}?sslpassword=${SECRET}2`,
  ];
  const clean = (where: string, text: string) =>
    assert.doesNotMatch(text, new RegExp(SECRET), `${where} shows the password`);

  for (const url of forms) {
    const config = await runCli(['config', '--history', url], { env });
    assert.equal(config.code, 0, config.stderr);
    clean(`config (${url})`, config.stdout + config.stderr);
    assert.match(config.stdout, /\*\*\*/);
    const configJson = await runCli(['config', '--history', url, '--json'], { env });
    clean(`config --json (${url})`, configJson.stdout + configJson.stderr);
    const count = await runCli(['deliveries', 'count', '--history', url], { env });
    assert.equal(count.code, 0, count.stderr);
    assert.match(count.stdout, /0 deliveries in postgres:\/\//);
    clean(`deliveries count (${url})`, count.stdout + count.stderr);
  }

  const url = forms[1]!;
  // A rejected value is quoted without its password too.
  const bad = await runCli(['deliveries', 'count', '--history', `mysql://u:${SECRET}@h/db`], {
    env,
  });
  assert.equal(bad.code, 2);
  clean('a rejected --history', bad.stdout + bad.stderr);
  // libpq's key=value form is refused (only URLs are taken), and quoted without its password.
  const keyValue = await runCli(
    ['deliveries', 'count', '--history', `host=h password='x ${SECRET}' dbname=d`],
    { env },
  );
  assert.equal(keyValue.code, 2);
  clean('a rejected key=value string', keyValue.stdout + keyValue.stderr);
  const badEnv = await runCli(['deliveries', 'count'], {
    env: { ...env, BLUEHOOK_HISTORY_URL: `pg://h/db?password=${SECRET}` },
  });
  assert.equal(badEnv.code, 4);
  clean('a rejected BLUEHOOK_HISTORY_URL', badEnv.stdout + badEnv.stderr);

  // The login refused (a role the server does not know): the error names the URL, masked.
  for (const refused of [
    `postgres://nosuchrole@${base.host}${base.pathname}?password=${SECRET}`,
    `postgres://nosuchrole:${SECRET}@${base.host}${base.pathname}?sslmode=disable&password=${SECRET}`,
  ]) {
    const r = await runCli(['deliveries', 'count', '--history', refused], { env });
    assert.equal(r.code, 4, r.stderr);
    assert.match(r.stderr, /refused the login/);
    clean('the authentication error', r.stdout + r.stderr);
  }

  // listen's "recording to" line.
  const listen = spawnCli(['listen', '--port', '0', '--secret', 's', '--history', url], { env });
  const said = await waitForText(listen, 'stderr', /recording to .*Ctrl-C/);
  clean('listen', said);
  assert.match(said, /password=\*\*\*/);
  listen.kill('SIGTERM');

  // inspect --json's ready line, /api/meta, the page, and its header as Chromium renders it.
  const inspect = await startReady(['inspect', '--port', '0', '--history', url], env);
  t.after(() => inspect.child.kill('SIGKILL'));
  clean('inspect --json', JSON.stringify(inspect.lines()));
  const html = await (await fetch(inspect.url)).text();
  clean('the page', html);
  const meta = await (await fetch(`${inspect.url}api/meta`)).text();
  clean('/api/meta', meta);
  assert.match(meta, /password=\*\*\*/);
  if (existsSync(CHROMIUM)) {
    const { chromium } = await import('playwright-core');
    const browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run'],
    });
    t.after(() => browser.close());
    const page = await browser.newPage();
    await page.goto(inspect.url);
    await page
      .getByText(/postgres: postgres:\/\//)
      .first()
      .waitFor();
    const shown = (await page.textContent('body')) ?? '';
    clean('the page header', shown);
    assert.match(shown, /postgres: postgres:\/\/.*password=\*\*\*/);
  }
  inspect.child.kill('SIGTERM');
  await inspect.exited;
  clean('inspect stderr', inspect.stderr());
});

const sha256 = (file: string) => createHash('sha256').update(readFileSync(file)).digest('hex');

test("another program's SQLite file in rollback-journal mode: exit 4, not one byte changed", async (t) => {
  const dir = tempDir();
  t.after(dir.cleanup);
  const file = join(dir.path, 'bluehook.db');
  const other = new Sqlite(file);
  other.pragma('journal_mode = DELETE');
  other.exec(
    "CREATE TABLE notes (id INTEGER PRIMARY KEY, text TEXT); INSERT INTO notes (text) VALUES ('mine')",
  );
  other.close();
  const before = sha256(file);
  for (const args of [
    ['list'],
    ['deliveries', 'list'],
    ['create', '--name', 'x', '--url', 'http://127.0.0.1:9/'],
  ]) {
    const r = await runCli(args, { env: { BLUEHOOK_HOME: dir.path } });
    assert.equal(r.code, 4, `${args.join(' ')}: ${r.stderr}`);
    assert.match(r.stderr, /another program.*left untouched/);
    assert.equal(sha256(file), before, `${args.join(' ')} changed the file`);
  }
  // Nor did it leave WAL files beside it.
  assert.deepEqual(readdirSync(dir.path), ['bluehook.db']);
});

test('a directory where the store expects a file: exit 4 naming it, never an internal error', async (t) => {
  for (const entry of [
    'deliveries.ndjson',
    'webhooks.json',
    'secrets.json',
    'bluehook.db',
    'bluehook.db-wal',
    'bluehook.db-shm',
  ]) {
    const dir = tempDir();
    t.after(dir.cleanup);
    mkdirSync(join(dir.path, entry));
    // The old delivery log matters only to the history: `list` (webhooks) does not read it.
    const commands =
      entry === 'deliveries.ndjson' ? [['deliveries', 'list']] : [['deliveries', 'list'], ['list']];
    for (const args of commands) {
      const r = await runCli(args, { env: { BLUEHOOK_HOME: dir.path } });
      assert.equal(r.code, 4, `${entry}, ${args.join(' ')}: ${r.stderr}`);
      assert.ok(r.stderr.includes(`${join(dir.path, entry)} is a directory`), r.stderr);
      assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
    }
  }
  const dir = tempDir();
  t.after(dir.cleanup);
  mkdirSync(join(dir.path, 'cfg.json'));
  const r = await runCli(['--config', join(dir.path, 'cfg.json'), 'list'], {
    env: { BLUEHOOK_HOME: dir.path },
  });
  assert.equal(r.code, 4, r.stderr);
  assert.match(r.stderr, /cfg\.json is a directory/);
});

test('deliveries import: each bad record named by its line and skipped, the valid ones of the batch kept, never an internal error', async (t) => {
  const dir = tempDir();
  t.after(dir.cleanup);
  const env = { BLUEHOOK_HOME: dir.path };
  const received = (id: string) => ({
    id,
    direction: 'in',
    time: '2026-01-02T03:04:05.000Z',
    event: 'TODO_CREATED',
    webhookId: null,
    url: '/hooks',
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-signature': 'ab' },
    body: '{"event":"TODO_CREATED"}',
    bodyEncoding: 'utf8',
    remoteAddress: '127.0.0.1',
    verdict: { valid: true, cause: 'ok', message: 'valid', webhookId: null },
    answer: { status: 200 },
  });
  const sent = (id: string) => ({
    id,
    direction: 'out',
    time: '2026-01-02T03:04:06.000Z',
    event: 'TODO_MOVED',
    webhookId: 'w1',
    url: 'http://127.0.0.1:9/',
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: Buffer.from([0xff, 0xfe, 0x00]).toString('base64'),
    bodyEncoding: 'base64',
    attempts: [{ attempt: 1, status: 200, durationMs: 3 }],
    response: { status: 200, headers: {}, body: 'ok' },
    ok: true,
  });
  const deep = (n: number) => `${'['.repeat(n)}${']'.repeat(n)}`;
  const lines = [
    // 1: a valid record behind a byte-order mark
    `\uFEFF${JSON.stringify(received('dgood1'))}`,
    JSON.stringify({ ...sent('dbad2'), attempts: { attempt: 1, durationMs: 3 } }),
    JSON.stringify({ ...received('dbad3'), event: { name: 'TODO_CREATED' } }),
    JSON.stringify({ ...received('dbad4'), webhookId: ['w1'] }),
    JSON.stringify(sent('dgood5')),
    JSON.stringify(received('dbad6')).replace('"answer"', `"nest":${deep(100_000)},"answer"`),
    JSON.stringify(received('dbad7')).replace(
      '"x-signature":"ab"',
      `"x-signature":${deep(100_000)}`,
    ),
    JSON.stringify({ ...received('dbad8'), bodyEncoding: 'base64', body: 'not base64!' }),
    JSON.stringify({ ...received('dbad9'), bodyEncoding: 'latin1' }),
    JSON.stringify({ ...sent('dbad10'), attempts: [{ attempt: '1', durationMs: 3 }] }),
    JSON.stringify({ ...received('dbad11'), time: 'yesterday' }),
    '{"id":"dtorn12","direction":"in"',
    JSON.stringify(received('dgood13')),
  ];
  const file = join(dir.path, 'hostile.ndjson');
  writeFileSync(file, `${lines.join('\n')}\n`);
  const r = await runCli(['deliveries', 'import', file], { env });
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /imported 3 deliveries .*10 unreadable lines skipped/);
  for (const [line, reason] of [
    [2, /attempts must be an array/],
    [3, /event must be a string/],
    [4, /webhookId must be a string/],
    [6, /nest nests deeper than 32 levels/],
    [7, /headers must be an object of strings/],
    [8, /body is marked base64 but is not base64/],
    [9, /bodyEncoding must be "utf8" or "base64"/],
    [10, /attempts must be an array/],
    [11, /time must be an ISO time/],
    [12, /not JSON/],
  ] as const)
    assert.match(r.stderr, new RegExp(`line ${line} skipped: ${reason.source}`), r.stderr);
  const json = await runCli(['deliveries', 'import', file, '--json'], { env });
  assert.equal(json.code, 0, json.stderr);
  const stats = JSON.parse(json.stdout);
  assert.deepEqual([stats.read, stats.added, stats.skipped, stats.problems.length], [3, 0, 10, 10]);
  // What was imported reads back whole: show, every export format, list.
  for (const id of ['dgood1', 'dgood5', 'dgood13']) {
    const show = await runCli(['deliveries', 'show', id], { env });
    assert.equal(show.code, 0, show.stderr);
    for (const format of ['json', 'har', 'curl']) {
      const to = id === 'dgood5' ? [] : ['--to', 'http://127.0.0.1:9/'];
      const ex = await runCli(['deliveries', 'export', id, '--format', format, ...to], { env });
      assert.equal(ex.code, 0, `${id} ${format}: ${ex.stderr}`);
    }
  }
  const list = await runCli(['deliveries', 'list', '--json'], { env });
  assert.deepEqual(
    jsonLines(list.stdout)
      .map((d: { id: string }) => d.id)
      .sort(),
    ['dgood1', 'dgood13', 'dgood5'],
  );
});

/** A store of `n` recorded deliveries (2 KB bodies, so they span many pages) and one webhook. */
async function storeWithDeliveries(dir: string, n: number): Promise<void> {
  const lines: string[] = [];
  for (let i = 0; i < n; i++)
    lines.push(
      JSON.stringify({
        id: `d${String(i).padStart(6, '0')}`,
        direction: 'in',
        time: new Date(Date.UTC(2026, 0, 1) + i * 1000).toISOString(),
        event: i % 2 ? 'TODO_CREATED' : 'TODO_MOVED',
        url: '/',
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ n: i, pad: 'x'.repeat(2000) }),
        bodyEncoding: 'utf8',
        verdict: { valid: true, cause: 'ok', message: 'valid' },
        answer: { status: 200 },
      }),
    );
  const file = join(dir, 'seed.ndjson');
  writeFileSync(file, `${lines.join('\n')}\n`);
  const env = { BLUEHOOK_HOME: dir };
  assert.equal((await runCli(['deliveries', 'import', file], { env })).code, 0);
  const created = await runCli(['create', '--name', 'kept', '--url', 'http://127.0.0.1:9/'], {
    env,
  });
  assert.equal(created.code, 0, created.stderr);
}

/** Overwrites 4 KiB in the middle of `file` with bytes of a seeded xorshift (the same every run). */
function corruptMiddle(file: string, seed = 12345): void {
  let x = seed;
  const bytes = Buffer.alloc(4096);
  for (let i = 0; i < bytes.length; i++) {
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    bytes[i] = x & 255;
  }
  const size = statSync(file).size;
  const fd = openSync(file, 'r+');
  // Not page-aligned: the damage straddles two pages.
  writeSync(fd, bytes, 0, bytes.length, Math.floor(size / 2 / 4096) * 4096 + 1000);
  closeSync(fd);
}

test('a database corrupted in the middle: reads say "is corrupt" (exit 4), listen never acknowledges into it, the file is never written', {
  timeout: 120_000,
}, async (t) => {
  const dir = tempDir();
  t.after(dir.cleanup);
  const env = { BLUEHOOK_HOME: dir.path };
  await storeWithDeliveries(dir.path, 3000);
  const file = join(dir.path, 'bluehook.db');
  corruptMiddle(file);
  const before = sha256(file);

  const exported = await runCli(['deliveries', 'export', '--format', 'ndjson'], { env });
  assert.equal(exported.code, 4, exported.stderr);
  assert.match(exported.stderr, /database .*bluehook\.db is corrupt \(.*\).*bluehook doctor/);
  assert.ok(exported.stdout.split('\n').length < 3000, 'the export did not meet the damage');

  // listen checks the whole file before acknowledging anything. A small file's verdict comes
  // before it is ready (it exits 4 without listening); a big one's while deliveries arrive, which
  // get a 5xx or no answer, never a 2xx, and then it stops with exit 4. Either way: no 2xx.
  const listen = spawnCli(['listen', '--port', '0', '--secret', 's', '--json'], { env });
  let err = '';
  let out = '';
  listen.stderr!.on('data', (d) => (err += d));
  listen.stdout!.on('data', (d) => (out += d));
  const exited = new Promise<number | null>((r) => listen.on('close', (code) => r(code)));
  const ready = await Promise.race([
    waitForText(listen, 'stdout', /"type":"ready"/).catch(() => undefined),
    exited.then(() => undefined),
  ]);
  const url = ready ? /"url":"([^"]+)"/.exec(ready)![1]! : undefined;
  const statuses: Array<number | string> = [];
  let stop = !url;
  void exited.then(() => (stop = true));
  while (!stop && url) {
    const body = JSON.stringify({ event: 'TODO_CREATED', n: statuses.length });
    statuses.push(
      await post(url, body, { 'x-signature': hmac('s', body) }).then(
        (r) => r.status,
        (e: Error) => e.message,
      ),
    );
  }
  assert.equal(await exited, 4, err);
  assert.match(err, /"code":"database-corrupt"/);
  if (!url) assert.doesNotMatch(out, /"type":"ready"/, 'said ready, then exited before listening');
  assert.ok(
    statuses.every((s) => typeof s !== 'number' || s >= 500),
    `acknowledged into a corrupt database: ${statuses.join(', ')}`,
  );
  assert.equal(sha256(file), before, 'listen wrote into the corrupt database');

  // A header SQLite cannot use (page size 3): SQLITE_NOTADB, named the same way.
  const notadb = tempDir();
  t.after(notadb.cleanup);
  await storeWithDeliveries(notadb.path, 10);
  const header = join(notadb.path, 'bluehook.db');
  const fd = openSync(header, 'r+');
  writeSync(fd, Buffer.from([0, 3]), 0, 2, 16);
  closeSync(fd);
  const notadbHash = sha256(header);
  for (const args of [['list'], ['deliveries', 'list'], ['doctor']]) {
    const r = await runCli(args, { env: { BLUEHOOK_HOME: notadb.path } });
    assert.equal(r.code, args[0] === 'doctor' ? 1 : 4, `${args.join(' ')}: ${r.stderr}`);
    assert.match(r.stdout + r.stderr, /is corrupt/);
  }
  assert.equal(sha256(header), notadbHash);
});

test('bluehook doctor: exit 0 on a healthy store, 1 with a summary on a corrupt one; --recover-to copies what is readable and leaves the old file alone', {
  timeout: 120_000,
}, async (t) => {
  const dir = tempDir();
  t.after(dir.cleanup);
  const env = { BLUEHOOK_HOME: dir.path };
  const none = await runCli(['doctor'], { env });
  assert.equal(none.code, 0, none.stderr);
  assert.match(none.stdout, /nothing to check/);
  await storeWithDeliveries(dir.path, 3000);
  const healthy = await runCli(['doctor'], { env });
  assert.equal(healthy.code, 0, healthy.stderr);
  assert.match(healthy.stdout, /bluehook\.db: ok/);
  assert.equal((await runCli(['doctor', '--full'], { env })).code, 0);
  // The SQLite store only: a PostgreSQL history (here one nobody answers at) is not contacted.
  const withPostgres = await runCli(['doctor', '--history', 'postgres://u@127.0.0.1:1/x'], { env });
  assert.equal(withPostgres.code, 0, withPostgres.stderr);

  const file = join(dir.path, 'bluehook.db');
  corruptMiddle(file);
  const before = sha256(file);
  const sick = await runCli(['doctor'], { env });
  assert.equal(sick.code, 1, sick.stderr);
  assert.match(sick.stdout, /bluehook\.db is corrupt: SQLite's quick_check found \d+ problem/);
  // One problem a line, as SQLite words it: not its "*** in database main ***" heading glued to
  // the first problem by a newline shown escaped (a literal \n).
  assert.doesNotMatch(sick.stdout, /\\n|\*\*\* in database/);
  assert.match(sick.stdout.split('\n')[1] ?? '', /^ {2}\S/);
  assert.match(sick.stderr, /--recover-to/);
  const alias = await runCli(['deliveries', 'check', '--json'], { env });
  assert.equal(alias.code, 1, alias.stderr);
  const report = JSON.parse(alias.stdout);
  assert.equal(report.ok, false);
  assert.ok(report.problems.length > 0);
  for (const p of report.problems) assert.doesNotMatch(p, /\n|^\*\*\* in database/);

  const copy = join(dir.path, 'recovered.db');
  const recovered = await runCli(['doctor', '--recover-to', copy, '--json'], { env });
  assert.equal(recovered.code, 0, recovered.stderr);
  const tables = Object.fromEntries(
    (
      JSON.parse(recovered.stdout).recovery.tables as Array<{
        table: string;
        copied: number;
        listed: number;
      }>
    ).map((x) => [x.table, x]),
  );
  assert.equal(tables.webhooks!.copied, 1);
  // 4 KiB of damage costs the rows of the pages it hit, not the rest.
  const deliveries = tables.deliveries!;
  t.diagnostic(`recovered ${deliveries.copied} of ${deliveries.listed} deliveries`);
  assert.ok(deliveries.copied >= 2900 && deliveries.copied < 3000, JSON.stringify(deliveries));
  assert.equal(deliveries.listed, 3000);
  assert.equal(sha256(file), before, 'the old database was written');
  assert.equal(statSync(copy).mode & 0o777, 0o600, 'the copy holds secrets: 0600');
  // Refuses to overwrite a file.
  const again = await runCli(['doctor', '--recover-to', copy], { env });
  assert.equal(again.code, 2);

  // The copy is a healthy bluehook store: the rows it kept are whole.
  const fresh = tempDir();
  t.after(fresh.cleanup);
  renameSync(copy, join(fresh.path, 'bluehook.db'));
  const freshEnv = { BLUEHOOK_HOME: fresh.path };
  assert.equal((await runCli(['doctor'], { env: freshEnv })).code, 0);
  const list = await runCli(['list', '--json'], { env: freshEnv });
  assert.equal(JSON.parse(list.stdout)[0].name, 'kept');
  const count = await runCli(['deliveries', 'count', '--json'], { env: freshEnv });
  assert.equal(count.code, 0, count.stderr);
  assert.match(count.stdout, new RegExp(String(deliveries.copied)));
  const shown = await runCli(['deliveries', 'show', 'd000000', '--json'], { env: freshEnv });
  assert.equal(JSON.parse(shown.stdout).body, JSON.stringify({ n: 0, pad: 'x'.repeat(2000) }));
});

/**
 * A TCP proxy in front of PostgreSQL that can freeze: while frozen it reads nothing from either
 * side, as a server stopped with SIGSTOP would (the bytes wait in the kernel's buffers).
 */
async function freezingProxy(target: URL) {
  const sockets: Array<import('node:net').Socket> = [];
  let frozen = false;
  let holdAfterCommit = false;
  const server = createNetServer((downstream) => {
    const upstream = connect(Number(target.port || 5432), target.hostname);
    for (const s of [downstream, upstream]) {
      sockets.push(s);
      s.on('error', () => undefined);
      if (frozen) s.pause();
    }
    downstream.on('data', (chunk: Buffer) => {
      upstream.write(chunk);
      // The server gets the COMMIT and commits; its answer is what stalls.
      if (holdAfterCommit && chunk.includes('COMMIT\0')) {
        holdAfterCommit = false;
        frozen = true;
        upstream.pause();
      }
    });
    upstream.pipe(downstream);
    downstream.on('close', () => upstream.destroy());
    upstream.on('close', () => downstream.destroy());
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const url = new URL(target);
  url.host = `127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    url: url.toString(),
    freeze: () => {
      frozen = true;
      for (const s of sockets) s.pause();
    },
    /** Lets the next COMMIT through to the server, then freezes before its answer comes back. */
    freezeAfterNextCommit: () => {
      holdAfterCommit = true;
    },
    thaw: () => {
      frozen = false;
      for (const s of sockets) s.resume();
    },
    close: () => {
      for (const s of sockets) s.destroy();
      server.close();
    },
  };
}

test('a hung PostgreSQL (frozen connection, or a table lock): the delivery is answered 500 at the commit deadline, never recorded late', {
  timeout: 120_000,
}, async (t) => {
  const db = await postgresDatabase();
  if (db.skip !== undefined) return t.skip(db.skip);
  const dir = tempDir();
  const pg = (await import('pg')).default;
  const admin = new pg.Client({ connectionString: db.url });
  await admin.connect();
  const proxy = await freezingProxy(new URL(db.url));
  t.after(async () => {
    proxy.close();
    await admin.end().catch(() => undefined);
    dir.cleanup();
    await db.drop();
  });
  const env = { BLUEHOOK_HOME: dir.path };
  const listen = await startListen(
    ['--secret', 's', '--history', proxy.url, '--commit-timeout', '1s'],
    env,
  );
  t.after(() => listen.child.kill('SIGKILL'));
  const deliver = (n: number) => {
    const body = JSON.stringify({ event: 'TODO_CREATED', n });
    return post(listen.url, body, { 'x-signature': hmac('s', body) });
  };
  const recorded = async () =>
    (
      await admin.query(
        "SELECT detail::jsonb->'answer'->>'status' AS answered, detail::jsonb->>'lateCommit' AS late, convert_from(body, 'UTF8') AS body FROM bluehook_deliveries ORDER BY seq",
      )
    ).rows as Array<{ answered: string; late: string | null; body: string }>;
  assert.equal((await deliver(1)).status, 200);

  // Frozen: no answer from the server at all.
  proxy.freeze();
  const frozen = await deliver(2);
  assert.equal(frozen.status, 500);
  assert.match(frozen.text, /not recorded/);
  proxy.thaw();
  // The abandoned transaction's connection was closed before its COMMIT: it rolled back.
  assert.equal((await deliver(3)).status, 200);

  // A lock held by another session: the server cancels the insert at the deadline.
  await admin.query('BEGIN');
  await admin.query('LOCK TABLE bluehook_deliveries IN ACCESS EXCLUSIVE MODE');
  const locked = await deliver(4);
  assert.equal(locked.status, 500);
  await admin.query('ROLLBACK');
  assert.equal((await deliver(5)).status, 200);

  // The server commits, but its answer does not come back in time: answered 500; the record that
  // landed is marked lateCommit (answered 500) once the server answers again.
  proxy.freezeAfterNextCommit();
  assert.equal((await deliver(6)).status, 500);
  proxy.thaw();
  assert.equal((await deliver(7)).status, 200);

  const rows = await recorded();
  assert.deepEqual(
    rows.map((r) => [JSON.parse(r.body).n, r.answered, r.late]),
    [
      [1, '200', null],
      [3, '200', null],
      [5, '200', null],
      [6, '500', 'true'],
      [7, '200', null],
    ],
    'a delivery answered 500 was recorded as a success',
  );
  const errors = listen
    .lines()
    .filter((l) => l.type === 'error')
    .map((l) => String(l.message));
  assert.equal(errors.length, 3, errors.join('\n'));
  assert.match(errors[2]!, /the commit was sent and may still land/);
  assert.match(errors[0]!, /did not commit within 1 s/);
  assert.match(
    errors[1]!,
    /did not commit within 1 s|cancelled the statement: it ran past the statement timeout/,
  );
  for (const e of errors) assert.doesNotMatch(e, /cannot reach/);
  // The list shows it answered 500, and deliveries show marks it.
  const list = await runCli(['deliveries', 'list', '--json', '--history', db.url], { env });
  const answered500 = jsonLines(list.stdout).filter((d: { status: number }) => d.status === 500);
  assert.equal(answered500.length, 1, list.stdout);
  const shown = await runCli(
    ['deliveries', 'show', answered500[0].id, '--json', '--history', db.url],
    {
      env,
    },
  );
  assert.equal(JSON.parse(shown.stdout).lateCommit, true, shown.stdout);
});

test('PostgreSQL errors say what happened: a statement timeout is not "cannot reach"; sslmode=require against a server without SSL is one line', {
  timeout: 60_000,
}, async (t) => {
  const db = await postgresDatabase();
  if (db.skip !== undefined) return t.skip(db.skip);
  const dir = tempDir();
  const env = { BLUEHOOK_HOME: dir.path };
  const pg = (await import('pg')).default;
  const admin = new pg.Client({ connectionString: db.url });
  await admin.connect();
  t.after(async () => {
    await admin.end().catch(() => undefined);
    dir.cleanup();
    await db.drop();
  });
  assert.equal((await runCli(['deliveries', 'count', '--history', db.url], { env })).code, 0);
  await admin.query('BEGIN');
  await admin.query('LOCK TABLE bluehook_deliveries IN ACCESS EXCLUSIVE MODE');
  // The server's own statement timeout (libpq's options parameter), 200 ms.
  const slow = await runCli(
    ['deliveries', 'count', '--history', `${db.url}?options=-c%20statement_timeout%3D200`],
    { env },
  );
  await admin.query('ROLLBACK');
  assert.equal(slow.code, 4, slow.stderr);
  assert.match(slow.stderr, /cancelled the statement: it ran past the statement timeout/);
  assert.doesNotMatch(slow.stderr, /cannot reach/);

  const ssl = await runCli(['deliveries', 'count', '--history', `${db.url}?sslmode=require`], {
    env,
  });
  const sslProbe = ssl.stderr.trim().split('\n');
  // This server does not speak SSL (the test server): one line naming that, no Node warning.
  if (/does not accept SSL/.test(ssl.stderr)) {
    assert.equal(ssl.code, 4);
    assert.equal(sslProbe.length, 1, ssl.stderr);
  } else {
    assert.doesNotMatch(ssl.stderr, /SECURITY WARNING/);
  }
});

test('deliveries import into PostgreSQL: a record PostgreSQL could not store (a NUL in a column) is named and skipped, not the batch', async (t) => {
  const db = await postgresDatabase();
  if (db.skip !== undefined) return t.skip(db.skip);
  const dir = tempDir();
  t.after(async () => {
    dir.cleanup();
    await db.drop();
  });
  const record = (id: string, event: string) => ({
    id,
    direction: 'in',
    time: '2026-01-02T03:04:05.000Z',
    event,
    url: '/',
    method: 'POST',
    headers: {},
    body: '{}',
    bodyEncoding: 'utf8',
  });
  const file = join(dir.path, 'nul.ndjson');
  writeFileSync(
    file,
    [
      record('dpg1', 'TODO_CREATED'),
      record('dpg2', 'TODO\u0000CREATED'),
      record('dpg3', 'TODO_MOVED'),
    ]
      .map((r) => JSON.stringify(r))
      .join('\n'),
  );
  const r = await runCli(['deliveries', 'import', file, '--history', db.url], {
    env: { BLUEHOOK_HOME: dir.path },
  });
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /imported 2 deliveries/);
  assert.match(r.stderr, /line 2 skipped: event must be a string or null without NUL characters/);
});
