import { test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  deadPort,
  historyRecords,
  hmac,
  jsonLines,
  tempDir,
  runCli,
  runInPty,
  startReceiver,
  storeBytes,
} from './helpers.js';

const logRecords = (dir: string) => historyRecords(dir) as any[];

test('one signed delivery: the receiver verifies X-Signature with its own HMAC; the log keeps the exact bytes', async () => {
  const dir = tempDir();
  const rx = await startReceiver();
  try {
    const r = await runCli(
      [
        'send',
        '--url',
        rx.url,
        '--secret',
        'topsecret',
        '-H',
        'X-Test: yes',
        '--seed',
        '4',
        '--set',
        'currentValue.title=Hello',
      ],
      { env: { BLUEHOOK_HOME: dir.path } },
    );
    assert.equal(r.code, 0, r.stderr);
    assert.equal(rx.received.length, 1);
    const got = rx.received[0]!;
    assert.equal(got.method, 'POST');
    assert.equal(got.headers['content-type'], 'application/json');
    assert.equal(got.headers['x-test'], 'yes');
    assert.equal(got.headers['x-signature'], hmac('topsecret', got.body));
    const body = JSON.parse(got.body.toString());
    assert.equal(body.event, 'TODO_CREATED');
    assert.equal(body.currentValue.title, 'Hello');
    assert.equal(got.body.toString(), JSON.stringify(body), 'compact, as Blue sends');
    assert.match(r.stdout, /200 OK/);
    assert.doesNotMatch(r.stdout + r.stderr, /topsecret/, 'the secret is never printed');
    const [record] = logRecords(dir.path);
    assert.equal(record.direction, 'out');
    assert.equal(Buffer.from(record.body).equals(got.body), true);
    assert.equal(record.response.status, 200);
    assert.doesNotMatch(storeBytes(dir.path), /topsecret/);
  } finally {
    await rx.close();
    dir.cleanup();
  }
});

test('--data is sent byte-for-byte, never re-serialised, and signed over those bytes', async () => {
  const dir = tempDir();
  const rx = await startReceiver();
  try {
    const file = join(dir.path, 'body.json');
    const pretty = '{\n  "event": "TODO_CREATED",\n  "x": "caf\u00e9"\n}\n';
    writeFileSync(file, pretty);
    const r = await runCli(
      ['send', '--url', rx.url, '--secret', 's', '--data', file, '--no-record'],
      { env: { BLUEHOOK_HOME: dir.path } },
    );
    assert.equal(r.code, 0, r.stderr);
    assert.equal(rx.received[0]!.body.toString(), pretty);
    assert.equal(rx.received[0]!.headers['x-signature'], hmac('s', pretty));
    assert.equal(historyRecords(dir.path).length, 0, '--no-record writes nothing');
  } finally {
    await rx.close();
    dir.cleanup();
  }
});

test('503 twice then 200: exactly three attempts and exit 0; Retry-After is respected', async () => {
  const dir = tempDir();
  const rx = await startReceiver((_r, i, res) => {
    if (i < 2) res.writeHead(503, i === 1 ? { 'retry-after': '1' } : {}).end('busy');
    else res.writeHead(200).end('ok');
  });
  try {
    const r = await runCli(['send', '--url', rx.url, '--secret', 's', '--backoff', '10ms'], {
      env: { BLUEHOOK_HOME: dir.path },
    });
    assert.equal(r.code, 0, r.stderr);
    assert.equal(rx.received.length, 3);
    assert.equal(
      new Set(rx.received.map((x) => x.body.toString())).size,
      1,
      'every attempt carries the same bytes',
    );
    assert.match(r.stderr, /attempt 1: 503 Service Unavailable/);
    assert.match(r.stderr, /attempt 2: 503 .*retrying in 1\.00 s/, 'waits what Retry-After says');
    assert.match(r.stderr, /attempt 3: 200 OK/);
    const [record] = logRecords(dir.path);
    assert.deepEqual(
      record.attempts.map((a: { status: number }) => a.status),
      [503, 503, 200],
    );
  } finally {
    await rx.close();
    dir.cleanup();
  }
});

