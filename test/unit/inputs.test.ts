/** Unit tests of input parsing, the exit-code table, the push plan, exports and address policies. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { buildSchema, type GraphQLEnumType } from 'graphql';
import { SUBSCRIBABLE_EVENTS } from '../../src/blue/catalogue.js';
import { parseAssignment, parsePath } from '../../src/blue/set-path.js';
import { intOption, parseDuration, parseHeader } from '../../src/cli/inputs.js';
import { BLUE_WEBHOOK_SDL } from '../../src/emulator/schema.js';
import {
  checkWebhookUrl,
  isPrivateAddress,
  isPublicAddress,
} from '../../src/emulator/url-policy.js';
import { BluehookError, type ErrorCategory, usageError } from '../../src/errors.js';
import { ExitCode, exitCodeFor } from '../../src/exit-codes.js';
import { encodeBody, type DeliveryRecord } from '../../src/history/record.js';
import { toCurl } from '../../src/history/export.js';
import { planPush } from '../../src/store/sync.js';
import type { Webhook } from '../../src/store/types.js';
import { durationMs } from '../../src/util/duration.js';
import { isLoopbackAddress } from '../../src/util/loopback.js';
import { redactUrl } from '../../src/util/redact.js';

const isUsage = (e: unknown) => e instanceof BluehookError && e.category === 'usage';

test('one duration grammar for flags, environment and config', () => {
  const rows: Array<[string, number | undefined]> = [
    ['500', 500],
    ['500ms', 500],
    ['30s', 30_000],
    ['1.5s', 1500],
    ['2m', 120_000],
    ['1h', 3_600_000],
    ['7d', 604_800_000],
    [' 10s ', 10_000],
    ['0s', 0],
    ['-1s', undefined],
    ['1 h', undefined],
    ['1w', undefined],
    ['', undefined],
  ];
  for (const [text, ms] of rows) assert.equal(durationMs(text), ms, JSON.stringify(text));
  assert.throws(
    () => parseDuration('soon', '--timeout'),
    (e: unknown) => isUsage(e) && /--timeout must be a duration/.test(String(e)),
  );
});

test('whole-number flags name the flag and its range', () => {
  const retries = intOption('--retries', 0, 100);
  assert.equal(retries('4'), 4);
  for (const bad of ['-1', '101', '1.5', 'four', ''])
    assert.throws(
      () => retries(bad),
      (e: unknown) =>
        isUsage(e) && /--retries must be a whole number from 0 to 100/.test(String(e)),
      bad,
    );
});

test('headers are "Name: value", names lower-cased, values kept', () => {
  assert.deepEqual(parseHeader('X-Trace: a: b'), ['x-trace', 'a: b']);
  assert.deepEqual(parseHeader('Empty:'), ['empty', '']);
  for (const bad of ['no colon', ': value', 'Bad Name: v'])
    assert.throws(() => parseHeader(bad), isUsage, bad);
});

test('a header value with CR, LF or another control character is refused, naming the header', () => {
  for (const bad of ['X-A: b\r\nX-Evil: 1', 'X-A: b\nX-Evil: 1', 'X-A: a\rb', 'X-A: a\u0000b']) {
    assert.throws(() => parseHeader(bad), isUsage, JSON.stringify(bad));
    assert.throws(() => parseHeader(bad), /x-a/i, JSON.stringify(bad));
  }
  assert.deepEqual(parseHeader('X-A: a\tb'), ['x-a', 'a\tb'], 'a tab is allowed');
});

test('--set paths start at a known root; array indices in brackets or dots', () => {
  assert.deepEqual(parsePath('currentValue.tags[0].title'), ['currentValue', 'tags', '0', 'title']);
  assert.deepEqual(parsePath('currentValue.tags.0'), ['currentValue', 'tags', '0']);
  assert.throws(() => parsePath('currentValeu.title'), isUsage);
  assert.deepEqual(parseAssignment('currentValue.done=true').value, true, 'JSON when it parses');
  assert.deepEqual(parseAssignment('currentValue.title=Ship it').value, 'Ship it', 'else a string');
});

test('each error category has one exit code, and internal errors are not "a check failed"', () => {
  const rows: Array<[ErrorCategory, number]> = [
    ['usage', 2],
    ['not-found', 2],
    ['network', 3],
    ['store', 4],
    ['config', 4],
    ['check', 1],
    ['internal', 70],
  ];
  for (const [category, code] of rows) assert.equal(exitCodeFor(category), code, category);
  assert.notEqual(ExitCode.internal, ExitCode.checkFailed);
  const e = usageError('bad', 'a hint', 'bad-thing');
  assert.deepEqual(
    [e.category, e.code, e.hint, e.message],
    ['usage', 'bad-thing', 'a hint', 'bad'],
  );
  assert.equal(usageError('bad').code, 'usage', 'the code defaults to the category');
});

const webhook = (over: Partial<Webhook>): Webhook => ({
  id: 'cl000000000000000000000001',
  uid: 'u1',
  name: 'orders',
  url: 'https://example.com/a',
  secret: null,
  status: 'HEALTHY',
  enabled: true,
  events: ['TODO_CREATED'],
  projectIds: [],
  metadata: { events: ['TODO_CREATED'], projectIds: [] },
  createdById: '',
  createdAt: '2026-01-01T00:00:00Z',
  updatedAt: '2026-01-01T00:00:00Z',
  ...over,
});

test('push plan: matched by id, then by name; lists compared as sets', () => {
  const remote = [
    webhook({ id: 'r1', name: 'orders', events: ['TODO_DELETED', 'TODO_CREATED'] }),
    webhook({ id: 'r2', name: 'tags' }),
  ];
  const rows: Array<[Webhook, string, string[]]> = [
    [
      webhook({ id: 'r1', name: 'orders', events: ['TODO_CREATED', 'TODO_DELETED'] }),
      'unchanged',
      [],
    ],
    [
      webhook({ id: 'l9', name: 'tags', url: 'https://example.com/b' }),
      'update',
      ['url https://example.com/a → https://example.com/b'],
    ],
    [webhook({ id: 'l8', name: 'new' }), 'create', ['new webhook']],
    [webhook({ id: 'r2', name: 'tags', enabled: false }), 'update', ['disable']],
  ];
  for (const [local, action, changes] of rows) {
    const [step] = planPush([local], remote);
    assert.equal(step!.action, action, local.name!);
    assert.deepEqual(step!.changes, changes, local.name!);
  }
});

test('curl export: text inline with printf, binary as a base64 here-document plain sh runs', () => {
  const record = (body: Buffer) =>
    ({
      id: 'd1',
      direction: 'out',
      time: '',
      event: null,
      webhookId: null,
      url: 'http://127.0.0.1:9/hook',
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-signature': "it's" },
      ...encodeBody(body),
    }) as DeliveryRecord;
  const text = toCurl(record(Buffer.from('{"a":"b c"}')));
  assert.match(
    text,
    /^printf '%s' '\{"a":"b c"\}' \| curl -sS --globoff -X 'POST' 'http:\/\/127\.0\.0\.1:9\/hook'/,
  );
  assert.ok(text.includes(`'x-signature: it'\\''s'`), 'single quotes escaped for sh');
  const bytes = Buffer.from([0, 1, 2, 255, 254]);
  const binary = toCurl(record(bytes));
  assert.ok(!binary.includes('<('), 'no bash process substitution');
  const [, base64] = /<<'BLUEHOOK_BODY'[^\n]*\n([\s\S]*)BLUEHOOK_BODY$/.exec(binary)!;
  assert.deepEqual(Buffer.from(base64!, 'base64'), bytes);
});

test("addresses: loopback for binds, Blue's private ranges for webhook URLs", () => {
  const loopbackRows: Array<[string, boolean]> = [
    ['127.0.0.1', true],
    ['127.8.9.10', true],
    ['::1', true],
    ['::ffff:127.0.0.1', true],
    ['0.0.0.0', false],
    ['::', false],
    ['192.168.1.2', false],
    ['localhost', false],
  ];
  for (const [address, expected] of loopbackRows)
    assert.equal(isLoopbackAddress(address), expected, address);
  const privateRows: Array<[string, boolean]> = [
    ['10.1.2.3', true],
    ['169.254.169.254', true],
    ['172.20.0.1', true],
    ['::ffff:10.0.0.1', true],
    ['fd00::1', true],
    ['8.8.8.8', false],
    ['2001:4860:4860::8888', false],
  ];
  for (const [address, expected] of privateRows)
    assert.equal(isPrivateAddress(address), expected, address);
});

test('a database URL is shown without its password', () => {
  assert.equal(redactUrl('postgres://ci:s3cret@db:5432/hooks'), 'postgres://ci:***@db:5432/hooks');
  assert.equal(redactUrl('postgres://db/hooks'), 'postgres://db/hooks');
  assert.ok(!redactUrl('not a url://u:pw@x').includes('pw'));
});

test("the emulator's WebhookEvent enum is the catalogue's subscribable events, in order", () => {
  const schema = buildSchema(BLUE_WEBHOOK_SDL);
  const values = (schema.getType('WebhookEvent') as GraphQLEnumType).getValues().map((v) => v.name);
  assert.deepEqual(values, [...SUBSCRIBABLE_EVENTS]);
  assert.equal(values.length, 37);
});

test("Blue's address policy: only public unicast; IPv6 forms that embed a private IPv4 are private too", () => {
  const rows: Array<[string, boolean]> = [
    ['8.8.8.8', true],
    ['::ffff:8.8.8.8', true],
    ['2001:4860:4860::8888', true],
    ['64:ff9b::a9fe:a9fe', false], // NAT64 of 169.254.169.254
    ['2002:7f00:1::', false], // 6to4 of 127.0.0.1
    ['::127.0.0.1', false],
    ['::ffff:127.0.0.1', false],
    // ::/96: unspecified, loopback and the deprecated IPv4-compatible form, however it is written
    ['::', false],
    ['::1', false],
    ['::7f00:1', false], // ::127.0.0.1 as a URL writes it
    ['0:0:0:0:0:0:127.0.0.1', false],
    ['0000:0000:0000:0000:0000:0000:7f00:0001', false],
    ['::a9fe:a9fe', false], // ::169.254.169.254
    ['::8.8.8.8', false], // IPv4-compatible is refused whatever it embeds
    ['::ffff:0:127.0.0.1', false], // SIIT (RFC 6145)
    ['224.0.0.1', false],
    ['255.255.255.255', false],
    ['240.0.0.1', false],
    ['100.64.0.1', false],
    ['0.0.0.0', false],
    ['not an address', false],
  ];
  for (const [address, expected] of rows) assert.equal(isPublicAddress(address), expected, address);
});

test("Blue's URL policy: the IPv4-compatible IPv6 literals a URL can carry are private", async () => {
  for (const url of [
    'http://[::127.0.0.1]/',
    'http://[::7f00:1]/',
    'http://[0:0:0:0:0:0:127.0.0.1]/',
    'http://[::]/',
    'http://[::1]:8080/hook',
    'http://[::ffff:127.0.0.1]/',
    'https://[::a9fe:a9fe]/latest/meta-data',
  ])
    assert.equal(await checkWebhookUrl(url, false), 'private', url);
  assert.equal(await checkWebhookUrl('http://[2001:4860:4860::8888]/', false), 'ok');
  assert.equal(
    await checkWebhookUrl('http://[::127.0.0.1]/', true),
    'ok',
    'unless private URLs are allowed',
  );
});

test("--scheme's choices are the signing module's schemes (the definitions keep their own list to stay light at start-up)", async () => {
  const { SCHEMES } = await import('../../src/cli/flags.js');
  const { SCHEME_NAMES } = await import('../../src/signing/schemes.js');
  assert.deepEqual([...SCHEMES].sort(), [...SCHEME_NAMES].sort());
});
