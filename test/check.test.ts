/**
 * `bluehook check` end to end: the built CLI against receivers written here (never bluehook's own),
 * each on 127.0.0.1 on a free port: a correct one, one that accepts everything, one that verifies a
 * re-serialised body, one slower than the deadline, one that 500s on events it does not know. The
 * JUnit file is parsed and compared with the table and --json; the history holds every request.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { timingSafeEqual } from 'node:crypto';
import { readFileSync, statSync, writeFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { test } from 'node:test';
import { XMLParser, XMLValidator } from 'fast-xml-parser';
import { SUBSCRIBABLE_EVENTS } from '../src/blue/catalogue.js';
import { CHECK_IDS, genuineEvents } from '../src/check/checks.js';
import { runChecks, type CheckEvent } from '../src/check/run.js';
import { createTransport } from '../src/check/transport.js';
import { HttpClient } from '../src/delivery/http.js';
import { SqliteHistory } from '../src/history/sqlite.js';
import { BIN, ROOT, deadPort, hmac, jsonLines, runCli, tempDir } from './helpers.js';

const SECRET = 'whsec_check-suite-secret-0123456789';

interface Receiver {
  url: string;
  received: Array<{ method: string; headers: IncomingMessage['headers']; body: Buffer }>;
  close(): Promise<void>;
}

type Handler = (
  req: { method: string; headers: IncomingMessage['headers']; body: Buffer },
  res: ServerResponse,
) => void;

async function serve(handle: Handler): Promise<Receiver> {
  const received: Receiver['received'] = [];
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const entry = { method: req.method!, headers: req.headers, body: Buffer.concat(chunks) };
      received.push(entry);
      handle(entry, res);
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/webhooks/blue`,
    received,
    close: () =>
      new Promise<void>((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
}

/** Verification as it should be done: the raw bytes, a length check, a constant-time compare. */
function verifies(secret: string, signed: Buffer, header: string | string[] | undefined): boolean {
  if (typeof header !== 'string') return false;
  const expected = Buffer.from(hmac(secret, signed));
  const given = Buffer.from(header);
  return given.length === expected.length && timingSafeEqual(given, expected);
}

/**
 * A receiver in the shape most are written: POST only, verify, parse, handle. `signedBytes` says
 * what it verifies (the raw body, or a re-serialised one); `onEvent` answers a parsed delivery.
 */
function receiverLogic(
  signedBytes: (body: Buffer) => Buffer,
  onEvent: (event: unknown, res: ServerResponse) => void = (_e, res) => res.writeHead(200).end(),
): Handler {
  return (req, res) => {
    if (req.method !== 'POST') return void res.writeHead(405).end();
    let signed: Buffer;
    try {
      signed = signedBytes(req.body);
    } catch {
      return void res.writeHead(400).end('not JSON');
    }
    if (!verifies(SECRET, signed, req.headers['x-signature']))
      return void res.writeHead(401).end('bad signature');
    let parsed: { event?: unknown };
    try {
      parsed = JSON.parse(req.body.toString('utf8'));
    } catch {
      return void res.writeHead(400).end('not JSON');
    }
    if (!parsed || typeof parsed !== 'object') return void res.writeHead(400).end();
    onEvent(parsed.event, res);
  };
}

const correct = () => receiverLogic((body) => body);
const reserialising = () =>
  receiverLogic((body) => Buffer.from(JSON.stringify(JSON.parse(body.toString('utf8')))));
const KNOWN = new Set(SUBSCRIBABLE_EVENTS);
const strictAboutEvents = () =>
  receiverLogic(
    (body) => body,
    (event, res) =>
      KNOWN.has(event as string)
        ? res.writeHead(200).end()
        : res.writeHead(500).end('unknown event'),
  );

interface CheckJson {
  runId: string;
  url: string;
  exitCode: number;
  summary: { pass: number; fail: number; warn: number; skipped: number; total: number };
  latencyMs: { p50: number; p99: number } | null;
  unreachable: string | null;
  sentRequests: number;
  checks: Array<{
    id: string;
    status: string;
    sent: string;
    got: string;
    meaning: string | null;
    fix: string | null;
    cause: string | null;
    diagnosis: string | null;
    requests: Array<{
      recordId: string | null;
      status: number | null;
      sent: boolean;
      asExpected: boolean | null;
    }>;
  }>;
}