test('a dead port is exit 3 with one line naming the cause', async () => {
  const dir = tempDir();
  try {
    const port = await deadPort();
    const r = await runCli(
      ['send', '--url', `http://127.0.0.1:${port}/`, '--secret', 's', '--no-retry'],
      { env: { BLUEHOOK_HOME: dir.path } },
    );
    assert.equal(r.code, 3);
    assert.match(r.stderr, /could not reach http:\/\/127\.0\.0\.1:\d+\/: connection refused/);
    assert.equal(r.stderr.split('\n').filter((l) => /could not reach/.test(l)).length, 1);
    assert.equal(r.stdout, '');
  } finally {
    dir.cleanup();
  }
});

test('a receiver failing forever: 5 attempts, then the UNHEALTHY verdict, applied to the stored webhook', async () => {
  const dir = tempDir();
  const env = { BLUEHOOK_HOME: dir.path };
  const rx = await startReceiver((_r, _i, res) => res.writeHead(500).end('nope'));
  try {
    const hook = JSON.parse(
      (
        await runCli(['create', '--name', 'w', '--url', rx.url, '--json', '--reveal-secret'], {
          env,
        })
      ).stdout,
    );
    const r = await runCli(['send', '--webhook', 'w', '--backoff', '5ms', '--apply-health'], {
      env,
    });
    assert.equal(r.code, 1);
    assert.equal(rx.received.length, 5);
    assert.match(
      r.stderr,
      /all 5 attempts failed: Blue would now disable this webhook, mark it UNHEALTHY/,
    );
    const body = JSON.parse(rx.received[0]!.body.toString());
    assert.equal(body.webhook.id, hook.id, 'the stored webhook row is embedded');
    assert.equal(body.webhook.secret, '');
    assert.equal(
      rx.received[0]!.headers['x-signature'],
      hmac(hook.secret, rx.received[0]!.body),
      'signed with the stored secret',
    );
    const after = JSON.parse((await runCli(['show', 'w', '--json'], { env })).stdout);
    assert.deepEqual([after.enabled, after.status], [false, 'UNHEALTHY']);
  } finally {
    await rx.close();
    dir.cleanup();
  }
});

test('--health-check: 2xx means Blue would enable; otherwise it stays disabled and UNHEALTHY', async () => {
  const dir = tempDir();
  const env = { BLUEHOOK_HOME: dir.path };
  let answer = 500;
  const rx = await startReceiver((_r, _i, res) => res.writeHead(answer).end());
  try {
    await runCli(['create', '--name', 'w', '--url', rx.url, '--disabled'], { env });
    const bad = JSON.parse(
      (
        await runCli(['send', '--webhook', 'w', '--health-check', '--apply-health', '--json'], {
          env,
        })
      ).stdout,
    );
    assert.equal(bad.event, 'WEBHOOK_HEALTH_CHECK');
    assert.deepEqual([bad.blue.enabled, bad.blue.status], [false, 'UNHEALTHY']);
    assert.equal(rx.received.length, 1, 'one POST, no retries');
    const body = JSON.parse(rx.received[0]!.body.toString());
    assert.deepEqual(Object.keys(body), ['event', 'webhook']);
    answer = 204;
    const good = await runCli(['send', '--webhook', 'w', '--health-check', '--apply-health'], {
      env,
    });
    assert.equal(good.code, 0, good.stderr);
    assert.match(good.stderr, /Blue would enable this webhook/);
    const after = JSON.parse((await runCli(['show', 'w', '--json'], { env })).stdout);
    assert.deepEqual([after.enabled, after.status], [true, 'HEALTHY']);
  } finally {
    await rx.close();
    dir.cleanup();
  }
});

