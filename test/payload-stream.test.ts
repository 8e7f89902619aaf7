import { test } from 'node:test';
import assert from 'node:assert/strict';
import { FreshPayloads } from '../src/blue/payload-stream.js';
import { buildPayload, serializeBody } from '../src/blue/payload.js';

test('fresh payloads: the sample with a new entity id and uid every time, everywhere they occur', () => {
  const fresh = new FreshPayloads('TODO_CREATED', { seed: 3 });
  const sample = JSON.parse(serializeBody(buildPayload('TODO_CREATED', { seed: 3 })));
  const a = JSON.parse(fresh.next().toString());
  const b = JSON.parse(fresh.next().toString());
  assert.notEqual(a.currentValue.id, b.currentValue.id);
  assert.notEqual(a.currentValue.uid, b.currentValue.uid);
  assert.match(a.currentValue.id, /^c[a-z0-9]{24}$/);
  assert.match(a.currentValue.uid, /^[0-9a-f]{32}$/);
  // Apart from the id and uid, the body is the sample.
  const strip = (x: { currentValue: { id: string; uid: string } }) =>
    JSON.stringify(x).split(x.currentValue.id).join('ID').split(x.currentValue.uid).join('UID');
  assert.equal(strip(a), strip(sample));
  // And byte for byte: the sample's exact text (as Blue serialises it) with only the two changed.
  const text = serializeBody(buildPayload('TODO_CREATED', { seed: 3 }));
  const bytes = fresh.next();
  const c = JSON.parse(bytes.toString());
  const exact = (t: string, id: string, uid: string) =>
    t.split(id).join('ID').split(uid).join('UID');
  assert.equal(
    exact(bytes.toString(), c.currentValue.id, c.currentValue.uid),
    exact(text, sample.currentValue.id, sample.currentValue.uid),
  );
  assert.equal(bytes.length, Buffer.byteLength(bytes.toString()));
  const health = new FreshPayloads('WEBHOOK_HEALTH_CHECK');
  assert.ok(
    health.next().equals(health.next()),
    'the health check carries no entity: the same bytes',
  );
});