interface JunitCase {
  name: string;
  failure?: { message: string };
  skipped?: unknown;
}

/** The JUnit file, checked well-formed, as counts and test cases. */
function readJunit(file: string) {
  const xml = readFileSync(file, 'utf8');
  assert.equal(XMLValidator.validate(xml), true, 'the JUnit file is well-formed XML');
  const doc = new XMLParser({
    ignoreAttributes: false,
    attributeNamePrefix: '',
    isArray: (name) => name === 'testcase' || name === 'property',
  }).parse(xml) as {
    testsuites: {
      tests: string;
      failures: string;
      skipped: string;
      testsuite: {
        tests: string;
        failures: string;
        skipped: string;
        testcase: JunitCase[];
      };
    };
  };
  const suite = doc.testsuites.testsuite;
  const cases = suite.testcase;
  return {
    xml,
    tests: Number(suite.tests),
    failures: Number(suite.failures),
    skipped: Number(suite.skipped),
    cases,
    failed: cases.filter((c) => c.failure !== undefined).map((c) => c.name),
    skippedNames: cases.filter((c) => c.skipped !== undefined).map((c) => c.name),
    totals: {
      tests: Number(doc.testsuites.tests),
      failures: Number(doc.testsuites.failures),
      skipped: Number(doc.testsuites.skipped),
    },
  };
}

/** The table's rows (stdout): status and check id. */
function tableRows(stdout: string): Array<{ status: string; id: string }> {
  const word = { '✔ pass': 'pass', '✘ fail': 'fail', '! warn': 'warn', '- skip': 'skipped' };
  return stdout
    .split('\n')
    .map((l) => /^(✔ pass|✘ fail|! warn|- skip) {2}(\S+) {2}/.exec(l))
    .filter((m): m is RegExpExecArray => m !== null)
    .map((m) => ({ status: word[m[1] as keyof typeof word], id: m[2]! }));
}

const idsWith = (doc: CheckJson, status: string) =>
  doc.checks.filter((c) => c.status === status).map((c) => c.id);

async function check(
  url: string,
  dir: string,
  extra: string[] = [],
): Promise<{
  code: number | null;
  doc: CheckJson;
  stderr: string;
  junit: ReturnType<typeof readJunit>;
}> {
  const junitFile = join(dir, `junit-${Math.random().toString(36).slice(2)}.xml`);
  const r = await runCli(
    [
      '--store-dir',
      dir,
      'check',
      url,
      '--secret-file',
      join(dir, 'secret.txt'),
      '--json',
      '--junit',
      junitFile,
      ...extra,
    ],
    { timeoutMs: 120_000 },
  );
  assert.ok(r.stdout.trim().startsWith('{'), `a JSON document on stdout: ${r.stderr}`);
  const doc = JSON.parse(r.stdout) as CheckJson;
  assert.equal(doc.exitCode, r.code, 'the document says the exit code');
  const junit = readJunit(junitFile);
  // The JUnit file says what --json says.
  assert.equal(junit.tests, doc.summary.total);
  assert.equal(junit.failures, doc.summary.fail);
  assert.equal(junit.skipped, doc.summary.skipped);
  assert.deepEqual(junit.totals, {
    tests: doc.summary.total,
    failures: doc.summary.fail,
    skipped: doc.summary.skipped,
  });
  assert.deepEqual(
    junit.cases.map((c) => c.name),
    doc.checks.map((c) => c.id),
    'one <testcase> per check, named by its id',
  );
  assert.deepEqual(junit.failed, idsWith(doc, 'fail'));
  assert.deepEqual(junit.skippedNames, idsWith(doc, 'skipped'));
  // The secret never leaves the secret file.
  for (const text of [r.stdout, r.stderr, junit.xml]) assert.ok(!text.includes(SECRET));
  return { code: r.code, doc, stderr: r.stderr, junit };
}