test('--expect-status: 401 expected and answered is exit 0; 200 when 401 expected is exit 1', async () => {
  const dir = tempDir();
  const rx = await startReceiver((_r, _i, res) => res.writeHead(401).end());
  try {
    const ok = await runCli(
      ['send', '--url', rx.url, '--secret', 's', '--expect-status', '4xx', '--no-record'],
      { env: { BLUEHOOK_HOME: dir.path } },
    );
    assert.equal(ok.code, 0, ok.stderr);
    assert.equal(rx.received.length, 1, 'an expected answer is not retried');
    const bad = await runCli(
      [
        'send',
        '--url',
        rx.url,
        '--secret',
        's',
        '--expect-status',
        '200,204',
        '--no-retry',
        '--no-record',
      ],
      { env: { BLUEHOOK_HOME: dir.path } },
    );
    assert.equal(bad.code, 1);
    assert.match(bad.stderr, /401 does not match --expect-status 200,204/);
    const usage = await runCli([
      'send',
      '--url',
      rx.url,
      '--secret',
      's',
      '--expect-status',
      'great',
    ]);
    assert.equal(usage.code, 2);
  } finally {
    await rx.close();
    dir.cleanup();
  }
});

test('--all-events sends one delivery of every event', async () => {
  const dir = tempDir();
  const rx = await startReceiver();
  try {
    const r = await runCli(['send', '--url', rx.url, '--secret', 's', '--all-events', '--json'], {
      env: { BLUEHOOK_HOME: dir.path },
    });
    assert.equal(r.code, 0, r.stderr);
    const out = jsonLines(r.stdout);
    assert.equal(rx.received.length, 38);
    assert.equal(new Set(rx.received.map((x) => JSON.parse(x.body.toString()).event)).size, 38);
    assert.deepEqual(out.at(-1), { type: 'summary', sent: 38, expected: 38 });
  } finally {
    await rx.close();
    dir.cleanup();
  }
});

test('load: 10,000 deliveries at concurrency 50; the summary matches what the receiver counted', async () => {
  const dir = tempDir();
  let fails = 0;
  const rx = await startReceiver((_r, i, res) => {
    if (i % 100 === 7) {
      fails++;
      res.writeHead(503).end();
    } else res.writeHead(204).end();
  });
  try {
    const r = await runCli(
      [
        'send',
        '--url',
        rx.url,
        '--secret',
        's',
        '--count',
        '10000',
        '--concurrency',
        '50',
        '--json',
      ],
      { env: { BLUEHOOK_HOME: dir.path }, timeoutMs: 120_000 },
    );
    assert.equal(r.code, 1, 'some answers were 503');
    const out = jsonLines(r.stdout);
    const summary = out.at(-1);
    assert.equal(summary.type, 'summary');
    assert.equal(summary.sent, 10_000);
    assert.equal(rx.received.length, 10_000);
    assert.equal(summary.answered['2xx'], 10_000 - fails);
    assert.equal(summary.answered['5xx'], fails);
    assert.equal(summary.expected, 10_000 - fails);
    assert.ok(
      summary.latencyMs.p50 <= summary.latencyMs.p99 &&
        summary.latencyMs.p99 <= summary.latencyMs.max,
    );
    assert.equal(out.filter((l) => l.type === 'delivery').length, 10_000);
    const signed = rx.received
      .slice(0, 20)
      .every((x) => x.headers['x-signature'] === hmac('s', x.body));
    assert.ok(signed, 'signed per delivery');
    assert.equal(new Set(rx.received.map((x) => x.body.toString())).size, 10_000, 'fresh bodies');
    // Load mode records, by default, only what did not get the expected answer.
    const recorded = logRecords(dir.path);
    assert.equal(recorded.length, fails, 'the failures are recorded');
    assert.ok(recorded.every((x) => x.response.status === 503 && x.ok === false));
    assert.match(
      (await runCli(['deliveries', 'count'], { env: { BLUEHOOK_HOME: dir.path } })).stdout,
      new RegExp(`^${fails} deliveries in `),
    );
  } finally {
    await rx.close();
    dir.cleanup();
  }
});

