/**
 * Unit tests of the check suite's pure parts: what each check sends (signatures checked with
 * node:crypto, apart from the code under test), how answers are judged, the selection of checks,
 * the JUnit XML, and the run's scheduling with a transport that answers in memory (no socket).
 */
import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { test } from 'node:test';
import { XMLParser, XMLValidator } from 'fast-xml-parser';
import { EVENTS, HEALTH_CHECK } from '../../src/blue/catalogue.js';
import {
  BURST_CONNECTIONS,
  CHECKS,
  CHECK_IDS,
  LARGE_TEXT_BYTES,
  baseEvent,
  describeAnswers,
  genuineEvents,
  percentiles,
  selectChecks,
  type Answer,
  type SuiteContext,
} from '../../src/check/checks.js';
import { junitXml, xmlEscape } from '../../src/check/junit.js';
import { runChecks, type CheckEvent, type CheckRunResult } from '../../src/check/run.js';
import type { CheckRequest, CheckTransport } from '../../src/check/transport.js';
import type { DeliveryOutcome } from '../../src/delivery/deliver.js';
import { BLUE_WORKER_CONNECTIONS } from '../../src/delivery/retry.js';
import { BluehookError } from '../../src/errors.js';

const SECRET = 'unit-secret';
const hex = (body: Buffer, secret = SECRET) =>
  createHmac('sha256', secret).update(body).digest('hex');
const ctx: SuiteContext = {
  secret: SECRET,
  timeoutMs: 300,
  events: genuineEvents([]),
  payload: { seed: 'unit', webhook: { url: 'http://127.0.0.1:1/hook' } },
  burst: 4,
  userAgent: 'unit',
};
const byId = (id: string) => CHECKS.find((c) => c.id === id)!;
const requestsOf = (id: string) => byId(id).build(ctx).sequences.flat();
const signatureOf = (r: CheckRequest) => r.headers['x-signature'];

test('selection: --only and --skip, comma lists, globs, case; unknown names suggest', () => {
  assert.deepEqual([...selectChecks([], [])], CHECK_IDS);
  assert.deepEqual([...selectChecks(['timeout,GENUINE'], [])].sort(), ['genuine', 'timeout']);
  const forgeries = [...selectChecks(['forgery-*'], ['forgery-long-signature'])];
  assert.equal(forgeries.length, 6);
  assert.ok(forgeries.every((id) => id.startsWith('forgery-')));
  assert.equal(selectChecks([], ['*']).size, 0);
  assert.equal(selectChecks([], ['burst', 'timeout']).size, CHECK_IDS.length - 2);
  for (const bad of [['burts'], ['nothing-*']]) {
    assert.throws(
      () => selectChecks(bad, []),
      (e) => e instanceof BluehookError && e.category === 'usage',
    );
  }
  assert.throws(() => selectChecks(['burts'], []), /did you mean burst/);
  assert.throws(() => selectChecks([], ['genuin']), /unknown check "genuin"/);
});

test('genuine events: every event and the health check, or the subscribed ones and the health check', () => {
  assert.deepEqual(
    genuineEvents([]),
    EVENTS.map((e) => e.name),
  );
  assert.equal(genuineEvents([]).length, 38);
  assert.deepEqual(genuineEvents(['TODO_DELETED', 'TODO_CREATED']), [
    'TODO_CREATED',
    'TODO_DELETED',
    HEALTH_CHECK,
  ]);
  assert.equal(baseEvent(genuineEvents([])), 'TODO_CREATED');
  assert.equal(baseEvent(['COMMENT_CREATED', HEALTH_CHECK]), 'COMMENT_CREATED');
  assert.equal(baseEvent([HEALTH_CHECK]), 'TODO_CREATED');
});

test('the burst has as many in flight as the emulator’s worker has connections', () => {
  assert.equal(BURST_CONNECTIONS, BLUE_WORKER_CONNECTIONS);
  assert.equal(BURST_CONNECTIONS, 8);
  assert.equal(requestsOf('burst').length, ctx.burst);
  assert.match(byId('burst').build(ctx).sent, /8 in flight at once/);
});

test('percentiles: nearest rank', () => {
  assert.equal(percentiles([]), null);
  assert.deepEqual(percentiles([5]), { p50: 5, p99: 5 });
  const hundred = Array.from({ length: 100 }, (_, i) => 100 - i);
  assert.deepEqual(percentiles(hundred), { p50: 50, p99: 99 });
});

