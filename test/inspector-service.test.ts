/**
 * The inspector's service called in process, as its HTTP server calls it: the same use cases as
 * the CLI over a real SQLite history and store in a temporary directory, delivering to a real
 * receiver on 127.0.0.1. No page, no server: what the service answers is what the API sends.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { closeDatabase } from '../src/db/database.js';
import { BluehookError } from '../src/errors.js';
import { SqliteHistory } from '../src/history/sqlite.js';
import { InspectorService } from '../src/inspector/service.js';
import { LocalWebhookStore } from '../src/store/local-store.js';
import { hmac, startReceiver, testHome } from './helpers.js';

async function setUp(t: import('node:test').TestContext) {
  const home = testHome(t);
  const rx = await startReceiver((req, _i, res) => {
    res.writeHead(req.url.includes('fail') ? 500 : 200).end('ok');
  });
  t.after(() => rx.close());
  const store = new LocalWebhookStore(home.path);
  const history = new SqliteHistory(home.path, 'normal');
  const service = new InspectorService({
    history,
    store,
    scheme: 'blue',
    timeoutMs: 5000,
    version: 'test',
  });
  t.after(async () => {
    await service.close();
    await history.close();
    closeDatabase(home.path);
  });
  const hook = await store.create({
    name: 'app',
    url: rx.url,
    secret: 'whsec_service',
    events: ['TODO_CREATED'],
  });
  return { service, history, rx, hook };
}

test('InspectorService: meta lists events and webhooks, never a secret', async (t) => {
  const { service, hook } = await setUp(t);
  const meta = await service.meta();
  assert.equal(meta.events.length, 38);
  assert.deepEqual(
    meta.webhooks.map((w) => [w.id, w.name, w.url]),
    [[hook.id, 'app', hook.url]],
  );
  assert.ok(!JSON.stringify(meta).includes('whsec_service'));
});

test('InspectorService: send, list, detail, verify, replay and export, in process', async (t) => {
  const { service, rx, hook } = await setUp(t);
  const sent = await service.send({
    event: 'TODO_CREATED',
    seed: '3',
    set: ['currentValue.title=In process'],
    webhookId: hook.id,
  });
  assert.equal(sent.ok, true);
  assert.equal(sent.status, 200);
  const got = rx.received[0]!;
  assert.equal(
    got.headers['x-signature'],
    hmac('whsec_service', got.body),
    'signed with the stored secret',
  );
  assert.equal(JSON.parse(got.body.toString()).currentValue.title, 'In process');

  // Recorded before send answered: the list and the count see it at once.
  const page = await service.list({ direction: 'out' }, { order: 'newest' });
  assert.deepEqual(
    page.records.map((r) => r.id),
    [sent.record.id],
  );
  assert.equal(await service.count({ event: 'TODO_CREATED' }), 1);

  const detail = await service.detail(sent.record.id);
  assert.equal(detail.body.text, got.body.toString());
  assert.equal(detail.body.jsonError, null);
  assert.equal(detail.event?.name, 'TODO_CREATED');
  assert.equal(detail.webhook?.id, hook.id);

  const wrong = await service.verify(sent.record.id, 'whsec_wrong');
  assert.deepEqual([wrong.valid, wrong.cause], [false, 'wrong-secret']);
  assert.equal((await service.verify(sent.record.id)).valid, true, "with the webhook's secret");

  const replayed = await service.replay({ id: sent.record.id });
  assert.equal(replayed.ok, true);
  assert.equal(replayed.record.replayOf, sent.record.id);
  assert.deepEqual(rx.received[1]!.body, got.body, 'the same bytes again');
  const replays = await service.list({ replayOf: sent.record.id }, {});
  assert.deepEqual(
    replays.records.map((r) => r.id),
    [replayed.record.id],
  );

  const curl = await service.exportAs(sent.record.id, 'curl');
  assert.match(String(curl.body), /^printf '%s' .* \| curl -sS --globoff -X 'POST' '[^']+\/hook' /);
  assert.equal(curl.filename, `${sent.record.id}.sh`);
});

test('InspectorService: a failed delivery is recorded as failed; bad input is a BluehookError with a code', async (t) => {
  const { service, hook } = await setUp(t);
  const edited = await service.send({
    body: '{"event":"TODO_CREATED"}',
    webhookId: hook.id,
    secret: 's',
  });
  assert.equal(edited.ok, true);
  const failed = await service.send({
    body: '{"event":"TODO_CREATED"}',
    url: `${hook.url}?fail`,
    secret: 's',
  });
  assert.deepEqual([failed.ok, failed.status], [false, 500]);
  const summaries = await service.list({}, { order: 'oldest' });
  assert.deepEqual(
    summaries.records.map((r) => [r.id, r.valid, r.status]),
    [
      [edited.record.id, true, 200],
      [failed.record.id, false, 500],
    ],
    'both recorded, the failed one as failed',
  );
  assert.equal(await service.count({ valid: false }), 1);

  const rejects = async (p: Promise<unknown>, category: string, code: RegExp) => {
    const error = await p.then(
      () => assert.fail('expected an error'),
      (e: unknown) => e,
    );
    assert.ok(error instanceof BluehookError, String(error));
    assert.equal(error.category, category);
    assert.match(error.code, code);
  };
  await rejects(
    service.send({ event: 'NOT_AN_EVENT', webhookId: hook.id }),
    'usage',
    /^unknown-event$/,
  );
  await rejects(service.detail('dnope'), 'not-found', /./);
  await rejects(service.exportAs(edited.record.id, 'pdf'), 'usage', /./);
  await rejects(service.send({ event: 'TODO_CREATED' }), 'usage', /./);
});
