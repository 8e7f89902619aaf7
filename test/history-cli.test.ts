/**
 * The history and the store as a user meets them, through the built CLI: the import of an old
 * store written by the previous bluehook, removals racing a live listener, 60 concurrent writers
 * under CPU load, and a full disk.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import {
  cpSync,
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { cpus } from 'node:os';
import { join } from 'node:path';
import Sqlite from 'better-sqlite3';
import {
  historyRecords,
  hmac,
  jsonLines,
  tempDir,
  post,
  REFERENCE,
  runCli,
  startListen,
  storedWebhooks,
} from './helpers.js';

test('an old store (webhooks.json, secrets.json, deliveries.ndjson with a torn line) is imported once, then set aside', async () => {
  const dir = tempDir();
  const env = { BLUEHOOK_HOME: dir.path };
  try {
    // Written by bluehook before the database (commit f7bbb56), then cut mid-record as kill -9 would.
    cpSync(join(REFERENCE, 'legacy-store'), dir.path, { recursive: true });
    const oldLog = readFileSync(join(dir.path, 'deliveries.ndjson'), 'utf8');
    const oldRecords = oldLog
      .split('\n')
      .slice(0, 6)
      .map((l) => JSON.parse(l));
    const oldStore = JSON.parse(readFileSync(join(dir.path, 'webhooks.json'), 'utf8'));

    const first = await runCli(['deliveries', 'list', '--json'], { env });
    assert.equal(first.code, 0, first.stderr);
    assert.match(
      first.stderr,
      /imported 2 webhooks from .*webhooks\.json into the database; the file is kept as .*webhooks\.json\.imported/,
    );
    assert.match(first.stderr, /imported 1 kept secret from .*secrets\.json/);
    assert.match(
      first.stderr,
      /imported 6 recorded deliveries from .*deliveries\.ndjson into .*bluehook\.db \(1 unreadable line skipped\); the file is kept as .*deliveries\.ndjson\.imported/,
    );
    assert.deepEqual(
      jsonLines(first.stdout).map((r) => r.id),
      oldRecords.map((r) => r.id),
    );
    for (const name of ['webhooks.json', 'secrets.json', 'deliveries.ndjson']) {
      assert.equal(existsSync(join(dir.path, name)), false, `${name} set aside`);
      assert.ok(existsSync(join(dir.path, `${name}.imported`)), `${name}.imported kept`);
    }
    assert.equal(
      readFileSync(join(dir.path, 'deliveries.ndjson.imported'), 'utf8'),
      oldLog,
      'never rewritten',
    );
    // Each record exactly as the old log held it.
    const imported = historyRecords(dir.path);
    assert.deepEqual(imported, oldRecords);
    const shown = JSON.parse(
      (await runCli(['deliveries', 'show', oldRecords[2].id, '--json'], { env })).stdout,
    );
    assert.deepEqual(shown, oldRecords[2]);
    // Webhooks with their secrets, so listen --webhook still verifies what the old store signed.
    assert.deepEqual(
      storedWebhooks(dir.path).map((w) => w.name),
      oldStore.webhooks.map((w: { name: string }) => w.name),
    );
    const revealed = JSON.parse(
      (await runCli(['show', 'orders', '--reveal-secret', '--json'], { env })).stdout,
    );
    assert.equal(revealed.secret, 'whsec_legacyfixturesecret0000000000000');
    const db = new Sqlite(join(dir.path, 'bluehook.db'), { readonly: true });
    assert.deepEqual(db.prepare('SELECT webhook_id, secret FROM kept_secrets').all(), [
      { webhook_id: 'cblueid00000000000000000a', secret: 'whsec_keptsecretfromblue000000000000' },
    ]);
    db.close();

    // Once: a second run imports nothing and says nothing, even if an old file reappears.
    cpSync(join(REFERENCE, 'legacy-store', 'webhooks.json'), join(dir.path, 'webhooks.json'));
    const second = await runCli(['list', '--json'], { env });
    assert.equal(second.code, 0);
    assert.doesNotMatch(second.stderr, /imported/);
    assert.equal(JSON.parse(second.stdout).length, 2);
    assert.equal(
      existsSync(join(dir.path, 'webhooks.json')),
      true,
      'left where it is once imported',
    );

    // The portable form round-trips: export, import into a fresh store, same records.
    const out = join(dir.path, 'all.ndjson');
    assert.equal(
      (await runCli(['deliveries', 'export', '--format', 'ndjson', '-o', out], { env })).code,
      0,
    );
    const other = tempDir();
    try {
      const imp = await runCli(['deliveries', 'import', out, '--json'], {
        env: { BLUEHOOK_HOME: other.path },
      });
      assert.deepEqual(JSON.parse(imp.stdout), {
        file: out,
        read: 6,
        added: 6,
        skipped: 0,
        drift: 0,
        duplicates: 0,
        problems: [],
      });
      const again = await runCli(['deliveries', 'import', out], {
        env: { BLUEHOOK_HOME: other.path },
      });
      assert.match(again.stdout, /imported 0 deliveries .*; 6 already recorded/);
      assert.deepEqual(historyRecords(other.path), oldRecords);
    } finally {
      other.cleanup();
    }
  } finally {
    dir.cleanup();
  }
});

test('deliveries rm and clear during a live listen and send remove exactly what they were asked to', async () => {
  const dir = tempDir();
  const env = { BLUEHOOK_HOME: dir.path };
  try {
    // 200 old records to clear, then a steady stream into a listener while rm and clear run.
    const old = Array.from({ length: 200 }, (_, i) =>
      JSON.stringify({
        id: `dold${String(i).padStart(5, '0')}`,
        direction: 'in',
        time: '2025-01-01T00:00:00.000Z',
        event: 'TODO_CREATED',
        url: '/',
        method: 'POST',
        headers: {},
        body: '{}',
        bodyEncoding: 'utf8',
      }),
    );
    writeFileSync(join(dir.path, 'old.ndjson'), `${old.join('\n')}\n`);
    assert.equal(
      (await runCli(['deliveries', 'import', join(dir.path, 'old.ndjson')], { env })).code,
      0,
    );
    const listen = await startListen(['--secret', 's'], env);
    const send = runCli(
      [
        'send',
        '--url',
        listen.url,
        '--secret',
        's',
        '--count',
        '3000',
        '--rate',
        '1000',
        '--concurrency',
        '10',
        '--no-record',
        '--json',
      ],
      { env, timeoutMs: 60_000 },
    );
    // listen says each delivery once it is committed: five lines, five records in the file.
    await listen.until(() => listen.lines().filter((l) => l.type === 'delivery').length >= 5);
    const seen = historyRecords(dir.path).filter(
      (r) => r.direction === 'in' && !r.id.startsWith('dold'),
    );
    assert.ok(
      seen.length >= 5 && seen.length < 2500,
      `the listener is recording, and the send goes on (${seen.length})`,
    );
    const victims = seen.slice(0, 5).map((r) => r.id);
    const rm = await runCli(['deliveries', 'rm', ...victims], { env });
    assert.equal(rm.code, 0, rm.stderr);
    assert.match(rm.stdout, /removed 5 deliveries/);
    const clear = await runCli(['deliveries', 'clear', '--before', '30d', '--yes'], { env });
    assert.match(clear.stdout, /removed 200 deliveries/);
    const sent = await send;
    assert.equal(sent.code, 0, sent.stderr);
    assert.equal(jsonLines(sent.stdout).at(-1).expected, 3000, 'every delivery acknowledged');
    listen.child.kill('SIGINT');
    await listen.exited;
    const left = historyRecords(dir.path);
    assert.equal(left.length, 3000 - 5, 'all acknowledged deliveries but the five removed');
    assert.ok(!left.some((r) => victims.includes(r.id) || r.id.startsWith('dold')));
  } finally {
    dir.cleanup();
  }
});

test('60 concurrent creates, updates and deletes with the CPU loaded: every one that exits 0 is in the store', async () => {
  const dir = tempDir();
  const env = { BLUEHOOK_HOME: dir.path };
  // Busy loops on every core, so that processes are descheduled mid-transaction.
  const burners = cpus().map(() =>
    spawn(process.execPath, ['-e', 'const end = Date.now() + 60000; while (Date.now() < end);'], {
      stdio: 'ignore',
    }),
  );
  try {
    const ids: string[] = [];
    for (let i = 0; i < 20; i++)
      ids.push(
        JSON.parse(
          (
            await runCli(
              ['create', '--name', `base${i}`, '--url', 'https://example.com/', '--json'],
              { env },
            )
          ).stdout,
        ).id,
      );
    // Two updates of each of ten webhooks at once, by id (a rename must not hide it from the other).
    const runs = await Promise.all([
      ...Array.from({ length: 20 }, (_, i) =>
        runCli(
          [
            'create',
            '--name',
            `new${i}`,
            '--url',
            `https://example.com/${i}`,
            '--json',
            '--reveal-secret',
          ],
          {
            env,
            timeoutMs: 120_000,
          },
        ),
      ),
      ...Array.from({ length: 10 }, (_, i) =>
        runCli(
          ['update', ids[i]!, '--url', `https://example.com/updated/${i}`, '--event', 'TODO_MOVED'],
          { env, timeoutMs: 120_000 },
        ),
      ),
      ...Array.from({ length: 10 }, (_, i) =>
        runCli(['update', ids[i]!, '--name', `renamed${i}`], { env, timeoutMs: 120_000 }),
      ),
      ...Array.from({ length: 10 }, (_, i) =>
        runCli(['delete', `base${10 + i}`, '--yes'], { env, timeoutMs: 120_000 }),
      ),
      ...Array.from({ length: 10 }, (_, i) =>
        runCli(['create', '--name', `dup${i % 5}`, '--url', 'https://example.com/'], {
          env,
          timeoutMs: 120_000,
        }),
      ),
    ]);
    for (const r of runs.slice(0, 50)) assert.equal(r.code, 0, r.stderr);
    const dupOk = runs.slice(50).filter((r) => r.code === 0).length;
    assert.equal(dupOk, 5, 'each duplicate name is created once; the others are refused');
    for (const r of runs.slice(50).filter((x) => x.code !== 0))
      assert.match(r.stderr, /already exists/);
    const stored = storedWebhooks(dir.path);
    const byName = new Map(stored.map((w) => [w.name, w]));
    const secrets = runs.slice(0, 20).map((r) => JSON.parse(r.stdout).secret);
    for (let i = 0; i < 20; i++)
      assert.equal(byName.get(`new${i}`)?.secret, secrets[i], `new${i} with the secret it printed`);
    for (let i = 0; i < 10; i++) {
      const w = byName.get(`renamed${i}`);
      assert.ok(w, `base${i} renamed`);
      assert.equal(w.url, `https://example.com/updated/${i}`, 'and its other update applied too');
      assert.deepEqual(w.events, ['TODO_MOVED']);
    }
    for (let i = 10; i < 20; i++) assert.equal(byName.has(`base${i}`), false, `base${i} deleted`);
    assert.equal(stored.length, 20 + 10 + 5);
  } finally {
    for (const b of burners) b.kill();
    dir.cleanup();
  }
});

test('a full disk: listen answers 500 (never 2xx) for what it cannot record, says so, and recovers when space returns', async (t) => {
  const mount = tempDir('bluehook-full-');
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=8m', 'tmpfs', mount.path], {
      stdio: 'ignore',
    });
  } catch {
    mount.cleanup();
    return t.skip('needs root to mount an 8 MiB tmpfs (a real full disk); run as root, as CI does');
  }
  const store = join(mount.path, 'store');
  mkdirSync(store);
  const env = { BLUEHOOK_HOME: store };
  let listen: Awaited<ReturnType<typeof startListen>> | undefined;
  try {
    listen = await startListen(['--secret', 's'], env);
    const ballast = join(mount.path, 'ballast');
    const statuses: number[] = [];
    const acked: string[] = [];
    const body = (i: number) =>
      JSON.stringify({ event: 'TODO_CREATED', n: i, pad: 'x'.repeat(3000) });
    const deliver = async (i: number) => {
      const b = body(i);
      const r = await post(listen!.url, b, { 'x-signature': hmac('s', b) });
      statuses.push(r.status);
      if (r.status === 200) acked.push(b);
      return r.status;
    };
    for (let i = 0; i < 20; i++) assert.equal(await deliver(i), 200);
    // Fill what is left of the disk.
    try {
      execFileSync('dd', ['if=/dev/zero', `of=${ballast}`, 'bs=64k'], { stdio: 'ignore' });
    } catch {
      // dd stops with "No space left on device": the point
    }
    let failed = 0;
    for (let i = 20; i < 400 && failed < 5; i++) if ((await deliver(i)) >= 500) failed++;
    assert.equal(failed, 5, 'deliveries that cannot be recorded are answered 5xx');
    assert.ok(!statuses.some((s) => s > 200 && s < 500), 'nothing else');
    // Space returns: recording resumes without a restart.
    rmSync(ballast);
    for (let i = 400; i < 410; i++) assert.equal(await deliver(i), 200, 'recovered');
    listen.child.kill('SIGINT');
    await listen.exited;
    const errors = listen.lines().filter((l) => l.type === 'error');
    assert.ok(
      errors.length >= 5 && errors.every((e) => /disk is full/.test(String(e.message))),
      JSON.stringify(errors.slice(0, 2)),
    );
    const recorded = new Set(historyRecords(store).map((r) => r.body));
    for (const b of acked) assert.ok(recorded.has(b), 'every delivery answered 200 is recorded');
  } finally {
    if (listen && listen.child.exitCode === null) listen.child.kill('SIGKILL');
    execFileSync('umount', ['-l', mount.path]);
    mount.cleanup();
  }
});

test('the history directory is 0700 and every file in it 0600', async () => {
  const dir = tempDir();
  try {
    const store = join(dir.path, 'new-store');
    const r = await runCli(
      ['send', '--url', 'http://127.0.0.1:9/', '--secret', 's', '--no-retry'],
      { env: { BLUEHOOK_HOME: store } },
    );
    assert.equal(r.code, 3);
    for (const f of readdirSync(store))
      assert.equal(
        execFileSync('stat', ['-c', '%a', join(store, f)])
          .toString()
          .trim(),
        '600',
        f,
      );
    assert.equal(execFileSync('stat', ['-c', '%a', store]).toString().trim(), '700');
  } finally {
    dir.cleanup();
  }
});

test('retention: deliveries prune, and a listener applying historyMaxAge / historyMaxRecords from the config', async () => {
  const dir = tempDir();
  const env = { BLUEHOOK_HOME: dir.path };
  try {
    const day = 86_400_000;
    const old = Array.from({ length: 300 }, (_, i) =>
      JSON.stringify({
        id: `dold${String(i).padStart(5, '0')}`,
        direction: 'in',
        time: new Date(Date.now() - (i < 100 ? 40 : 1) * day + i).toISOString(),
        event: 'TODO_CREATED',
        url: '/',
        method: 'POST',
        headers: {},
        body: '{}',
        bodyEncoding: 'utf8',
      }),
    );
    writeFileSync(join(dir.path, 'old.ndjson'), `${old.join('\n')}\n`);
    assert.equal(
      (await runCli(['deliveries', 'import', join(dir.path, 'old.ndjson')], { env })).code,
      0,
    );
    assert.equal(
      (await runCli(['deliveries', 'prune'], { env })).code,
      2,
      'no policy: says how to give one',
    );
    const pruned = await runCli(['deliveries', 'prune', '--max-records', '250', '--json'], { env });
    assert.deepEqual(JSON.parse(pruned.stdout), { removed: 50, left: 250 });
    // The config's policy, applied by a listener as it starts.
    writeFileSync(
      join(dir.path, 'bluehook.config.json'),
      JSON.stringify({ historyMaxAge: '30d', historyMaxRecords: 180 }),
    );
    const listen = await startListen(
      ['--secret', 's', '--config', join(dir.path, 'bluehook.config.json')],
      env,
    );
    const body = JSON.stringify({ event: 'TODO_CREATED', n: 1 });
    assert.equal((await post(listen.url, body, { 'x-signature': hmac('s', body) })).status, 200);
    // Retention at start says what it removed once it is done.
    await listen.until(() => /retention: removed \d+ old deliver/.test(listen.stderr()));
    const left = historyRecords(dir.path);
    listen.child.kill('SIGINT');
    await listen.exited;
    assert.ok(
      left.every((r) => Date.parse(r.time) > Date.now() - 30 * day),
      'nothing older than 30 days',
    );
    assert.ok(
      left.length <= 181 && left.length >= 180,
      `at most 180 kept, plus the one that arrived (${left.length})`,
    );
    assert.ok(
      left.some((r) => r.body === body),
      'the new delivery is kept',
    );
    const bad = await runCli(['deliveries', 'list', '--history-max-age', 'forever'], { env });
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /--history-max-age must be a duration such as "30d"/);
  } finally {
    dir.cleanup();
  }
});

test('verdict filters say a direction: --invalid is what was received and rejected, --failed what was sent and not answered as expected', async (t) => {
  const dir = tempDir();
  t.after(() => dir.cleanup());
  const env = { BLUEHOOK_HOME: dir.path };
  const listen = await startListen(['--secret', 's'], env);
  t.after(() => listen.child.kill());
  const body = '{"event":"TODO_CREATED"}';
  assert.equal((await post(listen.url, body, { 'x-signature': hmac('s', body) })).status, 200);
  assert.equal((await post(listen.url, body, { 'x-signature': hmac('wrong', body) })).status, 401);
  // A send answered 401 (the listener above rejects a wrong secret): failed, not "invalid".
  const sent = await runCli(['send', '--url', listen.url, '--secret', 'wrong', '--no-retry'], {
    env,
  });
  assert.equal(sent.code, 1, sent.stderr);
  const pick = async (...flags: string[]) =>
    jsonLines((await runCli(['deliveries', 'list', '--json', ...flags], { env })).stdout).map(
      (r) => `${r.direction}:${r.valid}`,
    );
  assert.deepEqual((await pick('--invalid')).sort(), ['in:false', 'in:false']);
  assert.deepEqual(await pick('--valid'), ['in:true']);
  assert.deepEqual(await pick('--failed'), ['out:false']);
  assert.deepEqual(await pick('--delivered'), []);
  const mixed = await runCli(['deliveries', 'list', '--failed', '--direction', 'in'], { env });
  assert.equal(mixed.code, 2);
  assert.match(mixed.stderr, /--failed is about sent deliveries: not with --direction in/);
  assert.equal((await runCli(['deliveries', 'list', '--invalid', '--failed'], { env })).code, 2);
});
