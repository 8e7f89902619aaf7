import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { createHmac } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Webhook } from 'standardwebhooks';
import { EVENTS } from '../src/blue/catalogue.js';
import { buildPayload, serializeBody } from '../src/blue/payload.js';
import { diagnose } from '../src/signing/diagnose.js';
import { getScheme, normaliseHeaders } from '../src/signing/schemes.js';
import { REFERENCE } from './helpers.js';

interface Vector {
  scheme: string;
  secret: string;
  body: string;
  id?: string;
  timestamp?: number;
  headers: Record<string, string>;
  valid: boolean;
  source?: string;
}
const vectors: Vector[] = JSON.parse(
  readFileSync(join(REFERENCE, 'signing-vectors.json'), 'utf8'),
).vectors;

test('every published signing vector signs and verifies as published', () => {
  assert.ok(vectors.length >= 3);
  for (const v of vectors) {
    const scheme = getScheme(v.scheme);
    const headers = normaliseHeaders(v.headers);
    const signed = scheme.sign(v.body, v.secret, { id: v.id, timestamp: v.timestamp });
    for (const [k, value] of Object.entries(signed))
      assert.equal(value, headers[k], `${v.source ?? v.scheme} ${k}`);
    const result = scheme.verify(Buffer.from(v.body), v.secret, headers, { now: v.timestamp ?? 0 });
    assert.equal(result.valid, v.valid, v.scheme);
  }
});

test('the blue scheme is a lowercase hex HMAC-SHA256 of the exact bytes, agreeing with one computed here', () => {
  const body = serializeBody(buildPayload('TODO_CREATED', { seed: 1 }));
  const mine = createHmac('sha256', Buffer.from('s3cret', 'utf8'))
    .update(Buffer.from(body, 'utf8'))
    .digest('hex');
  const headers = getScheme('blue').sign(body, 's3cret');
  assert.deepEqual(headers, { 'x-signature': mine });
  assert.match(mine, /^[0-9a-f]{64}$/);
  // GitHub vectors use the same HMAC: the blue header is their value without "sha256=".
  const gh = vectors.find((v) => v.scheme === 'github')!;
  assert.equal(
    `sha256=${getScheme('blue').sign(gh.body, gh.secret)['x-signature']}`,
    gh.headers['x-hub-signature-256'],
  );
});

test('standard-webhooks signatures interoperate with the standardwebhooks package both ways', () => {
  const secret = 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw';
  const body = serializeBody(buildPayload('COMMENT_CREATED', { seed: 5 }));
  const now = Math.floor(Date.now() / 1000);
  const ours = getScheme('standard-webhooks').sign(body, secret, { id: 'msg_1', timestamp: now });
  assert.doesNotThrow(() => new Webhook(secret).verify(body, ours));
  const theirs = new Webhook(secret).sign('msg_2', new Date(now * 1000), body);
  const result = getScheme('standard-webhooks').verify(body, secret, {
    'webhook-id': 'msg_2',
    'webhook-timestamp': String(now),
    'webhook-signature': theirs,
  });
  assert.equal(result.valid, true);
});

const body = Buffer.from(
  serializeBody(buildPayload('TODO_CREATED', { seed: 9, set: ['currentValue.title=Café ☕'] })),
);
const secret = 'whsec_c2VjcmV0LWtleS1mb3ItdGVzdHM=';
const sig = (b: Buffer | string, key: string | Buffer = secret) =>
  createHmac('sha256', key).update(b).digest('hex');
const blue = (signature: string) => ({ 'x-signature': signature });

test('diagnosis: valid, wrong secret, missing signature', () => {
  assert.equal(diagnose(body, secret, blue(sig(body))).cause, 'valid');
  const wrong = diagnose(body, 'another', blue(sig(body)));
  assert.equal(wrong.cause, 'wrong-secret');
  assert.match(wrong.message, /secret is wrong/);
  assert.equal(diagnose(body, secret, {}).cause, 'missing-signature');
});

