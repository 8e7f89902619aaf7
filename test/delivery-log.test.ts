import { test } from 'node:test';
import assert from 'node:assert/strict';
import { FreshPayloads } from '../src/blue/payload-stream.js';
import { DeliveryLog, encodeBody, newDeliveryId, type DeliveryRecord } from '../src/store/delivery-log.js';
import { tempDir } from './helpers.js';

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

test('the delivery log: records written with a pre-escaped body read back byte-exact, in order', async () => {
  const dir = tempDir();
  const log = new DeliveryLog(dir.path);
  try {
    const fresh = new FreshPayloads('COMMENT_CREATED', { seed: 1 });
    const written: Buffer[] = [];
    const appends: Promise<void>[] = [];
    for (let i = 0; i < 50; i++) {
      const { body, json } = fresh.nextWithJson();
      written.push(body);
      const record: DeliveryRecord = { id: newDeliveryId(), direction: 'out', time: new Date().toISOString(), event: 'COMMENT_CREATED', url: 'http://127.0.0.1/', method: 'POST', headers: {}, ...encodeBody(body) };
      appends.push(log.append(record, i % 2 ? json : undefined));
    }
    await Promise.all(appends);
    const read: DeliveryRecord[] = [];
    for await (const r of log.records()) read.push(r);
    assert.equal(read.length, 50);
    read.forEach((r, i) => assert.ok(Buffer.from(r.body, 'utf8').equals(written[i]!), `record ${i}`));
  } finally {
    log.close();
    dir.cleanup();
  }
});