function setUp(t: { after(fn: () => unknown): void }) {
  const dir = tempDir('bluehook-check-');
  t.after(dir.cleanup);
  writeFileSync(join(dir.path, 'secret.txt'), `${SECRET}\n`, { mode: 0o600 });
  return dir.path;
}

test('a correct receiver passes every check (exit 0); table, --json and JUnit agree; the history holds the run', async (t) => {
  const dir = setUp(t);
  const receiver = await serve(correct());
  t.after(receiver.close);

  const { code, doc } = await check(receiver.url, dir);
  assert.equal(code, 0);
  assert.deepEqual(idsWith(doc, 'fail'), []);
  assert.deepEqual(idsWith(doc, 'skipped'), []);
  // Both copies of a delivery are accepted; the warning is about replays, which no answer can show.
  assert.deepEqual(idsWith(doc, 'warn'), ['duplicates']);
  const duplicates = doc.checks.find((c) => c.id === 'duplicates')!;
  assert.match(duplicates.meaning!, /no timestamp/);
  assert.match(duplicates.fix!, /remember/);
  assert.deepEqual(doc.summary, { pass: 20, fail: 0, warn: 1, skipped: 0, total: 21 });
  assert.deepEqual(
    doc.checks.map((c) => c.id),
    CHECK_IDS,
  );
  assert.ok(doc.latencyMs && doc.latencyMs.p50 <= doc.latencyMs.p99);

  // What the receiver saw: every event once in the genuine check, a PUT, X-Signature twice.
  const genuine = doc.checks.find((c) => c.id === 'genuine')!;
  assert.equal(genuine.requests.length, genuineEvents([]).length);
  assert.equal(genuine.requests.length, 38);
  assert.equal(receiver.received.length, doc.sentRequests);
  assert.equal(doc.sentRequests, 94);
  assert.ok(receiver.received.some((r) => r.method === 'PUT'));
  assert.ok(
    receiver.received.some(
      (r) => r.headers['x-signature'] === `${'0'.repeat(64)}, ${hmac(SECRET, r.body)}`,
    ),
  );
  assert.ok(receiver.received.some((r) => r.body.length > 256 * 1024));
  const forged = doc.checks.find((c) => c.id === 'forgery-truncated-signature')!;
  assert.match(
    forged.diagnosis!,
    /not 64 hex characters/,
    'forgeries are described in the diagnosis vocabulary',
  );

  // The history: every request of the run, marked with its id and check.
  const listed = await runCli(['--store-dir', dir, 'deliveries', 'list', '--json']);
  assert.equal(listed.code, 0, listed.stderr);
  const records = jsonLines(listed.stdout) as Array<{
    id: string;
    checkRun: { id: string; check: string } | null;
    direction: string;
  }>;
  const ofRun = records.filter((r) => r.checkRun?.id === doc.runId);
  assert.equal(ofRun.length, doc.sentRequests);
  const recordIds = doc.checks.flatMap((c) => c.requests.map((a) => a.recordId));
  assert.deepEqual(new Set(ofRun.map((r) => r.id)), new Set(recordIds));
  for (const c of doc.checks)
    for (const a of c.requests)
      assert.equal(ofRun.find((r) => r.id === a.recordId)!.checkRun!.check, c.id);
  // The run's requests by its id, and only them.
  const byRun = await runCli([
    '--store-dir',
    dir,
    'deliveries',
    'list',
    '--json',
    '--check-run',
    doc.runId,
  ]);
  assert.equal(byRun.code, 0, byRun.stderr);
  assert.deepEqual(
    new Set((jsonLines(byRun.stdout) as Array<{ id: string }>).map((r) => r.id)),
    new Set(recordIds),
  );
  const badRun = await runCli(['--store-dir', dir, 'deliveries', 'count', '--check-run', 'run%']);
  assert.equal(badRun.code, 2);
  assert.match(badRun.stderr, /a check run is an id such as run-/);
  // A recorded request can be opened and replayed like a sent one.
  const putId = doc.checks.find((c) => c.id === 'method-not-post')!.requests[0]!.recordId!;
  const shown = await runCli(['--store-dir', dir, 'deliveries', 'show', putId, '--json']);
  const record = JSON.parse(shown.stdout) as {
    method: string;
    checkRun: unknown;
    response: { status: number };
  };
  assert.deepEqual(
    { method: record.method, checkRun: record.checkRun, status: record.response.status },
    { method: 'PUT', checkRun: { id: doc.runId, check: 'method-not-post' }, status: 405 },
  );
  // Two X-Signature headers are recorded as a receiver on Node sees them: joined by ", ".
  const twiceId = doc.checks.find((c) => c.id === 'signature-duplicated-header')!.requests[0]!
    .recordId!;
  const twice = JSON.parse(
    (await runCli(['--store-dir', dir, 'deliveries', 'show', twiceId, '--json'])).stdout,
  ) as { headers: Record<string, string> };
  assert.match(twice.headers['x-signature']!, /^0{64}, [0-9a-f]{64}$/);
  const before = receiver.received.length;
  const genuineId = genuine.requests[0]!.recordId!;
  const replayed = await runCli(['--store-dir', dir, 'replay', genuineId, '--json']);
  assert.equal(replayed.code, 0, replayed.stderr);
  assert.equal(receiver.received.length, before + 1);
  // The same bytes the check sent for that record.
  const again = receiver.received.at(-1)!;
  assert.ok(receiver.received.slice(0, before).some((x) => x.body.equals(again.body)));
});