test('genuine requests are signed as Blue signs them; forgeries are not', () => {
  for (const id of [
    'genuine',
    'reserialisation',
    'duplicates',
    'order',
    'large-body',
    'burst',
    'non-json-body',
    'empty-body',
    'unknown-event',
    'timeout',
  ]) {
    for (const r of requestsOf(id)) {
      assert.equal(signatureOf(r), hex(r.body), `${id}: ${r.label}`);
      assert.equal(r.method, 'POST');
    }
  }
  const put = requestsOf('method-not-post')[0]!;
  assert.equal(put.method, 'PUT');
  assert.equal(signatureOf(put), hex(put.body));

  const one = (id: string) => requestsOf(id)[0]!;
  assert.equal(
    signatureOf(one('forgery-wrong-secret')),
    hex(one('forgery-wrong-secret').body, `${SECRET}-not-it`),
  );
  assert.equal(signatureOf(one('forgery-no-signature')), undefined);
  assert.equal(signatureOf(one('forgery-empty-signature')), '');
  const other = one('forgery-other-body');
  assert.match(String(signatureOf(other)), /^[0-9a-f]{64}$/);
  assert.notEqual(signatureOf(other), hex(other.body));
  // Another body whatever the event: a webhook subscribed to TODO_DELETED alone gets a TODO_CREATED's signature.
  const onlyDeleted = { ...ctx, events: genuineEvents(['TODO_DELETED']) };
  const deletedForgery = byId('forgery-other-body').build(onlyDeleted).sequences[0]![0]!;
  assert.equal(JSON.parse(deletedForgery.body.toString()).event, 'TODO_DELETED');
  assert.notEqual(signatureOf(deletedForgery), hex(deletedForgery.body));
  // One byte differs from a body the signature is right for.
  const changed = one('forgery-body-changed');
  const original = requestsOf('forgery-no-signature')[0]!.body;
  assert.equal(changed.body.length, original.length);
  assert.equal([...changed.body].filter((b, i) => b !== original[i]).length, 1);
  assert.equal(signatureOf(changed), hex(original));
  JSON.parse(changed.body.toString());
  assert.equal(signatureOf(one('forgery-truncated-signature')), hex(original).slice(0, 32));
  assert.equal(signatureOf(one('forgery-long-signature')), hex(original).repeat(128));
  assert.equal(signatureOf(one('signature-sha256-prefix')), `sha256=${hex(original)}`);
  assert.equal(signatureOf(one('signature-upper-case')), hex(original).toUpperCase());
  assert.deepEqual(signatureOf(one('signature-duplicated-header')), [
    '0'.repeat(64),
    hex(original),
  ]);
});

test('what the other checks send: bodies that break re-serialisation, copies, order, size, an unknown event', () => {
  const variants = requestsOf('reserialisation');
  const roundTrip = (b: Buffer) => Buffer.from(JSON.stringify(JSON.parse(b.toString('utf8'))));
  // Valid JSON, each; JavaScript's round trip keeps raw non-ASCII text and changes the rest.
  assert.deepEqual(
    variants.map((r) => roundTrip(r.body).equals(r.body)),
    [true, false, false, false],
  );
  const [nonAscii, escapes, slashes, numbers] = variants.map((r) => r.body.toString('utf8'));
  assert.match(nonAscii!, /Café.*東京.*🚀/);
  assert.match(escapes!, /Caf\\u00e9/);
  assert.ok(slashes!.includes('\\/') && slashes!.includes('\u2028'));
  assert.match(numbers!, /:1\.0[,}]/);
  assert.match(numbers!, /:1e3[,}]/);

  const [first, second] = requestsOf('duplicates');
  assert.ok(first!.body.equals(second!.body));
  assert.equal(signatureOf(first!), signatureOf(second!));
  assert.equal(byId('duplicates').build(ctx).sequences.length, 1, 'one after the other');

  const [deleted, renamed] = requestsOf('order').map((r) => JSON.parse(r.body.toString()));
  assert.equal(deleted.event, 'TODO_DELETED');
  assert.equal(renamed.event, 'TODO_NAME_CHANGED');
  assert.equal(renamed.currentValue.id, deleted.previousValue.id);
  assert.deepEqual(byId('order').needs, ['TODO_DELETED', 'TODO_NAME_CHANGED']);

  const large = JSON.parse(requestsOf('large-body')[0]!.body.toString());
  assert.equal(large.currentValue.text.length, LARGE_TEXT_BYTES);
  assert.equal(requestsOf('burst').length, ctx.burst);
  assert.equal(JSON.parse(requestsOf('unknown-event')[0]!.body.toString()).event, 'TODO_ARCHIVED');
  assert.ok(!EVENTS.some((e) => e.name === 'TODO_ARCHIVED'));
  assert.equal(requestsOf('genuine').length, 38);
});

