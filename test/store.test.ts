import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import Sqlite from 'better-sqlite3';
import { closeDatabase, openDatabase } from '../src/db/database.js';
import { join } from 'node:path';
import { LocalWebhookStore } from '../src/store/local-store.js';
import { resolveRef, type Webhook } from '../src/store/types.js';
import { BluehookError } from '../src/errors.js';
import { runCli, tempDir } from './helpers.js';

test('local store: create with Blue defaults, newest first, update replaces lists, disable marks UNHEALTHY', async () => {
  const dir = tempDir();
  try {
    const store = new LocalWebhookStore(join(dir.path, 'store'));
    const a = await store.create({ name: 'a', url: 'https://example.com/a' });
    assert.equal(a.enabled, true);
    assert.equal(a.status, 'HEALTHY');
    assert.deepEqual(a.events, []);
    assert.deepEqual(a.projectIds, []);
    assert.match(a.id, /^c[a-z0-9]{24}$/);
    assert.match(a.uid, /^[0-9a-f]{32}$/);
    assert.match(a.secret!, /^whsec_/);
    const b = await store.create({
      url: 'https://example.com/b',
      events: ['TODO_CREATED', 'TODO_DELETED'],
      secret: 'given',
    });
    assert.equal(b.secret, 'given');
    assert.equal(b.name, null);
    assert.deepEqual(
      (await store.list()).map((w) => w.id),
      [b.id, a.id],
    );
    const updated = await store.update(b.id, { events: ['TODO_MOVED'] });
    assert.deepEqual(updated.events, ['TODO_MOVED']);
    assert.deepEqual(updated.metadata, { events: ['TODO_MOVED'], projectIds: [] });
    assert.equal(updated.url, 'https://example.com/b', 'fields not given are unchanged');
    const off = await store.disable(a.id);
    assert.deepEqual([off.enabled, off.status], [false, 'UNHEALTHY']);
    assert.deepEqual(
      (await store.list({ enabled: false })).map((w) => w.id),
      [a.id],
    );
    await store.delete(a.id);
    assert.equal((await store.list()).length, 1);
    await assert.rejects(store.create({ name: 'x', url: 'ftp://nope' }), /only http/);
    await store.create({ name: 'dup', url: 'https://example.com/' });
    await assert.rejects(
      store.create({ name: 'dup', url: 'https://example.com/' }),
      /already exists/,
    );
    assert.equal(statSync(join(dir.path, 'store')).mode & 0o777, 0o700);
    assert.equal(statSync(store.file).mode & 0o777, 0o600, 'the database is 0600');
    assert.equal(statSync(`${store.file}-wal`).mode & 0o777, 0o600, 'so is its write-ahead log');
  } finally {
    dir.cleanup();
  }
});

