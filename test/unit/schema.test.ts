/**
 * The drift check and parseDelivery against samples of every event, the real capture and the
 * checked-in fixtures, and against broken copies of them.
 */
import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { EVENTS } from '../../src/blue/catalogue.js';
import { buildPayload } from '../../src/blue/payload.js';
import { BluehookError } from '../../src/errors.js';
import { deliveryDrift } from '../../src/schema/drift.js';
import { isEvent, parseDelivery } from '../../src/schema/parse-delivery.js';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const CAPTURE = join(ROOT, 'fixtures', 'blue', 'todo-created.delivery.json');
const FIXTURES = join(ROOT, 'fixtures', 'deliveries');
const SEEDS = [1, 2, 3, 'receiver', 99];
const readJson = (path: string) => JSON.parse(readFileSync(path, 'utf8')) as Record<string, any>;
const sig = (secret: string, body: string) =>
  createHmac('sha256', secret).update(body).digest('hex');

test('no drift: every event over several seeds, the 2022 form without previousValue, the real capture, every fixture', () => {
  for (const e of EVENTS)
    for (const seed of SEEDS)
      assert.equal(deliveryDrift(buildPayload(e.name, { seed })), null, `${e.name} seed ${seed}`);
  assert.equal(deliveryDrift(buildPayload('TAG_CREATED', { seed: 4, omitPrevious: true })), null);
  assert.equal(deliveryDrift(readJson(CAPTURE)), null, 'the real capture');
  const files = readdirSync(FIXTURES).filter((f) => f.endsWith('.json'));
  assert.equal(files.length, 38);
  for (const f of files) assert.equal(deliveryDrift(readJson(join(FIXTURES, f))), null, f);
});

test('drift: a removed or retyped key is a warning naming its path; a new key or event is information', () => {
  const removed = readJson(CAPTURE);
  delete removed.currentValue.todoList.title;
  assert.deepEqual(deliveryDrift(removed), {
    level: 'warning',
    count: 1,
    issues: [{ path: 'currentValue.todoList.title', kind: 'missing', expected: 'title' }],
  });

  const retyped = buildPayload('TODO_TAG_ADDED', { seed: 1 });
  ((retyped.currentValue as any).todoTags[0].tag as Record<string, unknown>).title = 5;
  assert.deepEqual(deliveryDrift(retyped)?.issues, [
    {
      path: 'currentValue.todoTags[0].tag.title',
      kind: 'type',
      expected: 'string',
      actual: 'number',
    },
  ]);

  const badId = buildPayload('COMMENT_DELETED', { seed: 1 });
  (badId.previousValue as Record<string, unknown>).id = '8b0c1f4e-not-a-cuid';
  assert.deepEqual(deliveryDrift(badId)?.issues[0], {
    path: 'previousValue.id',
    kind: 'format',
    expected: 'cuid',
    actual: 'string',
  });

  const nulled = buildPayload('TODO_DELETED', { seed: 1 });
  (nulled.previousValue as Record<string, unknown>).title = null;
  assert.equal(deliveryDrift(nulled)?.issues[0]?.actual, 'null');

  const added = buildPayload('TODO_CREATED', { seed: 1 });
  (added.currentValue as Record<string, unknown>).priority = 'HIGH';
  added.eventId = 'evt_1';
  const info = deliveryDrift(added)!;
  assert.equal(info.level, 'info');
  assert.deepEqual(
    info.issues.map((i) => [i.path, i.kind]),
    [
      ['currentValue.priority', 'added'],
      ['eventId', 'added'],
    ],
  );

  // Both at once: the warning leads.
  delete (added.currentValue as Record<string, unknown>).done;
  const both = deliveryDrift(added)!;
  assert.equal(both.level, 'warning');
  assert.equal(both.issues[0]!.path, 'currentValue.done');

  assert.equal(deliveryDrift({ event: 'TODO_ARCHIVED', webhook: {} })?.level, 'info');
  const created = buildPayload('TODO_CREATED', { seed: 2 });
  created.previousValue = { id: 'x' };
  assert.equal(deliveryDrift(created)?.issues[0]?.path, 'previousValue');
  const health = buildPayload('WEBHOOK_HEALTH_CHECK', { seed: 2 });
  health.currentValue = null;
  assert.equal(deliveryDrift(health)?.level, 'info', 'a health check carries no values');
  assert.equal(deliveryDrift('not an object'), null);
  assert.equal(deliveryDrift({ no: 'event' }), null);
});

test('parseDelivery verifies the raw bytes, parses and types; each failure is a BluehookError with a code', () => {
  const body = JSON.stringify(buildPayload('TODO_CREATED', { seed: 5 }));
  const d = parseDelivery(body, { signature: sig('s3cret', body), secret: 's3cret' });
  assert.ok(isEvent(d, 'TODO_CREATED'));
  if (isEvent(d, 'TODO_CREATED')) assert.equal(typeof d.currentValue.title, 'string');
  assert.equal(isEvent(d, 'TODO_DELETED', 'TAG_CREATED'), false);
  const fromHeaders = parseDelivery(Buffer.from(body), {
    headers: new Headers({ 'X-Signature': sig('s3cret', body) }),
    secret: 's3cret',
  });
  assert.equal(fromHeaders.event, 'TODO_CREATED');

  const code = (fn: () => unknown) => {
    try {
      fn();
    } catch (e) {
      assert.ok(e instanceof BluehookError, String(e));
      return `${e.category}:${e.code}`;
    }
    return 'no error';
  };
  const signed = (text: string) => ({ signature: sig('s', text), secret: 's' });
  assert.equal(
    code(() => parseDelivery(body, { secret: 's' })),
    'check:missing-signature',
  );
  assert.equal(
    code(() => parseDelivery(body, { signature: sig('other', body), secret: 's' })),
    'check:invalid-signature',
  );
  const reserialised = JSON.stringify(JSON.parse(body), null, 2);
  assert.equal(
    code(() => parseDelivery(reserialised, { signature: sig('s', body), secret: 's' })),
    'check:invalid-signature',
  );
  assert.equal(
    code(() => parseDelivery('{nope', signed('{nope'))),
    'usage:not-json',
  );
  assert.equal(
    code(() => parseDelivery('[1]', signed('[1]'))),
    'usage:not-a-delivery',
  );
  const noWebhook = '{"event":"TODO_CREATED"}';
  assert.equal(
    code(() => parseDelivery(noWebhook, signed(noWebhook))),
    'usage:not-a-delivery',
  );
  const unknown = '{"event":"TODO_ARCHIVED","webhook":{}}';
  assert.equal(
    code(() => parseDelivery(unknown, signed(unknown))),
    'usage:unknown-event',
  );
  assert.equal(
    code(() => parseDelivery(body, { secret: '' })),
    'usage:missing-secret',
  );
});