test('the table says what --json and the JUnit file say, with the means/fix lines for failures', async (t) => {
  const dir = setUp(t);
  const receiver = await serve((_req, res) => res.writeHead(200).end('ok'));
  t.after(receiver.close);
  const junitFile = join(dir, 'bluehook-check.xml');
  const r = await runCli(['--store-dir', dir, 'check', receiver.url, '--junit', junitFile], {
    env: { BLUEHOOK_SECRET: SECRET },
  });
  assert.equal(r.code, 1);
  const rows = tableRows(r.stdout);
  assert.deepEqual(
    rows.map((x) => x.id),
    CHECK_IDS,
  );
  const junit = readJunit(junitFile);
  const counted = (s: string) => rows.filter((x) => x.status === s).length;
  assert.equal(junit.tests, rows.length);
  assert.equal(junit.failures, counted('fail'));
  assert.equal(junit.skipped, counted('skipped'));
  assert.deepEqual(
    junit.failed,
    rows.filter((x) => x.status === 'fail').map((x) => x.id),
  );
  assert.match(
    r.stdout,
    new RegExp(
      `${rows.length} checks: ${counted('pass')} passed, ${counted('fail')} failed, ${counted('warn')} warned`,
    ),
  );
  // Each failure is explained: what it means, how to fix it.
  assert.match(
    r.stdout,
    /✘ fail forgery-wrong-secret: .*\n(.*\n)*? {2}means: +accepted a forged delivery/,
  );
  assert.match(r.stdout, / {2}fix: +verify X-Signature/);
  assert.match(r.stdout, /· genuine deliveries answered in p50 [\d.]+ ms, p99 [\d.]+ ms\n/);
  assert.match(r.stderr, /requests recorded as check run run-/);
  assert.equal(statSync(junitFile).isFile(), true);
  assert.ok(!r.stdout.includes(SECRET) && !r.stderr.includes(SECRET));
});

test('a receiver that accepts everything fails every forgery check', async (t) => {
  const dir = setUp(t);
  const receiver = await serve((_req, res) => res.writeHead(200).end('ok'));
  t.after(receiver.close);
  const { code, doc } = await check(receiver.url, dir);
  assert.equal(code, 1);
  const forgeries = CHECK_IDS.filter((id) => id.startsWith('forgery-'));
  assert.equal(forgeries.length, 7);
  assert.deepEqual(idsWith(doc, 'fail'), forgeries);
  for (const id of forgeries)
    assert.match(doc.checks.find((c) => c.id === id)!.meaning!, /accepted a forged delivery/);
  // Valid signatures in forms Blue never sends, and bodies it never sends: warnings.
  for (const id of [
    'signature-sha256-prefix',
    'signature-upper-case',
    'signature-duplicated-header',
    'non-json-body',
    'empty-body',
    'method-not-post',
  ])
    assert.equal(doc.checks.find((c) => c.id === id)!.status, 'warn', id);
});