test('diagnosis: each re-serialisation of the body is named', () => {
  const parsed = JSON.parse(body.toString());
  const cases: Array<[string, string, RegExp]> = [
    [
      'pretty-printed copy',
      JSON.stringify(parsed, null, 2),
      /re-serialised.*compact JSON.*pretty-printed/,
    ],
    ['4-space copy', JSON.stringify(parsed, null, 4), /re-serialised.*compact/],
    [
      'keys reordered',
      JSON.stringify(parsed)
        .replace('{"event":"TODO_CREATED","webhook"', '{"webhook"')
        .replace(/}$/, ',"event":"TODO_CREATED"}'),
      /re-serialised.*compact/,
    ],
    ['trailing newline added', `${body}\n`, /without the trailing newline/],
    [
      'unicode escaped',
      body
        .toString()
        .replace(/[\u007f-\uffff]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`),
      /re-serialised.*compact.*\\u escapes/,
    ],
  ];
  for (const [name, copy, message] of cases) {
    assert.notEqual(copy, body.toString(), name);
    const d = diagnose(Buffer.from(copy), secret, blue(sig(body)));
    assert.equal(d.cause, 'body-reserialised', name);
    assert.match(d.message, message, name);
  }
  // The other way round: the sender signed a pretty body (or one with a newline) and we hold compact bytes.
  const pretty = `${JSON.stringify(parsed, null, 2)}`;
  assert.match(
    diagnose(body, secret, blue(sig(pretty))).message,
    /pretty-printed JSON \(2-space indent\)/,
  );
  assert.match(diagnose(body, secret, blue(sig(`${body}\n`))).message, /with a trailing newline/);
  // Keys sorted at every level, as `jq -S`, Go maps and Python's sort_keys write them (sorted here
  // independently of the diagnosis code).
  const sortedDeep = (v: unknown): unknown =>
    Array.isArray(v)
      ? v.map(sortedDeep)
      : v && typeof v === 'object'
        ? Object.fromEntries(
            Object.entries(v)
              .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
              .map(([k, x]) => [k, sortedDeep(x)]),
          )
        : v;
  const sorted = diagnose(body, secret, blue(sig(JSON.stringify(sortedDeep(parsed)))));
  assert.equal(sorted.cause, 'body-reserialised');
  assert.match(sorted.message, /keys in a different order \(sorted\)/);
});

test('diagnosis: prefixed, upper-case and base64 signatures are named', () => {
  const hex = sig(body);
  assert.match(diagnose(body, secret, blue(`sha256=${hex}`)).message, /"sha256=" prefix/);
  assert.match(diagnose(body, secret, blue(hex.toUpperCase())).message, /upper-case hex/);
  assert.match(
    diagnose(body, secret, blue(Buffer.from(hex, 'hex').toString('base64'))).message,
    /base64/,
  );
  assert.match(
    diagnose(body, secret, { 'x-hub-signature-256': hex }, 'github').message,
    /lacks the "sha256=" prefix/,
  );
  assert.match(
    diagnose(body, secret, blue('zz')).message,
    /not 64 hex characters \(got 2 characters\)/,
  );
});

test('diagnosis: secret whitespace and whsec_ handled the wrong way are named', () => {
  assert.equal(diagnose(body, `${secret}\n`, blue(sig(body))).cause, 'secret-whitespace');
  assert.match(
    diagnose(body, secret, blue(sig(body, secret.slice(6)))).message,
    /without its "whsec_" prefix/,
  );
  assert.match(
    diagnose(body, secret, blue(sig(body, Buffer.from(secret.slice(6), 'base64')))).message,
    /base64-decoded/,
  );
  assert.match(
    diagnose(body, 'plain', blue(sig(body, 'whsec_plain'))).message,
    /"whsec_" prefix on the secret that you left off/,
  );
});

test('diagnosis: another scheme, and a timestamp outside the tolerance with its delta', () => {
  const gh = getScheme('github').sign(body, secret);
  assert.match(
    diagnose(body, secret, gh, 'blue').message,
    /signed with the github scheme, not blue/,
  );
  const now = 1_700_000_000;
  const sw = getScheme('standard-webhooks').sign(body, secret, {
    id: 'msg_x',
    timestamp: now - 3600,
  });
  const d = diagnose(body, secret, sw, 'standard-webhooks', { now, toleranceSeconds: 300 });
  assert.equal(d.cause, 'timestamp-out-of-tolerance');
  assert.match(d.message, /3600 s in the past, beyond the 300 s tolerance/);
  assert.equal(diagnose(body, secret, sw, 'standard-webhooks', { now: now - 3600 }).valid, true);
  assert.match(diagnose(body, secret, sw, 'blue').message, /standard-webhooks scheme/);
});

test('each diagnosis names the right cause for a signature made by independent code', () => {
  const body = Buffer.from(serializeBody(buildPayload('TODO_CREATED', { seed: 3 })));
  const hex = (key: string | Buffer, data: Buffer | string) =>
    createHmac('sha256', key).update(data).digest('hex');
  const b64 = (key: string | Buffer, data: Buffer | string) =>
    createHmac('sha256', key).update(data).digest('base64');
  const swSecret = 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw';
  const swKey = Buffer.from(swSecret.slice(6), 'base64');
  const now = Math.floor(Date.now() / 1000);
  const swContent = (id: string, ts: string) => Buffer.concat([Buffer.from(`${id}.${ts}.`), body]);

  // The signer's secret kept a trailing newline from its file; we hold the clean secret.
  const newline = diagnose(body, 's3cret', { 'x-signature': hex('s3cret\n', body) });
  assert.equal(newline.cause, 'signer-secret-newline', 'not blamed on the whsec_ prefix');
  assert.match(newline.message, /signer's secret ends with a newline/);
  const crlf = diagnose(body, 's3cret', { 'x-signature': hex('s3cret\r\n', body) });
  assert.equal(crlf.cause, 'signer-secret-newline');
  assert.match(crlf.message, /signer's secret ends with a CRLF/);

  // v2,<a correct v1 signature>: named as the label, not blamed on the whsec_ prefix.
  const v2 = diagnose(
    body,
    swSecret,
    {
      'webhook-id': 'msg_1',
      'webhook-timestamp': String(now),
      'webhook-signature': `v2,${b64(swKey, swContent('msg_1', String(now)))}`,
    },
    'standard-webhooks',
  );
  assert.equal(v2.cause, 'signature-format');
  assert.match(v2.message, /labelled "v2," but is an HMAC-SHA256 \(v1\) signature/);

  // A timestamp that is not unix seconds.
  const badTs = diagnose(
    body,
    swSecret,
    {
      'webhook-id': 'msg_1',
      'webhook-timestamp': 'yesterday',
      'webhook-signature': `v1,${b64(swKey, swContent('msg_1', 'yesterday'))}`,
    },
    'standard-webhooks',
  );
  assert.equal(badTs.cause, 'timestamp-invalid');
  assert.match(badTs.message, /not a unix time in seconds: "yesterday"/);

  // The text after whsec_ used as the key without base64-decoding it.
  const undecoded = diagnose(
    body,
    swSecret,
    {
      'webhook-id': 'msg_1',
      'webhook-timestamp': String(now),
      'webhook-signature': `v1,${b64(swSecret.slice(6), swContent('msg_1', String(now)))}`,
    },
    'standard-webhooks',
  );
  assert.equal(undecoded.cause, 'secret-whsec-prefix');
  assert.match(undecoded.message, /text after "whsec_" as UTF-8, not base64-decoded/);

  // Svix's own header names, signed by the standardwebhooks package: read and verified.
  const signed = new Webhook(swSecret).sign('msg_svix', new Date(now * 1000), body.toString());
  const svix = { 'svix-id': 'msg_svix', 'svix-timestamp': String(now), 'svix-signature': signed };
  assert.equal(diagnose(body, swSecret, svix, 'standard-webhooks').valid, true);
  assert.equal(getScheme('standard-webhooks').verify(body, swSecret, svix).valid, true);

  // Secrets the official library refuses are refused here too, with the reason.
  for (const bad of ['whsec_', 'whsec_not base64!', 'plain text']) {
    assert.throws(
      () => new Webhook(bad).sign('m', new Date(), '{}'),
      Error,
      `the official library refuses ${bad}`,
    );
    assert.throws(
      () => getScheme('standard-webhooks').sign(body, bad),
      /"whsec_" followed by base64/,
      bad,
    );
    assert.equal(diagnose(body, bad, svix, 'standard-webhooks').cause, 'secret-invalid', bad);
  }
});

test('diagnosis: \\u escapes written in the other case are named (the Octokit vector for octokit/webhooks.js#71)', () => {
  // GitHub signs pretty-printed JSON with a final newline and upper-case \u escapes ("\u001B");
  // a receiver that re-serialises with JSON.stringify writes them in lower case. The signature is
  // the one octokit/webhooks-methods.js publishes for secret "development" (checked with Python's hmac).
  const published = 'sha256=9dacf9003316b09be07df56d86a2d0d6872e42a1e6c72c3bad9ff915a7c5603e';
  const value = { foo: 'Foo\n\u001b[34mbar: ♥♥♥♥♥♥♥♥\nthis-is-lost\u001b[0m\u001b[2K' };
  const reserialised = `${JSON.stringify(value, null, 2)}\n`;
  assert.match(reserialised, /\\u001b\[34m/, 'JSON.stringify writes lower case');
  const asGitHubSent = reserialised.replaceAll('\\u001b', '\\u001B');
  const headers = { 'x-hub-signature-256': published };

  assert.equal(diagnose(Buffer.from(asGitHubSent), 'development', headers, 'github').valid, true);
  const lower = diagnose(Buffer.from(reserialised), 'development', headers, 'github');
  assert.equal(lower.cause, 'body-reserialised');
  assert.match(
    lower.message,
    /\\u escapes in upper case \(\\u001B\), but this copy writes them in lower case/,
  );
  // Re-serialised compactly as well: still found, through the pretty form.
  const compact = diagnose(Buffer.from(JSON.stringify(value)), 'development', headers, 'github');
  assert.equal(compact.cause, 'body-reserialised');
  assert.match(
    compact.message,
    /pretty-printed JSON \(2-space indent\) plus a trailing newline with its \\u escapes in upper case/,
  );
  // An escaped backslash before "u001b" is text, not an escape: its case is left as it is.
  const literal = `${JSON.stringify({ foo: '\\u001b' }, null, 2)}\n`;
  const literalSig = `sha256=${createHmac('sha256', 'development').update(literal).digest('hex')}`;
  const wrong = diagnose(
    Buffer.from(literal.replace('u001b', 'u001B')),
    'development',
    {
      'x-hub-signature-256': literalSig,
    },
    'github',
  );
  assert.equal(wrong.cause, 'wrong-secret', 'an escaped backslash is not an escape to re-case');
  // A published vector, unchanged: 87316067… for the literal text \u001b.
  assert.equal(
    literalSig,
    'sha256=87316067e2011fae39998b18c46a14d83b3e7c3ffdd88fb2ee5afb7d11288e60',
  );
});

test("diagnosis: a copy with its keys sorted at every level is named, for every event's body, both ways", () => {
  // Sorted by independent code: Python's json.dumps(sort_keys=True), compact, as a receiver in
  // Python would re-serialise (Go's encoding/json of a map and `jq -S -c` give the same bytes).
  const blueBodies = [
    ...EVENTS.map((e) => serializeBody(buildPayload(e.name, { seed: 5 }))),
    // The real capture, whose order the factories follow.
    JSON.stringify(
      JSON.parse(readFileSync(join(REFERENCE, 'blue', 'todo-created.delivery.json'), 'utf8')),
    ),
  ];
  const sortedBodies = execFileSync(
    'python3',
    [
      '-c',
      'import json,sys\nfor line in sys.stdin:\n  print(json.dumps(json.loads(line), sort_keys=True, separators=(",",":"), ensure_ascii=False))',
    ],
    { input: `${blueBodies.join('\n')}\n`, encoding: 'utf8' },
  )
    .trimEnd()
    .split('\n');
  assert.equal(sortedBodies.length, blueBodies.length);
  blueBodies.forEach((blueBody, i) => {
    const sorted = sortedBodies[i]!;
    const name = (JSON.parse(blueBody) as { event: string }).event;
    if (sorted === blueBody) return; // nothing to reorder (none is, but that is not the point)
    // Blue signed its order; the receiver holds the sorted bytes.
    const held = diagnose(Buffer.from(sorted), 'k', blue(sig(blueBody, 'k')));
    assert.equal(held.cause, 'body-reserialised', `${name}: ${held.message}`);
    assert.match(held.message, /keys sorted at every level/, name);
    // The signer sorted; the receiver holds Blue's order.
    const signedSorted = diagnose(Buffer.from(blueBody), 'k', blue(sig(sorted, 'k')));
    assert.equal(signedSorted.cause, 'body-reserialised', `${name}: ${signedSorted.message}`);
    assert.match(signedSorted.message, /keys in a different order \(sorted\)/, name);
  });
  // A body with keys in some other order is still said to be in another order, not "sorted".
  const shuffled = JSON.stringify(
    Object.fromEntries(Object.entries(JSON.parse(blueBodies[0]!)).reverse()),
  );
  assert.match(
    diagnose(Buffer.from(shuffled), 'k', blue(sig(blueBodies[0]!, 'k'))).message,
    /keys in another order/,
  );
});