test('load chaos: --duplicates repeats exact bytes, --shuffle keeps the multiset', async () => {
  const dir = tempDir();
  const rx = await startReceiver();
  try {
    const r = await runCli(
      [
        'send',
        '--url',
        rx.url,
        '--secret',
        's',
        '--count',
        '20',
        '--duplicates',
        '2',
        '--shuffle',
        '--concurrency',
        '4',
        '--no-record',
      ],
      { env: { BLUEHOOK_HOME: dir.path } },
    );
    assert.equal(r.code, 0, r.stderr);
    assert.equal(rx.received.length, 60);
    const counts = new Map<string, number>();
    for (const x of rx.received)
      counts.set(x.body.toString(), (counts.get(x.body.toString()) ?? 0) + 1);
    assert.equal(counts.size, 20);
    assert.ok([...counts.values()].every((n) => n === 3));
    const bad = await runCli(['send', '--url', rx.url, '--secret', 's', '--shuffle']);
    assert.equal(bad.code, 2);
  } finally {
    await rx.close();
    dir.cleanup();
  }
});

test('load with --threads 2: two sending threads, counts merged, every delivery recorded once', async () => {
  const dir = tempDir();
  const rx = await startReceiver((_r, _i, res) => res.writeHead(204).end());
  try {
    const r = await runCli(
      [
        'send',
        '--url',
        rx.url,
        '--secret',
        's',
        '--count',
        '2001',
        '--concurrency',
        '8',
        '--threads',
        '2',
        '--record',
        'all',
        '--json',
      ],
      { env: { BLUEHOOK_HOME: dir.path }, timeoutMs: 120_000 },
    );
    assert.equal(r.code, 0, r.stderr);
    const out = jsonLines(r.stdout);
    const summary = out.at(-1);
    assert.deepEqual(
      [summary.type, summary.sent, summary.expected, summary.answered['2xx']],
      ['summary', 2001, 2001, 2001],
    );
    assert.equal(rx.received.length, 2001);
    assert.equal(
      new Set(rx.received.map((x) => x.body.toString())).size,
      2001,
      'fresh bodies in both threads',
    );
    assert.ok(rx.received.every((x) => x.headers['x-signature'] === hmac('s', x.body)));
    const indexes = out
      .filter((l) => l.type === 'delivery')
      .map((l) => l.index)
      .sort((a, b) => a - b);
    assert.deepEqual(
      indexes,
      Array.from({ length: 2001 }, (_, i) => i),
    );
    assert.equal(logRecords(dir.path).length, 2001);
  } finally {
    await rx.close();
    dir.cleanup();
  }
});

test('send --edit and replay --edit: the body opened in $EDITOR, the edited bytes signed and sent', async () => {
  const dir = tempDir();
  const rx = await startReceiver();
  // An "editor" that changes the title: what a person would do in vi.
  const editor = `sed -i 's/"title":"[^"]*"/"title":"Edited by hand"/'`;
  const env = { BLUEHOOK_HOME: dir.path, EDITOR: editor, VISUAL: undefined };
  try {
    const r = await runCli(['send', '--url', rx.url, '--secret', 's', '--seed', '2', '--edit'], {
      env,
    });
    assert.equal(r.code, 0, r.stderr);
    const got = rx.received[0]!;
    assert.equal(JSON.parse(got.body.toString()).currentValue.title, 'Edited by hand');
    assert.equal(got.headers['x-signature'], hmac('s', got.body), 'signed after the edit');
    const id = logRecords(dir.path)[0].id;
    const again = await runCli(['replay', id, '--edit', '--secret', 's2'], {
      env: { ...env, EDITOR: `sed -i 's/Edited by hand/Edited twice/'` },
    });
    assert.equal(again.code, 0, again.stderr);
    assert.equal(JSON.parse(rx.received[1]!.body.toString()).currentValue.title, 'Edited twice');
    assert.equal(
      rx.received[1]!.headers['x-signature'],
      hmac('s2', rx.received[1]!.body),
      'an edited replay is signed again',
    );
    const refused = await runCli(['send', '--url', rx.url, '--secret', 's', '--edit'], {
      env: { ...env, EDITOR: 'false' },
    });
    assert.equal(refused.code, 2);
    assert.match(refused.stderr, /editor \(false\) exited with 1: nothing was sent/);
    assert.equal(rx.received.length, 2);
  } finally {
    await rx.close();
    dir.cleanup();
  }
});