test('a receiver that verifies JSON.stringify(JSON.parse(body)) fails the re-serialisation check, and only it', async (t) => {
  const dir = setUp(t);
  const receiver = await serve(reserialising());
  t.after(receiver.close);
  const { code, doc } = await check(receiver.url, dir);
  assert.equal(code, 1);
  assert.deepEqual(idsWith(doc, 'fail'), ['reserialisation']);
  const failed = doc.checks.find((c) => c.id === 'reserialisation')!;
  assert.equal(failed.cause, 'body-reserialised');
  assert.match(failed.meaning!, /re-serialised body/);
  assert.match(failed.fix!, /verify the raw request bytes/);
  assert.match(failed.got, /401/);
  // Non-ASCII text survives JavaScript's round trip; escapes, "\/" and 1.0 do not.
  assert.deepEqual(
    failed.requests.map((a) => [a.status, a.asExpected]),
    [
      [200, true],
      [401, false],
      [401, false],
      [401, false],
    ],
  );
});

test('a receiver slower than the deadline fails the timeout check, naming Blue’s 7 s, and the run stops sending early', async (t) => {
  const dir = setUp(t);
  // Never answers: every request waits until the test closes the server.
  const receiver = await serve(() => undefined);
  t.after(receiver.close);
  const { code, doc } = await check(receiver.url, dir, ['--timeout', '300ms']);
  assert.equal(code, 1);
  const timeout = doc.checks.find((c) => c.id === 'timeout')!;
  assert.equal(timeout.status, 'fail');
  assert.match(timeout.meaning!, /7 s/);
  assert.match(timeout.got, /unanswered after 300 ms/);
  assert.equal(doc.unreachable, null, 'a slow endpoint is not an unreachable one');
  // After 3 unanswered in a row nothing more was sent.
  // At most: the probe, 8 in flight, and one more for each of the 2 timeouts before the third.
  assert.ok(doc.sentRequests <= 1 + 8 + 2, `sent ${doc.sentRequests}`);
  assert.equal(receiver.received.length, doc.sentRequests);
  const skipped = doc.checks.filter((c) => c.status === 'skipped');
  assert.ok(skipped.length > 0);
  for (const c of skipped) assert.match(c.meaning!, /stopped sending/);
  for (const c of doc.checks.filter((x) => x.status === 'fail'))
    assert.ok(c.requests.some((a) => a.sent && a.status === null));
});

test('a receiver that 500s on events it does not know fails the checks that send them', async (t) => {
  const dir = setUp(t);
  const receiver = await serve(strictAboutEvents());
  t.after(receiver.close);
  const { code, doc } = await check(receiver.url, dir);
  assert.equal(code, 1);
  assert.deepEqual(idsWith(doc, 'fail'), ['genuine', 'unknown-event']);
  const genuine = doc.checks.find((c) => c.id === 'genuine')!;
  assert.match(genuine.got, /37× 200, 1× 500 \(WEBHOOK_HEALTH_CHECK\)/);
  assert.match(genuine.fix!, /WEBHOOK_HEALTH_CHECK/);
});

test('an endpoint that cannot be reached exits 3 after one request', async (t) => {
  const dir = setUp(t);
  const url = `http://127.0.0.1:${await deadPort()}/hook`;
  const { code, doc, stderr, junit } = await check(url, dir);
  assert.equal(code, 3);
  assert.equal(doc.unreachable, 'connection refused');
  assert.equal(doc.sentRequests, 1);
  assert.equal(doc.summary.skipped, doc.summary.total);
  assert.equal(junit.skipped, junit.tests);
  assert.match(stderr, /could not reach .*: connection refused/);
});

