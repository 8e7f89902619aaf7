import { test } from 'node:test';
import assert from 'node:assert/strict';
import { FreshPayloads } from '../src/blue/payload-stream.js';

test('fresh payloads: new entity ids every time, and a JSON literal that is exactly the body escaped', () => {
  const fresh = new FreshPayloads('TODO_CREATED', { seed: 3 });
  const a = fresh.nextWithJson();
  const b = fresh.nextWithJson();
  assert.notEqual(a.body.toString(), b.body.toString());
  assert.equal(a.json, JSON.stringify(a.body.toString()));
  const parsed = JSON.parse(a.body.toString());
  assert.match(parsed.currentValue.id, /^c[a-z0-9]{24}$/);
  assert.equal(parsed.currentValue.id, JSON.parse(a.body.toString()).currentValue.id);
  const health = new FreshPayloads('WEBHOOK_HEALTH_CHECK').nextWithJson();
  assert.equal(health.json, JSON.stringify(health.body.toString()));
});