test('on a terminal, load mode shows sent, rate, elapsed time and failures so far; NO_COLOR leaves it uncoloured', async () => {
  const rx = await startReceiver((_r, i, res) => res.writeHead(i % 10 === 0 ? 503 : 204).end());
  const dir = tempDir();
  try {
    const session = await runInPty(
      ['send', '--url', rx.url, '--secret', 's', '--count', '1500', '--rate', '500', '--no-record'],
      [],
      { BLUEHOOK_HOME: dir.path, NO_COLOR: '1' },
    );
    assert.equal(session.code, 1, 'some answers were 503');
    assert.match(session.screen, /sent \d+\/1500 · \d+\/s · \d+\.\ds · \d+ failed/);
    assert.match(session.screen, /[1-9]\d* failed/, 'failures counted as they happen');
    assert.doesNotMatch(session.screen, /\u001b\[(3\d|9\d)m/, 'no colour codes');
  } finally {
    await rx.close();
    dir.cleanup();
  }
});

test('Ctrl-C during a load run on a terminal stops it: exit 130, the rest never sent', async () => {
  const rx = await startReceiver((_r, _i, res) => res.writeHead(204).end());
  const dir = tempDir();
  try {
    const started = Date.now();
    const session = await runInPty(
      [
        'send',
        '--url',
        rx.url,
        '--secret',
        's',
        '--count',
        '50000',
        '--rate',
        '1000',
        '--no-record',
      ],
      [{ when: /sent [1-9]\d*\/50000/, keys: ['\u0003'] }],
      { BLUEHOOK_HOME: dir.path },
    );
    assert.equal(session.pending, 0, 'the progress line appeared');
    assert.equal(session.code, 130, session.screen.slice(-300));
    assert.ok(Date.now() - started < 20_000, 'stopped promptly');
    assert.ok(
      rx.received.length < 50_000 && rx.received.length > 0,
      `stopped part way (${rx.received.length} sent)`,
    );
  } finally {
    await rx.close();
    dir.cleanup();
  }
});

test('--record failed keeps only what was not answered as expected, for one delivery as for a load run', async (t) => {
  const dir = tempDir();
  t.after(() => dir.cleanup());
  const rx = await startReceiver((req, _i, res) => {
    res.writeHead(req.headers['x-fail'] ? 500 : 200).end();
  });
  t.after(() => rx.close());
  const env = { BLUEHOOK_HOME: dir.path };
  const base = ['send', '--url', rx.url, '--secret', 's', '--record', 'failed', '--no-retry'];
  const ok = await runCli(base, { env });
  assert.equal(ok.code, 0, ok.stderr);
  assert.equal(historyRecords(dir.path).length, 0, 'answered as expected: not recorded');
  const failed = await runCli([...base, '-H', 'X-Fail: 1'], { env });
  assert.equal(failed.code, 1, failed.stderr);
  const kept = historyRecords(dir.path);
  assert.deepEqual(
    kept.map((r) => r.response?.status),
    [500],
    'the failed one is recorded',
  );
  assert.equal(rx.received.length, 2);
});

test('load: the summary says what an error was (its first message per kind), in text and --json', async (t) => {
  const dir = tempDir();
  t.after(dir.cleanup);
  // A receiver that answers in something that is not HTTP.
  const { createServer } = await import('node:net');
  const server = createServer((socket) => {
    socket.on('data', () => socket.end('SSH-2.0-OpenSSH_9.2\r\n'));
    socket.on('error', () => {});
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  t.after(() => new Promise<void>((r) => server.close(() => r())));
  const url = `http://127.0.0.1:${(server.address() as import('node:net').AddressInfo).port}/`;
  const env = { BLUEHOOK_HOME: dir.path };
  const args = ['send', '--url', url, '--secret', 's', '--count', '5', '--record', 'none'];
  const json = await runCli([...args, '--json'], { env });
  assert.equal(json.code, 3);
  const summary = jsonLines(json.stdout).at(-1);
  assert.deepEqual(summary.errors, { error: 5 });
  assert.match(summary.errorExamples.error, /not an HTTP\/1\.x answer/);
  const text = await runCli(args, { env });
  assert.match(text.stdout + text.stderr, /errors +error 5 \(not an HTTP\/1\.x answer/);
});
