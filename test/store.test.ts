import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, statSync, writeFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { LocalWebhookStore } from '../src/store/local-store.js';
import { resolveRef, type Webhook } from '../src/store/types.js';
import { BluehookError } from '../src/errors.js';
import { tempDir } from './helpers.js';

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
    const b = await store.create({ url: 'https://example.com/b', events: ['TODO_CREATED', 'TODO_DELETED'], secret: 'given' });
    assert.equal(b.secret, 'given');
    assert.equal(b.name, null);
    assert.deepEqual((await store.list()).map((w) => w.id), [b.id, a.id]);
    const updated = await store.update(b.id, { events: ['TODO_MOVED'] });
    assert.deepEqual(updated.events, ['TODO_MOVED']);
    assert.deepEqual(updated.metadata, { events: ['TODO_MOVED'], projectIds: [] });
    assert.equal(updated.url, 'https://example.com/b', 'fields not given are unchanged');
    const off = await store.disable(a.id);
    assert.deepEqual([off.enabled, off.status], [false, 'UNHEALTHY']);
    assert.deepEqual((await store.list({ enabled: false })).map((w) => w.id), [a.id]);
    await store.delete(a.id);
    assert.equal((await store.list()).length, 1);
    await assert.rejects(store.create({ name: 'x', url: 'ftp://nope' }), /only http/);
    await store.create({ name: 'dup', url: 'https://example.com/' });
    await assert.rejects(store.create({ name: 'dup', url: 'https://example.com/' }), /already exists/);
    assert.equal(statSync(join(dir.path, 'store')).mode & 0o777, 0o700);
    assert.equal(statSync(store.file).mode & 0o777, 0o600);
    assert.equal(statSync(`${store.file}.bak`).mode & 0o777, 0o600);
  } finally {
    dir.cleanup();
  }
});

test('a corrupt store file is never overwritten and the error says how to recover', async () => {
  const dir = tempDir();
  try {
    const store = new LocalWebhookStore(dir.path);
    await store.create({ name: 'keep', url: 'https://example.com/' });
    await store.create({ name: 'keep2', url: 'https://example.com/' });
    const torn = readFileSync(store.file, 'utf8').slice(0, 100);
    writeFileSync(store.file, torn);
    await assert.rejects(store.create({ url: 'https://example.com/' }), (e: unknown) => e instanceof BluehookError && e.exitCode === 4 && /corrupt/.test(e.message) && /\.bak/.test(e.hint ?? ''));
    await assert.rejects(store.list(), /corrupt/);
    assert.equal(readFileSync(store.file, 'utf8'), torn, 'untouched');
    const backup = JSON.parse(readFileSync(`${store.file}.bak`, 'utf8'));
    assert.equal(backup.webhooks[0].name, 'keep', 'the last good version is beside it');
    writeFileSync(store.file, '{"version":1,"userId":"x","webhooks":[{"nope":1}]}');
    await assert.rejects(store.list(), /malformed/);
  } finally {
    dir.cleanup();
  }
});

test('refs resolve by id, name, or unique prefix; ambiguity lists the candidates', () => {
  const w = (id: string, uid: string, name: string | null) => ({ id, uid, name }) as Webhook;
  const all = [w('cabc000000000000000000001', 'aa11', 'orders'), w('cabc000000000000000000002', 'bb22', null), w('cxyz000000000000000000003', 'cc33', 'cabc')];
  assert.equal(resolveRef('orders', all).id, 'cabc000000000000000000001');
  assert.equal(resolveRef('cxyz', all).id, 'cxyz000000000000000000003');
  assert.equal(resolveRef('bb2', all).id, 'cabc000000000000000000002');
  assert.equal(resolveRef('cabc', all).id, 'cxyz000000000000000000003', 'an exact name beats a prefix');
  assert.throws(() => resolveRef('cabc0', all), /ambiguous: it matches 2 webhooks: cabc000000000000000000001 \(orders\), cabc000000000000000000002/);
  assert.throws(() => resolveRef('nothing', all), /no webhook matches/);
});

test('a stale lock left by a dead process is taken over', async () => {
  const dir = tempDir();
  try {
    const store = new LocalWebhookStore(dir.path);
    writeFileSync(join(dir.path, 'webhooks.lock'), '999999999\n');
    await store.create({ url: 'https://example.com/' });
    assert.equal((await store.list()).length, 1);
    assert.equal(existsSync(join(dir.path, 'webhooks.lock')), false);
  } finally {
    dir.cleanup();
  }
});
