/**
 * A team's shared catch server: two `listen` processes (two hosts behind a balancer) record into
 * one PostgreSQL database while a third process lists both. Against a real server; each run
 * creates its own database and drops it.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { PG_SCHEMA_VERSION } from '../src/history/postgres.js';
import {
  deadPort,
  hmac,
  jsonLines,
  tempDir,
  post,
  POSTGRES_URL,
  postgresDatabase,
  runCli,
  spawnCli,
  startListen,
  watchLines,
} from './helpers.js';

test('two listeners on one PostgreSQL history, a third process follows and lists both; nothing lost', async (t) => {
  const db = await postgresDatabase();
  if (db.skip !== undefined) return t.skip(db.skip);
  const a = tempDir();
  const b = tempDir();
  try {
    // Two machines: their own store directories, one history.
    const envA = { BLUEHOOK_HOME: a.path, BLUEHOOK_HISTORY_URL: db.url };
    const envB = { BLUEHOOK_HOME: b.path };
    const [one, two] = await Promise.all([
      startListen(['--secret', 's'], envA),
      startListen(['--secret', 's', '--history', db.url], envB),
    ]);
    const follower = spawnCli(['deliveries', 'list', '--follow', '--json', '--history', db.url], {
      env: envB,
    });
    let followed = '';
    follower.stdout!.on('data', (d) => (followed += d));
    // It says when it is following: from then on nothing that lands can be missed.
    const followerErr = watchLines(follower.stderr!);
    await followerErr.waitFor(/following new deliveries/, { timeout: 30_000 });
    assert.match(followerErr.text(), /following new deliveries/);
    const acked: string[] = [];
    await Promise.all(
      Array.from({ length: 400 }, async (_, i) => {
        const body = JSON.stringify({ event: i % 2 ? 'TODO_CREATED' : 'TODO_MOVED', n: i });
        const r = await post(i % 2 ? one.url : two.url, body, {
          'x-signature': hmac(i % 3 ? 's' : 'wrong', body),
        });
        if (r.status === 200 || r.status === 401) acked.push(body);
      }),
    );
    assert.equal(acked.length, 400);
    const listed = await runCli(['deliveries', 'list', '--json'], { env: envA });
    assert.equal(listed.code, 0, listed.stderr);
    const rows = jsonLines(listed.stdout);
    assert.equal(rows.length, 400, 'both listeners recorded every delivery into one history');
    assert.equal(
      rows.filter((r) => r.valid === false).length,
      Array.from({ length: 400 }, (_, i) => i).filter((i) => i % 3 === 0).length,
    );
    assert.equal(
      jsonLines(
        (
          await runCli(['deliveries', 'list', '--json', '--event', 'TODO_MOVED', '--invalid'], {
            env: envA,
          })
        ).stdout,
      ).length,
      67,
    );
    const shown = JSON.parse(
      (await runCli(['deliveries', 'show', rows[10].id, '--json'], { env: envA })).stdout,
    );
    assert.ok(acked.includes(shown.body), 'bodies byte-exact');
    const count = await runCli(['deliveries', 'count', '--json'], { env: envA });
    assert.equal(JSON.parse(count.stdout).engine, 'postgres');
    // The follower saw every one of them land, each once.
    if (jsonLines(followed).length < 400)
      await new Promise<void>((resolvePromise) => {
        const timer = setTimeout(resolvePromise, 30_000); // the assertions below then say what was missing
        follower.stdout!.on('data', () => {
          if (jsonLines(followed).length < 400) return;
          clearTimeout(timer);
          resolvePromise();
        });
      });
    follower.kill('SIGINT');
    assert.equal(new Set(jsonLines(followed).map((r) => r.id)).size, 400);
    assert.equal(jsonLines(followed).length, 400);
    one.child.kill('SIGINT');
    two.child.kill('SIGINT');
    assert.deepEqual([await one.exited, await two.exited], [130, 130]);
    // The same commands remove from the shared history.
    const rm = await runCli(['deliveries', 'rm', rows[0].id, rows[1].id], { env: envA });
    assert.match(rm.stdout, /removed 2 deliveries/);
    assert.equal(
      jsonLines((await runCli(['deliveries', 'list', '--json'], { env: envA })).stdout).length,
      398,
    );
  } finally {
    await db.drop();
    a.cleanup();
    b.cleanup();
  }
});

test('PostgreSQL errors are one line, exit 4, and never show the password', async (t) => {
  const db = await postgresDatabase();
  if (db.skip !== undefined) return t.skip(db.skip);
  const dir = tempDir();
  try {
    const env = { BLUEHOOK_HOME: dir.path };
    const base = new URL(POSTGRES_URL);
    const withPassword = (over: { port?: string; pathname?: string; username?: string }) => {
      const u = new URL(base.toString());
      u.password = 'hunter2-secret';
      if (over.port) u.port = over.port;
      if (over.pathname) u.pathname = over.pathname;
      if (over.username) u.username = over.username;
      return u.toString();
    };
    const cases: Array<[string, RegExp]> = [
      [
        withPassword({ port: String(await deadPort()) }),
        /cannot reach PostgreSQL at postgres:\/\/postgres:\*\*\*@127\.0\.0\.1:\d+\/\w+: connection refused/,
      ],
      [
        withPassword({ pathname: '/bluehook_no_such_database' }),
        /database "bluehook_no_such_database" does not exist .*createdb bluehook_no_such_database/,
      ],
      [
        withPassword({ username: 'bluehook_no_such_role' }),
        /PostgreSQL refused the login|role "bluehook_no_such_role" does not exist/,
      ],
    ];
    for (const [url, message] of cases) {
      for (const args of [
        ['deliveries', 'list'],
        ['listen', '--port', '0', '--secret', 's'],
      ]) {
        const r = await runCli([...args, '--history', url], { env, timeoutMs: 30_000 });
        assert.equal(r.code, 4, `${args.join(' ')} ${r.stderr}`);
        assert.match(r.stderr, message);
        assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
        assert.doesNotMatch(r.stdout + r.stderr, /hunter2/);
      }
    }
    const bad = await runCli(['deliveries', 'list', '--history', 'mysql://x'], { env });
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /--history must be "sqlite" or a postgres:\/\//);
    const config = await runCli(['config', '--json', '--history', withPassword({})], { env });
    assert.doesNotMatch(config.stdout, /hunter2/);
    assert.match(JSON.parse(config.stdout).values.history, /postgres:\/\/postgres:\*\*\*@/);
  } finally {
    await db.drop();
    dir.cleanup();
  }
});

test('PostgreSQL: a history written by a newer bluehook is refused; a database gone mid-run gets 5xx, never 2xx', async (t) => {
  const db = await postgresDatabase();
  if (db.skip !== undefined) return t.skip(db.skip);
  const dir = tempDir();
  const env = { BLUEHOOK_HOME: dir.path, BLUEHOOK_HISTORY_URL: db.url };
  try {
    assert.equal((await runCli(['deliveries', 'count'], { env })).code, 0, 'creates the schema');
    const pg = (await import('pg')).default;
    const client = new pg.Client({ connectionString: db.url });
    await client.connect();
    await client.query("UPDATE bluehook_meta SET value = '99' WHERE key = 'schema_version'");
    const newer = await runCli(['deliveries', 'list'], { env });
    assert.equal(newer.code, 4);
    assert.match(newer.stderr, /written by a newer bluehook \(schema 99/);
    await client.query("UPDATE bluehook_meta SET value = $1 WHERE key = 'schema_version'", [
      String(PG_SCHEMA_VERSION),
    ]);
    await client.end();

    const listen = await startListen(['--secret', 's'], env);
    const body = JSON.stringify({ event: 'TODO_CREATED' });
    assert.equal((await post(listen.url, body, { 'x-signature': hmac('s', body) })).status, 200);
    await db.drop(); // the database disappears under the listener
    const after = await Promise.all(
      Array.from({ length: 5 }, () => post(listen.url, body, { 'x-signature': hmac('s', body) })),
    );
    assert.ok(
      after.every((a) => a.status >= 500),
      `never acknowledged: ${after.map((a) => a.status).join(',')}`,
    );
    listen.child.kill('SIGINT');
    await listen.exited;
    assert.ok(
      listen.lines().some((l) => l.type === 'error' && /not recorded/.test(String(l.message))),
      'and it said so',
    );
    assert.doesNotMatch(listen.stderr(), /hunter2|\n\s+at /);
  } finally {
    await db.drop().catch(() => undefined);
    dir.cleanup();
  }
});