test('usage errors exit 2 with one line', async (t) => {
  const dir = setUp(t);
  const secretFile = join(dir, 'secret.txt');
  const cases: Array<[string[], RegExp]> = [
    [['check', '--secret-file', secretFile], /missing the endpoint/],
    [['check', 'http://127.0.0.1:9/h'], /a secret is required/],
    [
      [
        'check',
        'http://127.0.0.1:9/h',
        '--secret-file',
        secretFile,
        '--only',
        'forgery-wrong-secrt',
      ],
      /unknown check "forgery-wrong-secrt"; did you mean forgery-wrong-secret/,
    ],
    [
      ['check', 'http://127.0.0.1:9/h', '--secret-file', secretFile, '--skip', '*'],
      /leave no check/,
    ],
    [
      ['check', 'http://127.0.0.1:9/h', '--secret-file', secretFile, '--timeout', 'soon'],
      /--timeout must be a duration/,
    ],
    [
      ['check', 'http://127.0.0.1:9/h', '--secret-file', secretFile, '--events', 'TODO_CRATED'],
      /unknown event "TODO_CRATED"/,
    ],
    [
      ['check', 'http://127.0.0.1:9/h', '--secret', 's', '--secret-file', secretFile],
      /cannot be used with/,
    ],
    [['check', 'ftp://example.com/h', '--secret-file', secretFile], /./],
    [
      ['check', 'http://127.0.0.1:9/h', '--secret-file', secretFile, '--burst', '0'],
      /--burst must be a whole number/,
    ],
  ];
  // Under --json, the error is one JSON line on stderr.
  const asJson = await runCli(['--store-dir', dir, 'check', '--secret-file', secretFile, '--json']);
  assert.equal(asJson.code, 2);
  assert.equal(JSON.parse(asJson.stderr).error.exitCode, 2);
  // A store that cannot be opened: 4.
  const notADir = await runCli([
    '--store-dir',
    secretFile,
    'check',
    'http://127.0.0.1:9/h',
    '--secret',
    's',
  ]);
  assert.equal(notADir.code, 4, notADir.stderr);
  for (const [args, message] of cases) {
    const r = await runCli(['--store-dir', dir, ...args]);
    assert.equal(r.code, 2, `${args.join(' ')}: ${r.stderr}`);
    assert.match(r.stderr, message);
    assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
    assert.equal(r.stdout, '');
  }
});

test('--only and --skip choose checks; --webhook brings its URL, secret and events', async (t) => {
  const dir = setUp(t);
  const receiver = await serve(correct());
  t.after(receiver.close);
  const { code, doc } = await check(receiver.url, dir, [
    '--only',
    'forgery-*,timeout',
    '--skip',
    'forgery-long-signature',
  ]);
  assert.equal(code, 0);
  assert.deepEqual(idsWith(doc, 'pass'), [
    'forgery-wrong-secret',
    'forgery-no-signature',
    'forgery-empty-signature',
    'forgery-other-body',
    'forgery-body-changed',
    'forgery-truncated-signature',
    'timeout',
  ]);
  assert.equal(doc.summary.skipped, 14);
  assert.equal(doc.sentRequests, 7);

  // A stored webhook subscribed to two events: the genuine check sends those and the health check;
  // the order check needs TODO_NAME_CHANGED, which it is not subscribed to.
  let webhookSecret = '';
  // This receiver is keyed with the stored webhook's own secret, known once it is created.
  const withWebhook = await serve((req, res) =>
    verifies(webhookSecret, req.body, req.headers['x-signature'])
      ? res.writeHead(200).end()
      : res.writeHead(401).end(),
  );
  t.after(withWebhook.close);
  const created = await runCli([
    '--store-dir',
    dir,
    'create',
    '--name',
    'app',
    '--url',
    withWebhook.url,
    '--events',
    'TODO_CREATED,TODO_DELETED',
    '--json',
    '--reveal-secret',
  ]);
  assert.equal(created.code, 0, created.stderr);
  webhookSecret = (JSON.parse(created.stdout) as { secret: string }).secret;
  const secret = webhookSecret;
  const r = await runCli([
    '--store-dir',
    dir,
    'check',
    '--webhook',
    'app',
    '--only',
    'genuine,order,forgery-wrong-secret',
    '--json',
  ]);
  assert.equal(r.code, 0, r.stderr);
  const byWebhook = JSON.parse(r.stdout) as CheckJson;
  assert.equal(byWebhook.url, withWebhook.url);
  const genuine = byWebhook.checks.find((c) => c.id === 'genuine')!;
  assert.equal(genuine.status, 'pass');
  assert.equal(genuine.requests.length, 3);
  const order = byWebhook.checks.find((c) => c.id === 'order')!;
  assert.equal(order.status, 'skipped');
  assert.match(order.meaning!, /not subscribed to TODO_NAME_CHANGED/);
  assert.ok(!r.stdout.includes(secret) && !r.stderr.includes(secret));

  // A config naming another scheme changes nothing: the suite signs as Blue does.
  const config = join(dir, 'bluehook.config.json');
  writeFileSync(config, JSON.stringify({ scheme: 'github' }));
  const blueAnyway = await runCli([
    '--store-dir',
    dir,
    '--config',
    config,
    'check',
    receiver.url,
    '--secret-file',
    join(dir, 'secret.txt'),
    '--only',
    'genuine,forgery-wrong-secret',
  ]);
  assert.equal(blueAnyway.code, 0, blueAnyway.stdout + blueAnyway.stderr);
  assert.ok(receiver.received.at(-1)!.headers['x-signature']);
  assert.equal(receiver.received.at(-1)!.headers['x-hub-signature-256'], undefined);
});