const answer = (status?: number, extra: Partial<Answer> = {}): Answer => ({
  label: `answer ${status ?? extra.error?.kind ?? 'none'}`,
  sent: true,
  status,
  durationMs: 5,
  ...extra,
});
const timedOut = answer(undefined, { error: { kind: 'timeout', message: 'timed out' } });
const reset = answer(undefined, {
  error: { kind: 'reset', message: 'connection reset or closed by the target' },
});
const notSent: Answer = { label: 'not sent', sent: false };

test('judging answers: each kind of check against each kind of answer', () => {
  const rows: Array<[string, Answer[], string, RegExp?]> = [
    ['forgery-wrong-secret', [answer(401)], 'pass'],
    ['forgery-wrong-secret', [answer(200)], 'fail', /accepted a forged delivery/],
    ['forgery-wrong-secret', [answer(500)], 'fail', /crashed instead of refusing/],
    ['forgery-wrong-secret', [answer(302)], 'fail', /neither accepted nor refused/],
    ['forgery-wrong-secret', [timedOut], 'fail', /7 s/],
    ['forgery-wrong-secret', [notSent], 'skipped', /stopped sending/],
    ['signature-upper-case', [answer(403)], 'pass'],
    ['signature-upper-case', [answer(204)], 'warn', /form Blue never sends/],
    ['genuine', [answer(200), answer(204)], 'pass'],
    ['genuine', [answer(200), answer(500)], 'fail', /refused genuine deliveries/],
    ['genuine', [answer(200), timedOut], 'fail', /Blue waits 7 s/],
    ['genuine', [answer(200), reset], 'fail', /connection failed/],
    ['genuine', [answer(200), answer(308)], 'fail', /Blue does not follow redirects/],
    ['genuine', [answer(200), notSent], 'skipped'],
    ['genuine', [answer(500), notSent], 'fail'],
    ['reserialisation', [answer(200), answer(401)], 'fail', /re-serialised body/],
    ['duplicates', [answer(200), answer(200)], 'warn', /no timestamp/],
    ['duplicates', [answer(200), answer(409)], 'fail', /copy/],
    ['order', [answer(200), answer(200)], 'pass'],
    ['order', [answer(200), answer(404)], 'warn', /retries/],
    ['order', [answer(200), answer(500)], 'fail', /crashed/],
    ['non-json-body', [answer(400)], 'pass'],
    ['non-json-body', [answer(200)], 'warn', /not JSON/],
    ['non-json-body', [answer(500)], 'fail', /crashed/],
    ['non-json-body', [reset], 'fail', /connection failed/],
    ['method-not-post', [answer(405)], 'pass'],
    ['method-not-post', [answer(200)], 'warn', /PUT/],
    ['unknown-event', [answer(200)], 'pass'],
    ['unknown-event', [answer(400)], 'fail', /does not know/],
    ['large-body', [answer(413)], 'fail', /size/],
  ];
  for (const [id, answers, status, meaning] of rows) {
    const verdict = byId(id).evaluate(answers, ctx, answers);
    assert.equal(verdict.status, status, `${id} ${answers.map((a) => a.label).join(',')}`);
    if (meaning) assert.match(verdict.meaning ?? '', meaning, id);
    if (status === 'fail' || status === 'warn') assert.ok(verdict.fix, `${id} says how to fix it`);
  }
  assert.equal(byId('reserialisation').evaluate([answer(401)], ctx, []).cause, 'body-reserialised');
  // The answers that made a check fail or warn are marked (the table lists their records).
  const flaggedBy = (id: string, answers: Answer[]) =>
    byId(id).evaluate(answers, ctx, answers).flagged;
  assert.deepEqual(flaggedBy('order', [answer(200), answer(404)]), [false, true]);
  assert.deepEqual(flaggedBy('genuine', [answer(500), answer(200), timedOut]), [true, false, true]);
  assert.deepEqual(flaggedBy('method-not-post', [answer(200)]), [true]);
  assert.deepEqual(flaggedBy('forgery-empty-signature', [answer(200)]), [true]);
  assert.equal(flaggedBy('genuine', [answer(200)]), undefined);

  // The timeout check looks at every answer of the run.
  const timeout = byId('timeout');
  assert.deepEqual(
    timeout.evaluate([answer(200, { durationMs: 12 })], ctx, [answer(200, { durationMs: 1500 })]),
    {
      status: 'pass',
      got: 'slowest answer 1.5 s',
    },
  );
  const late = timeout.evaluate([answer(200)], ctx, [answer(200), timedOut, timedOut]);
  assert.equal(late.status, 'fail');
  assert.equal(late.got, '2 of 3 requests unanswered after 300 ms');
  assert.match(late.meaning!, /Blue waits 7 s/);
  assert.equal(timeout.evaluate([notSent], ctx, [notSent]).status, 'skipped');
});

