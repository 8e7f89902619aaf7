/**
 * Unit tests of the delivery core's pure parts: no process spawned, no socket opened. Table-driven:
 * each row is an input and what must come out.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseExpectStatus } from '../../src/delivery/expect.js';
import {
  BLUE_RETRY_POLICY,
  backoffFor,
  retryAfterMs,
  retryPolicy,
  withRetries,
} from '../../src/delivery/retry.js';
import { copiesOrder, defaultThreads } from '../../src/delivery/send.js';
import { afterDelivery, afterHealthCheck } from '../../src/delivery/health.js';
import { recordedScheme, replayRequest, replayRequests } from '../../src/delivery/replay.js';
import { encodeBody, type DeliveryRecord } from '../../src/history/record.js';
import { getScheme } from '../../src/signing/schemes.js';
import type { DeliveryOutcome } from '../../src/delivery/deliver.js';
import { BluehookError } from '../../src/errors.js';

test('--expect-status: codes, classes and lists', () => {
  const rows: Array<[string, number | undefined, boolean]> = [
    ['2xx', 200, true],
    ['2xx', 299, true],
    ['2xx', 300, false],
    ['2xx', undefined, false],
    ['200,204', 204, true],
    ['200,204', 201, false],
    [' 4XX , 503 ', 418, true],
    [' 4XX , 503 ', 503, true],
    [' 4XX , 503 ', 500, false],
  ];
  for (const [text, status, expected] of rows)
    assert.equal(parseExpectStatus(text)(status), expected, `${text} vs ${status}`);
  assert.equal(parseExpectStatus(' 4XX , 503 ').text, '4xx,503');
  for (const bad of ['', ',', '2x', '600', 'ok', '20']) {
    assert.throws(
      () => parseExpectStatus(bad),
      (e: unknown) => e instanceof BluehookError && e.category === 'usage',
      bad,
    );
  }
});

test('Retry-After: delta seconds or an HTTP date; nonsense is ignored', () => {
  const now = Date.parse('2026-01-01T00:00:00Z');
  const rows: Array<[string | undefined, number | undefined]> = [
    [undefined, undefined],
    ['', undefined],
    ['3', 3000],
    [' 120 ', 120_000],
    ['Thu, 01 Jan 2026 00:00:10 GMT', 10_000],
    ['Wed, 31 Dec 2025 23:59:00 GMT', 0], // in the past: retry now
    ['soon', undefined],
  ];
  for (const [value, ms] of rows) assert.equal(retryAfterMs(value, now), ms, String(value));
});

test('backoff doubles from the first delay, within the jitter, up to the cap', () => {
  const policy = retryPolicy(4, 1000);
  assert.equal(policy.attempts, 5);
  const low = () => 0; // the most negative jitter
  const high = () => 0.999999; // the most positive
  for (const [attempt, base] of [
    [1, 1000],
    [2, 2000],
    [3, 4000],
    [4, 8000],
  ] as const) {
    assert.equal(backoffFor(attempt, policy, low), Math.round(base * (1 - policy.jitter)));
    assert.ok(backoffFor(attempt, policy, high) <= Math.round(base * (1 + policy.jitter)));
  }
  assert.equal(
    backoffFor(30, policy, () => 0.5),
    BLUE_RETRY_POLICY.maxBackoffMs,
    'capped',
  );
});

test('withRetries stops at the first success, at the limit, and honours Retry-After', async () => {
  const answers = [
    { ok: false, status: 503, durationMs: 1, headers: { 'retry-after': '0' } },
    { ok: true, status: 200, durationMs: 1 },
  ];
  const seen: number[] = [];
  const reports = await withRetries(async () => answers.shift()!, retryPolicy(4, 1), {
    onAttempt: (r) => seen.push(r.attempt),
  });
  assert.deepEqual(
    reports.map((r) => r.status),
    [503, 200],
  );
  assert.equal(reports[0]!.retryInMs, 0, 'Retry-After: 0 means at once');
  assert.deepEqual(seen, [1, 2]);

  let calls = 0;
  const failing = await withRetries(
    async () => {
      calls++;
      return { ok: false, status: 500, durationMs: 1 };
    },
    retryPolicy(2, 1),
  );
  assert.equal(calls, 3, 'one attempt and two retries');
  assert.equal(failing.at(-1)!.retryInMs, undefined, 'no wait announced after the last attempt');

  // `done` lets an expected non-2xx (--expect-status 401) end the retries.
  calls = 0;
  const unauthorised = async () => {
    calls++;
    return { ok: false, status: 401, durationMs: 1 };
  };
  await withRetries(unauthorised, retryPolicy(4, 1), { done: (r) => r.status === 401 });
  assert.equal(calls, 1);
});

test("Blue's verdicts: only its whole policy failing disables; a health check always decides", () => {
  const outcome = (ok: boolean, attempts: number, status?: number) =>
    ({
      final: { ok, status, durationMs: 1 },
      attempts: Array.from({ length: attempts }, (_, i) => ({
        attempt: i + 1,
        ok,
        status,
        durationMs: 1,
      })),
    }) as unknown as DeliveryOutcome;
  assert.equal(afterDelivery(outcome(false, 5, 500), 5)?.status, 'UNHEALTHY');
  assert.equal(
    afterDelivery(outcome(false, 1, 500), 1),
    undefined,
    "--no-retry is not Blue's policy",
  );
  assert.equal(afterDelivery(outcome(false, 3, 500), 5), undefined, 'stopped early (interrupted)');
  assert.equal(afterDelivery(outcome(true, 1, 200), 5), undefined);
  assert.deepEqual(
    [
      afterHealthCheck(outcome(true, 1, 204)).enabled,
      afterHealthCheck(outcome(false, 1, 500)).enabled,
    ],
    [true, false],
  );
});

test('copies of deliveries: each logical delivery k times, shuffled or in order', () => {
  assert.deepEqual(copiesOrder(3, 2, false), [0, 0, 1, 1, 2, 2]);
  let seed = 7;
  const random = () => {
    seed = (seed * 16807) % 2147483647;
    return seed / 2147483647;
  };
  const shuffled = copiesOrder(50, 3, true, random);
  assert.equal(shuffled.length, 150);
  assert.deepEqual(
    [...shuffled].sort((a, b) => a - b),
    copiesOrder(50, 3, false),
    'the same multiset',
  );
  assert.notDeepEqual(shuffled, copiesOrder(50, 3, false));
});

test('sending threads: a second one only with cores to spare and a run worth it', () => {
  const rows: Array<[number, number | undefined, number, number]> = [
    [50, 20_000, 2, 1],
    [50, 20_000, 4, 2],
    [50, undefined, 8, 2],
    [2, 20_000, 8, 1],
    [50, 999, 8, 1],
  ];
  for (const [concurrency, count, cores, threads] of rows)
    assert.equal(
      defaultThreads(concurrency, count, cores),
      threads,
      `${concurrency}/${count}/${cores}`,
    );
});

const recorded = (
  headers: Record<string, string>,
  extra: Partial<DeliveryRecord> = {},
): DeliveryRecord =>
  ({
    id: 'd1',
    direction: 'out',
    time: '2026-01-01T00:00:00Z',
    event: 'TODO_CREATED',
    webhookId: 'w1',
    url: 'http://127.0.0.1:9/',
    method: 'POST',
    headers,
    ...encodeBody(Buffer.from('{"a":1}')),
    ...extra,
  }) as DeliveryRecord;

test('replay: verbatim keeps the signature; --resign signs in the scheme the record shows', async () => {
  const blue = getScheme('blue');
  const sw = getScheme('standard-webhooks');
  const secret = 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw';
  const bodyHeaders = { 'content-type': 'application/json', connection: 'keep-alive' };
  const asSw = recorded({
    ...bodyHeaders,
    ...sw.sign(Buffer.from('{"a":1}'), secret, { id: 'msg_1', timestamp: 1_700_000_000 }),
  });
  const asBlue = recorded({ ...bodyHeaders, ...blue.sign(Buffer.from('{"a":1}'), 'old') });

  assert.equal(recordedScheme(asSw)?.name, 'standard-webhooks');
  assert.equal(recordedScheme(asBlue)?.name, 'blue');
  assert.equal(recordedScheme(recorded(bodyHeaders)), undefined);

  const verbatim = replayRequest(asBlue, new URL('http://127.0.0.1:1/'));
  assert.equal(verbatim.headers['x-signature'], asBlue.headers['x-signature']);
  assert.equal(verbatim.headers.connection, undefined, 'hop-by-hop headers are not replayed');

  const secretOf = async () => secret;
  const [resigned] = await replayRequests([asSw], { resign: { fallback: blue, secretOf } });
  assert.ok(resigned!.headers['webhook-signature'], 'still a standard-webhooks delivery');
  assert.equal(resigned!.headers['x-signature'], undefined);
  assert.ok(sw.verify(resigned!.body, secret, resigned!.headers).valid);

  const [forced] = await replayRequests([asSw], {
    resign: { scheme: blue, fallback: blue, secretOf },
  });
  assert.ok(blue.verify(forced!.body, secret, forced!.headers).valid, '--scheme overrides');
  assert.equal(
    forced!.headers['webhook-signature'],
    undefined,
    "the old scheme's headers are dropped",
  );

  await assert.rejects(
    replayRequests([recorded(bodyHeaders, { direction: 'in', url: undefined })], {}),
    /was received, not sent: say where to send it/,
  );
  await assert.rejects(
    replayRequests([asBlue], { resign: { fallback: blue, secretOf: async () => null } }),
    /needs a secret/,
  );
});

test('deliver-and-record: every outcome recorded before it is returned, or only the failed ones', async (t) => {
  const { recorded } = await import('../../src/delivery/recorded.js');
  const { SqliteHistory } = await import('../../src/history/sqlite.js');
  const { closeDatabase } = await import('../../src/db/database.js');
  const { mkdtempSync, rmSync } = await import('node:fs');
  const { tmpdir } = await import('node:os');
  const { join } = await import('node:path');
  const dir = mkdtempSync(join(tmpdir(), 'bluehook-recorded-'));
  const history = new SqliteHistory(dir, 'normal');
  t.after(async () => {
    await history.close();
    closeDatabase(dir);
    rmSync(dir, { recursive: true, force: true });
  });
  let n = 0;
  // The delivery the composition wraps: answers as told, so both verdicts are recorded or not.
  const answering = (expected: boolean) => async (): Promise<DeliveryOutcome> => {
    const record: DeliveryRecord = {
      id: `d${++n}`,
      direction: 'out',
      time: new Date().toISOString(),
      event: 'TODO_CREATED',
      url: 'http://127.0.0.1:1/',
      method: 'POST',
      headers: {},
      ...encodeBody(Buffer.from('{}')),
      ok: expected,
    };
    const final = { attempt: 1, ok: expected, status: expected ? 200 : 500, durationMs: 1 };
    return { attempts: [final], final, expected, unreachable: false, record, id: record.id };
  };
  const request = {
    url: new URL('http://127.0.0.1:1/'),
    event: 'TODO_CREATED',
    webhookId: null,
    body: Buffer.from('{}'),
    headers: {},
  };
  const options = {} as Parameters<ReturnType<typeof recorded>>[1];
  const all = recorded({ history }, answering(true));
  const outcome = await all(request, options);
  assert.equal(await history.count({ ids: [outcome.record.id] }), 1, 'recorded when returned');
  const failedOnly = recorded({ history, failedOnly: true }, answering(true));
  const good = await failedOnly(request, options);
  assert.equal(await history.count({ ids: [good.record.id] }), 0, 'a good one is not recorded');
  const bad = await recorded({ history, failedOnly: true }, answering(false))(request, options);
  assert.equal(await history.count({ ids: [bad.record.id] }), 1, 'a failed one is');
  const none = recorded({}, answering(false));
  assert.equal((await none(request, options)).record.id, `d${n}`, 'no history: delivered only');
  assert.equal(await history.count(), 2);
});

test("a load run's --json line is what JSON.stringify of its fields writes, for every kind of outcome", async () => {
  const { deliveryLine } = await import('../../src/delivery/load-job.js');
  const outcomes = [
    {
      status: 204,
      ok: true,
      durationMs: 1.23456,
      expected: true,
      error: undefined,
      event: 'TODO_CREATED',
    },
    {
      status: undefined,
      ok: false,
      durationMs: 7000,
      expected: false,
      error: { kind: 'timeout', message: 'timed out' },
      event: null,
    },
    {
      status: 500,
      ok: false,
      durationMs: 0,
      expected: true,
      error: undefined,
      event: 'we"ird\\event\u2028',
    },
  ];
  for (const [i, o] of outcomes.entries()) {
    const final = {
      attempt: 2,
      ok: o.ok,
      status: o.status,
      durationMs: o.durationMs,
      error: o.error,
    };
    const outcome = {
      attempts: [final, final],
      final,
      expected: o.expected,
      unreachable: o.status === undefined,
      id: `dtest${i}`,
    } as unknown as DeliveryOutcome;
    const line = deliveryLine(i * 7, o.event, outcome);
    assert.equal(
      line,
      JSON.stringify({
        type: 'delivery',
        index: i * 7,
        id: `dtest${i}`,
        event: o.event,
        status: o.status ?? null,
        ok: o.ok,
        expected: o.expected,
        durationMs: Math.round(o.durationMs * 100) / 100,
        attempts: 2,
        error: o.error?.kind ?? null,
      }),
    );
  }
});