test('the burst keeps 8 deliveries in flight at once, as the emulator’s worker', async (t) => {
  const dir = setUp(t);
  // Answers nothing until 8 requests are waiting (or the last has come): a client that never
  // reaches 8 at once would leave them waiting past the deadline and fail the check.
  const total = 33; // the first goes alone (it probes the endpoint), then 4 rounds of 8
  let waiting: ServerResponse[] = [];
  let seen = 0;
  let most = 0;
  const receiver = await serve((_req, res) => {
    seen++;
    waiting.push(res);
    most = Math.max(most, waiting.length);
    if (seen === 1 || waiting.length === 8 || seen === total) {
      for (const w of waiting) w.writeHead(200).end();
      waiting = [];
    }
  });
  t.after(receiver.close);
  const { code, doc } = await check(receiver.url, dir, [
    '--only',
    'burst',
    '--burst',
    String(total),
  ]);
  assert.equal(code, 0, JSON.stringify(doc.checks.find((c) => c.id === 'burst')));
  assert.equal(doc.checks.find((c) => c.id === 'burst')!.status, 'pass');
  assert.equal(most, 8);
});

test('the use case runs in process and reports typed events', async (t) => {
  const dir = tempDir('bluehook-check-lib-');
  t.after(dir.cleanup);
  const receiver = await serve(correct());
  t.after(receiver.close);
  const history = new SqliteHistory(dir.path);
  const client = new HttpClient(8, 2_000);
  t.after(async () => {
    await client.close();
    await history.close();
  });
  const events: CheckEvent[] = [];
  const result = await runChecks(
    {
      url: new URL(receiver.url),
      suite: {
        secret: SECRET,
        timeoutMs: 2_000,
        events: genuineEvents(['TODO_CREATED']),
        payload: { webhook: { url: receiver.url } },
        burst: 4,
        userAgent: 'test',
      },
      selected: new Set(['genuine', 'forgery-other-body', 'reserialisation', 'burst']),
      transport: createTransport({ client, timeoutMs: 2_000, history, webhookId: null }),
    },
    (e) => events.push(e),
  );
  assert.equal(events[0]!.type, 'start');
  assert.equal(events.filter((e) => e.type === 'request').length, result.sentRequests);
  assert.deepEqual(
    events
      .filter((e) => e.type === 'result')
      .map((e) => (e.type === 'result' ? e.result.id : ''))
      .sort(),
    ['burst', 'forgery-other-body', 'genuine', 'reserialisation'],
  );
  assert.equal(result.counts.fail, 0);
  assert.equal(result.sentRequests, 2 + 1 + 4 + 4);
  assert.equal(await history.count(), result.sentRequests);
});