test('a database that is not ours is never overwritten: garbage, a torn file, another program, a newer bluehook', async () => {
  const dir = tempDir();
  try {
    const file = join(dir.path, 'bluehook.db');
    const isStoreError = (pattern: RegExp) => (e: unknown) =>
      e instanceof BluehookError &&
      e.category === 'store' &&
      pattern.test(e.message) &&
      e.message.includes(file);
    writeFileSync(file, 'this is not a database at all, but somebody cares about it');
    await assert.rejects(
      new LocalWebhookStore(dir.path).list(),
      isStoreError(/not a bluehook database/),
    );
    assert.equal(
      readFileSync(file, 'utf8'),
      'this is not a database at all, but somebody cares about it',
      'untouched',
    );

    // A real bluehook database cut short (a disk copy gone wrong): SQLite's header survives, the pages do not.
    const other = tempDir();
    const good = new LocalWebhookStore(other.path);
    for (let i = 0; i < 50; i++) await good.create({ name: `w${i}`, url: 'https://example.com/' });
    closeDatabase(other.path);
    const torn = readFileSync(join(other.path, 'bluehook.db')).subarray(0, 6000);
    other.cleanup();
    writeFileSync(file, torn);
    await assert.rejects(
      new LocalWebhookStore(dir.path).list(),
      isStoreError(/corrupt|not a database|malformed/),
    );
    assert.ok(readFileSync(file).equals(torn), 'untouched');

    const foreign = new Sqlite(file.replace('bluehook.db', 'foreign.db'));
    foreign.exec('CREATE TABLE invoices (id INTEGER PRIMARY KEY, total REAL)');
    foreign.close();
    writeFileSync(file, readFileSync(join(dir.path, 'foreign.db')));
    await assert.rejects(new LocalWebhookStore(dir.path).list(), isStoreError(/another program/));

    rmSync(file);
    await new LocalWebhookStore(dir.path).create({ name: 'x', url: 'https://example.com/' });
    closeDatabase(dir.path);
    const newer = new Sqlite(file);
    newer.pragma('user_version = 99');
    newer.close();
    await assert.rejects(
      new LocalWebhookStore(dir.path).list(),
      isStoreError(/newer bluehook \(schema 99/),
    );
  } finally {
    dir.cleanup();
  }
});

test('refs resolve by id, name, or unique prefix; ambiguity lists the candidates', () => {
  const w = (id: string, uid: string, name: string | null) => ({ id, uid, name }) as Webhook;
  const all = [
    w('cabc000000000000000000001', 'aa11', 'orders'),
    w('cabc000000000000000000002', 'bb22', null),
    w('cxyz000000000000000000003', 'cc33', 'cabc'),
  ];
  assert.equal(resolveRef('orders', all).id, 'cabc000000000000000000001');
  assert.equal(resolveRef('cxyz', all).id, 'cxyz000000000000000000003');
  assert.equal(resolveRef('bb2', all).id, 'cabc000000000000000000002');
  assert.equal(
    resolveRef('cabc', all).id,
    'cxyz000000000000000000003',
    'an exact name beats a prefix',
  );
  assert.throws(
    () => resolveRef('cabc0', all),
    /ambiguous: it matches 2 webhooks: cabc000000000000000000001 \(orders\), cabc000000000000000000002/,
  );
  assert.throws(() => resolveRef('nothing', all), /no webhook matches/);
});

test('historySync: normal by default, full when asked (every commit fsynced)', () => {
  const dir = tempDir();
  try {
    assert.equal(
      openDatabase(join(dir.path, 'a')).pragma('synchronous', { simple: true }),
      1,
      'NORMAL',
    );
    assert.equal(
      openDatabase(join(dir.path, 'b'), 'full').pragma('synchronous', { simple: true }),
      2,
      'FULL',
    );
    assert.equal(openDatabase(join(dir.path, 'a')).pragma('journal_mode', { simple: true }), 'wal');
    assert.equal(
      openDatabase(join(dir.path, 'a'), 'full').pragma('synchronous', { simple: true }),
      2,
      "the history's mode wins over an earlier open",
    );
    closeDatabase(join(dir.path, 'a'));
    closeDatabase(join(dir.path, 'b'));
  } finally {
    dir.cleanup();
  }
});

test('a full disk: create is exit 4 "the disk is full", every earlier webhook intact, every exit-0 create stored', async (t) => {
  // A real full file system: a 600 KiB tmpfs (mounting needs root, which CI has; skipped elsewhere).
  const { execFileSync } = await import('node:child_process');
  const { mkdtempSync } = await import('node:fs');
  const { tmpdir } = await import('node:os');
  const mountPoint = mkdtempSync(join(tmpdir(), 'bluehook-full-'));
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=600k', 'tmpfs', mountPoint], {
      stdio: 'ignore',
    });
  } catch {
    rmSync(mountPoint, { recursive: true, force: true });
    return t.skip('cannot mount a small tmpfs here (needs root)');
  }
  t.after(() => {
    execFileSync('umount', [mountPoint]);
    rmSync(mountPoint, { recursive: true, force: true });
  });
  const env = { BLUEHOOK_HOME: join(mountPoint, 'store') };
  const stored: string[] = [];
  for (let i = 0; i < 5; i++) {
    const r = await runCli(
      ['create', '--name', `w${i}`, '--url', 'http://127.0.0.1:1/', '--json'],
      { env },
    );
    assert.equal(r.code, 0, r.stderr);
    stored.push(`w${i}`);
  }
  // Fill what is left, then keep creating: each attempt either stores its webhook (exit 0) or says
  // the disk is full (exit 4); none may lose or corrupt what is there.
  const filler = join(mountPoint, 'filler');
  try {
    writeFileSync(filler, Buffer.alloc(1024 * 1024));
  } catch {
    // ENOSPC: the file system is now full, which is the point
  }
  for (let i = 5; i < 10; i++) {
    const r = await runCli(
      ['create', '--name', `w${i}`, '--url', 'http://127.0.0.1:1/', '--json'],
      { env },
    );
    if (r.code === 0) stored.push(`w${i}`);
    else {
      assert.equal(r.code, 4, r.stderr);
      assert.match(JSON.parse(r.stderr).error.message, /the disk is full/);
    }
  }
  assert.ok(stored.length < 10, 'the disk did fill up');
  rmSync(filler, { force: true });
  const listed = JSON.parse((await runCli(['list', '--json'], { env })).stdout) as Array<{
    name: string;
  }>;
  assert.deepEqual(
    listed.map((w) => w.name).sort(),
    [...stored].sort(),
    'exactly the webhooks whose create exited 0',
  );
  const after = await runCli(['create', '--name', 'after', '--url', 'http://127.0.0.1:1/'], {
    env,
  });
  assert.equal(after.code, 0, `space again: ${after.stderr}`);
});