test('answers described: one, grouped, labelled when they stand out', () => {
  assert.equal(describeAnswers([answer(401)]), '401');
  assert.equal(describeAnswers([timedOut]), 'timed out');
  const many = [answer(200), answer(200), { ...answer(500), label: 'WEBHOOK_HEALTH_CHECK' }];
  assert.equal(describeAnswers(many), '2× 200, 1× 500');
  assert.equal(
    describeAnswers(many, (a) => a.status === 500),
    '2× 200, 1× 500 (WEBHOOK_HEALTH_CHECK)',
  );
  const labelled = Array.from({ length: 5 }, (_, i) => ({ ...answer(500), label: `e${i}` }));
  assert.equal(
    describeAnswers(labelled, () => true),
    '5× 500 (e0, e1, e2, …)',
  );
});

function fakeRun(results: CheckRunResult['results']): CheckRunResult {
  const counts = { pass: 0, fail: 0, warn: 0, skipped: 0, total: results.length };
  for (const r of results) counts[r.status]++;
  return {
    runId: 'run-1',
    url: 'http://127.0.0.1:1/hook?a=1&b=<2>',
    timeoutMs: 300,
    concurrency: 8,
    burst: 32,
    results,
    counts,
    latencyMs: null,
    unreachable: null,
    sentRequests: 1,
    elapsedMs: 1234,
  };
}

test('JUnit XML: well-formed whatever the receiver answered, one <testcase> per check', () => {
  assert.equal(xmlEscape(`<a href="x">&'`), '&lt;a href=&quot;x&quot;&gt;&amp;&apos;');
  assert.equal(
    xmlEscape('bell\u0007 nul\u0000 tab\t lone\ud800 ok🚀'),
    'bell\uFFFD nul\uFFFD tab\t lone\uFFFD ok🚀',
  );
  const hostile = 'got <b>"&</b>\u0000\u001b[31m]]>';
  const xml = junitXml(
    fakeRun([
      {
        id: 'genuine',
        title: 'A',
        why: 'w',
        status: 'pass',
        sent: 's',
        got: '38× 200',
        durationMs: 20,
        requests: [],
      },
      {
        id: 'forgery-wrong-secret',
        title: 'B',
        why: 'w',
        status: 'fail',
        sent: 's',
        got: hostile,
        meaning: 'accepted a forged delivery',
        fix: 'verify',
        durationMs: 3,
        requests: [{ label: hostile, sent: true, status: 200, recordId: 'd1', durationMs: 3 }],
      },
      {
        id: 'duplicates',
        title: 'C',
        why: 'w',
        status: 'warn',
        sent: 's',
        got: '2× 200',
        meaning: 'm',
        fix: 'f',
        durationMs: 1,
        requests: [],
      },
      {
        id: 'order',
        title: 'D',
        why: 'w',
        status: 'skipped',
        sent: 's',
        got: 'not sent',
        meaning: 'not selected',
        durationMs: 0,
        requests: [],
      },
    ]),
    new Date('2026-01-02T03:04:05Z'),
  );
  assert.equal(XMLValidator.validate(xml), true);
  const doc = new XMLParser({ ignoreAttributes: false, attributeNamePrefix: '' }).parse(xml);
  const suite = doc.testsuites.testsuite;
  assert.deepEqual(
    [suite.tests, suite.failures, suite.skipped, suite.errors, suite.timestamp, suite.time],
    ['4', '1', '1', '0', '2026-01-02T03:04:05', '1.234'],
  );
  assert.deepEqual(
    suite.testcase.map((c: { name: string }) => c.name),
    ['genuine', 'forgery-wrong-secret', 'duplicates', 'order'],
  );
  const failed = suite.testcase[1];
  assert.equal(failed.failure.message, 'B: accepted a forged delivery');
  assert.ok(failed.failure['#text'].includes('got <b>"&</b>\uFFFD\uFFFD[31m]]>'));
  assert.equal(suite.testcase[3].skipped.message, 'not selected');
  assert.match(suite.testcase[2]['system-out'], /^warning: C/);
});