test('the CI example in docs/check.md: its two run steps start an app and check it', async (t) => {
  const dir = setUp(t);
  const md = readFileSync(join(ROOT, 'docs', 'check.md'), 'utf8');
  const yaml = /```yaml\n([\s\S]*?)```/.exec(md)![1]!;
  const env = Object.fromEntries(
    [...yaml.matchAll(/^\s+(BLUE_WEBHOOK_SECRET|BLUEHOOK_SECRET): (\S+)/gm)].map((m) => [
      m[1]!,
      m[2]!,
    ]),
  );
  assert.equal(env.BLUE_WEBHOOK_SECRET, env.BLUEHOOK_SECRET);
  // Each step's `run:` text, a block (`run: |`) or one line, by the step's name.
  const lines = yaml.split('\n');
  const runOf = (name: string): string => {
    const at = lines.findIndex((l) => l.trim() === `- name: ${name}`);
    const runLine = lines.slice(at).find((l) => /^\s+run: /.test(l))!;
    const indent = runLine.indexOf('run:');
    const value = runLine.slice(indent + 5);
    if (value !== '|') return value;
    const start = lines.indexOf(runLine) + 1;
    const block: string[] = [];
    for (const l of lines.slice(start)) {
      if (l.trim() && l.search(/\S/) <= indent) break;
      block.push(l.trim());
    }
    return block.join('\n');
  };
  const start = runOf('Start the app');
  const checkStep = runOf('Check the webhook endpoint');
  assert.match(start, /^npm start &\n/);
  assert.equal(
    checkStep,
    'npx bluehook check http://127.0.0.1:3000/webhooks/blue --junit bluehook-check.xml',
  );

  // The app: a receiver that verifies as it should, on the port and secret the workflow gives it.
  writeFileSync(
    join(dir, 'app.mjs'),
    `import { createServer } from 'node:http';
import { createHmac, timingSafeEqual } from 'node:crypto';
const secret = process.env.BLUE_WEBHOOK_SECRET;
createServer((req, res) => {
  const chunks = [];
  req.on('data', (c) => chunks.push(c));
  req.on('end', () => {
    if (req.method !== 'POST') return res.writeHead(405).end();
    const body = Buffer.concat(chunks);
    const expected = Buffer.from(createHmac('sha256', secret).update(body).digest('hex'));
    const given = Buffer.from(String(req.headers['x-signature'] ?? ''));
    if (given.length !== expected.length || !timingSafeEqual(given, expected)) return res.writeHead(401).end();
    try { if (typeof JSON.parse(body.toString()) !== 'object') throw new Error(); } catch { return res.writeHead(400).end(); }
    res.writeHead(200).end();
  });
}).listen(Number(process.env.PORT), '127.0.0.1');
`,
  );
  const port = String(await deadPort());
  const script = [
    start.replace('npm start', 'node app.mjs').replaceAll('3000', port),
    checkStep.replace('npx bluehook', `node ${BIN}`).replaceAll('3000', port),
    'code=$?',
    'kill $!',
    'exit $code',
  ].join('\n');
  const child = spawn('bash', ['-c', script], {
    cwd: dir,
    detached: true,
    env: {
      ...process.env,
      ...env,
      PORT: port,
      BLUEHOOK_HOME: join(dir, 'store'),
      NO_COLOR: '1',
      CI: 'true',
    },
  });
  t.after(() => {
    try {
      process.kill(-child.pid!, 'SIGKILL');
    } catch {
      // already gone
    }
  });
  let out = '';
  child.stdout!.on('data', (d) => (out += d));
  child.stderr!.on('data', (d) => (out += d));
  const [code] = (await once(child, 'close')) as [number];
  assert.equal(code, 0, out);
  const junit = readJunit(join(dir, 'bluehook-check.xml'));
  assert.deepEqual([junit.tests, junit.failures, junit.skipped], [21, 0, 0]);
  assert.match(out, /21 checks: 20 passed, 0 failed, 1 warned, 0 skipped/);
});
