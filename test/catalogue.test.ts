import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  EVENTS,
  SUBSCRIBABLE_EVENTS,
  resolveEvent,
  resolveEventList,
} from '../src/blue/catalogue.js';
import { BluehookError } from '../src/errors.js';

test('the catalogue has the 37 WebhookEvent values in schema order plus the health check', () => {
  assert.equal(SUBSCRIBABLE_EVENTS.length, 37);
  assert.equal(EVENTS.length, 38);
  assert.equal(EVENTS[0]!.name, 'TODO_CREATED');
  assert.equal(EVENTS[36]!.name, 'COMMENT_UPDATED');
  assert.equal(EVENTS[37]!.name, 'WEBHOOK_HEALTH_CHECK');
  assert.equal(new Set(EVENTS.map((e) => e.name)).size, 38);
  for (const e of EVENTS) {
    assert.ok(e.description.length > 10, e.name);
    if (e.name.endsWith('_CREATED')) assert.equal(e.kind, 'create', e.name);
    else if (e.name.endsWith('_DELETED')) assert.equal(e.kind, 'delete', e.name);
    else if (e.name !== 'WEBHOOK_HEALTH_CHECK') assert.equal(e.kind, 'update', e.name);
  }
});

test('event names resolve case-insensitively and unknown ones suggest the closest', () => {
  assert.equal(resolveEvent('todo_created').name, 'TODO_CREATED');
  assert.throws(
    () => resolveEvent('TODO_CREATD'),
    (e: unknown) =>
      e instanceof BluehookError &&
      e.category === 'usage' &&
      /did you mean TODO_CREATED/.test(e.message),
  );
  assert.deepEqual(resolveEventList(['todo_created,TODO_DELETED', 'todo_created']), [
    'TODO_CREATED',
    'TODO_DELETED',
  ]);
  assert.throws(() => resolveEventList(['WEBHOOK_HEALTH_CHECK']), /cannot be subscribed/);
});