/** A transport that answers in memory, in the order given by `answerFor`, and notes each call. */
function memoryTransport(
  answerFor: (
    request: CheckRequest,
    n: number,
  ) => { status?: number; kind?: 'timeout' | 'refused' },
): { transport: CheckTransport; calls: Array<{ check: string; label: string }> } {
  const calls: Array<{ check: string; label: string }> = [];
  const transport: CheckTransport = async (_url, request, mark) => {
    const n = calls.push({ check: mark.check, label: request.label });
    await Promise.resolve();
    const a = answerFor(request, n);
    return {
      final: {
        attempt: 1,
        ok: a.status !== undefined && a.status < 300,
        status: a.status,
        durationMs: 1,
        error: a.kind
          ? { kind: a.kind, message: a.kind === 'timeout' ? 'timed out' : 'connection refused' }
          : undefined,
      },
      record: { id: `d${n}` },
    } as unknown as DeliveryOutcome;
  };
  return { transport, calls };
}

const run = (transport: CheckTransport, selected = new Set(CHECK_IDS)) => {
  const events: CheckEvent[] = [];
  return runChecks(
    { url: new URL('http://127.0.0.1:1/hook'), suite: ctx, selected, transport },
    (e) => events.push(e),
  ).then((result) => ({ result, events }));
};

test('the run: the timeout check probes first, the burst goes last, sequences stay in order', async () => {
  const { transport, calls } = memoryTransport((r) => ({
    status: r.headers['x-signature'] === hex(r.body) ? 200 : 401,
  }));
  const { result, events } = await run(transport);
  assert.equal(calls[0]!.check, 'timeout');
  const burstCalls = calls.map((c, i) => (c.check === 'burst' ? i : -1)).filter((i) => i >= 0);
  assert.equal(burstCalls.length, ctx.burst);
  assert.equal(burstCalls[0], calls.length - ctx.burst, 'the burst goes after everything else');
  const copies = calls.filter((c) => c.check === 'duplicates').map((c) => c.label);
  assert.deepEqual(copies, ['TODO_CREATED (copy 1 of 2)', 'TODO_CREATED (copy 2 of 2)']);
  assert.equal(result.sentRequests, calls.length);
  assert.equal(result.counts.fail, 0);
  assert.equal(events.filter((e) => e.type === 'result').length, CHECK_IDS.length);
  assert.equal(events.at(-1)!.type, 'result');
});

test('the run stops sending after 3 unanswered in a row, and stops at once when the first cannot connect', async () => {
  const slow = memoryTransport(() => ({ kind: 'timeout' }));
  const stopped = await run(slow.transport);
  // At most: the probe, 8 in flight, and one more for each of the 2 timeouts before the third.
  assert.ok(slow.calls.length <= 1 + 8 + 2, `sent ${slow.calls.length}`);
  assert.ok(stopped.events.some((e) => e.type === 'stopped-sending'));
  assert.equal(stopped.result.unreachable, null);
  assert.equal(stopped.result.results.find((r) => r.id === 'timeout')!.status, 'fail');
  assert.ok(stopped.result.counts.skipped > 0);

  const dead = memoryTransport(() => ({ kind: 'refused' }));
  const unreachable = await run(dead.transport);
  assert.equal(dead.calls.length, 1);
  assert.equal(unreachable.result.unreachable, 'connection refused');
  assert.equal(unreachable.result.counts.skipped, CHECK_IDS.length);

  // Answers in between reset the count: a few slow requests do not stop the run.
  const flaky = memoryTransport((_r, n) => (n % 3 === 0 ? { kind: 'timeout' } : { status: 200 }));
  const kept = await run(flaky.transport, new Set(['genuine']));
  assert.equal(flaky.calls.length, 38);
  assert.equal(kept.result.results.find((r) => r.id === 'genuine')!.status, 'fail');
});

test('checks not selected, or needing events the webhook does not get, are skipped saying why', async () => {
  const { transport } = memoryTransport(() => ({ status: 200 }));
  const result = await runChecks(
    {
      url: new URL('http://127.0.0.1:1/hook'),
      suite: { ...ctx, events: genuineEvents(['TODO_CREATED', 'TODO_DELETED']) },
      selected: new Set(['order', 'genuine']),
      transport,
    },
    () => undefined,
  );
  const byResult = (id: string) => result.results.find((r) => r.id === id)!;
  assert.equal(byResult('genuine').status, 'pass');
  assert.equal(byResult('genuine').requests.length, 3);
  assert.match(byResult('order').meaning!, /not subscribed to TODO_NAME_CHANGED/);
  assert.match(byResult('burst').meaning!, /not selected/);
  assert.ok(result.latencyMs);
});
