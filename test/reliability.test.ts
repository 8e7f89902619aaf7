/**
 * Reliability and security: fuzzed and slow clients against listen, kill -9, concurrent
 * processes on one store and one log, flaky receivers for send and replay, bad files, secrets.
 * Every count is gathered into dist/reliability.json (the figures in docs/reliability.md).
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { connect, type Socket } from 'node:net';
import {
  lstatSync,
  readdirSync,
  readFileSync,
  statSync,
  symlinkSync,
  writeFileSync,
  mkdirSync,
} from 'node:fs';
import { join } from 'node:path';
import { SampleRandom } from '../src/blue/random.js';
import {
  historyRecords,
  hmac,
  tempDir,
  post,
  ROOT,
  runCli,
  startListen,
  startReceiver,
  storedWebhooks,
} from './helpers.js';

const figures = {
  fuzzedRequests: 0,
  validDeliveriesAcknowledged: 0,
  validDeliveriesRecorded: 0,
  invalidAnswered4xx: 0,
  badInputsByKind: {} as Record<string, number>,
  deliveriesSentUnderFault: 0,
  deliveriesAcknowledgedUnderFault: 0,
  deliveriesRecordedUnderFault: 0,
  concurrentProcesses: 0,
  crashes: 0,
  dataLost: 0,
};
after(() =>
  writeFileSync(join(ROOT, 'dist', 'reliability.json'), `${JSON.stringify(figures, null, 2)}\n`),
);

// 70 (internal error) is documented, but it means a bug: it counts as a crash here.
const DOCUMENTED_EXITS = new Set([0, 1, 2, 3, 4, 130, 143]);
/** Every CLI run in this suite: an internal error, an undocumented exit or a stack trace counts as a crash. */
async function cli(args: string[], options: Parameters<typeof runCli>[1] = {}) {
  const r = await runCli(args, options);
  if (
    !DOCUMENTED_EXITS.has(r.code ?? -1) ||
    /unexpected error/.test(r.stderr) ||
    /\n\s+at .+:\d+:\d+\)?\n/.test(r.stderr)
  )
    figures.crashes++;
  return r;
}
const exitedCleanly = (code: number | null) => {
  if (!DOCUMENTED_EXITS.has(code ?? -1)) figures.crashes++;
  return code;
};
const kind = (k: string, n = 1) =>
  (figures.badInputsByKind[k] = (figures.badInputsByKind[k] ?? 0) + n);

/** Writes raw bytes on a fresh connection; resolves with the status line's code, or null if none came. */
function raw(
  port: number,
  chunks: Array<Buffer | string>,
  { closeEarly = false, timeoutMs = 30_000 } = {},
): Promise<number | null> {
  return new Promise((resolve) => {
    const socket: Socket = connect(port, '127.0.0.1');
    let data = '';
    const done = () =>
      resolve(
        /^HTTP\/1\.1 (\d{3})/.exec(data)?.[1] ? Number(/^HTTP\/1\.1 (\d{3})/.exec(data)![1]) : null,
      );
    const timer = setTimeout(() => socket.destroy(), timeoutMs);
    socket.on('data', (d) => (data += d.toString('latin1')));
    socket.on('close', () => {
      clearTimeout(timer);
      done();
    });
    socket.on('error', () => undefined);
    socket.on('connect', () => {
      for (const c of chunks) socket.write(c);
      if (closeEarly) socket.destroy();
    });
  });
}

const request = (
  method: string,
  path: string,
  headers: Record<string, string>,
  body: Buffer | string = '',
) => {
  const b = Buffer.isBuffer(body) ? body : Buffer.from(body);
  const lines = [
    `${method} ${path} HTTP/1.1`,
    'Host: 127.0.0.1',
    'Connection: close',
    `Content-Length: ${b.length}`,
    ...Object.entries(headers).map(([k, v]) => `${k}: ${v}`),
  ];
  return Buffer.concat([Buffer.from(`${lines.join('\r\n')}\r\n\r\n`), b]);
};

const rssMiB = (pid: number) =>
  Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))![1]) / 1024;

test('fuzzed requests: listen stays up, records and acknowledges every valid delivery, answers 4xx to the rest', async () => {
  const dir = tempDir();
  const listen = await startListen(['--secret', 's', '--max-body', '64kb'], {
    BLUEHOOK_HOME: dir.path,
  });
  const port = Number(new URL(listen.url).port);
  const rnd = new SampleRandom('fuzz');
  const valid = await (await cli(['payload', 'TODO_CREATED', '--seed', '1'])).stdout;
  const acked: string[] = [];
  try {
    for (let i = 0; i < 400; i++) {
      const k = rnd.int(0, 13);
      figures.fuzzedRequests++;
      let expect: number | null | 'any4xx';
      let status: number | null;
      let body: Buffer | string = valid.replace('"TODO_CREATED"', `"TODO_CREATED","n":${i}`);
      switch (k) {
        case 0: // valid
        case 1:
          status = await raw(port, [
            request('POST', '/', { 'X-Signature': hmac('s', body) }, body),
          ]);
          expect = 200;
          break;
        case 2:
          kind('wrong signature');
          status = await raw(port, [
            request('POST', '/', { 'X-Signature': rnd.chars('0123456789abcdef', 64) }, body),
          ]);
          expect = 401;
          break;
        case 3: {
          kind('wrong method');
          const method = rnd.pick(['GET', 'PUT', 'DELETE', 'PATCH', 'OPTIONS']);
          status = await raw(port, [request(method, '/', {}, method === 'GET' ? '' : body)]);
          expect = 405;
          break;
        }
        case 4:
          kind('wrong path');
          status = await raw(port, [
            request(
              'POST',
              `/${rnd.chars('abcxyz/', 8)}x`,
              { 'X-Signature': hmac('s', body) },
              body,
            ),
          ]);
          expect = 404;
          break;
        case 5:
          kind('invalid UTF-8 / not JSON');
          body = Buffer.from([0xff, 0xfe, 0x7b, 0xc3, 0x28, rnd.int(0, 255)]);
          status = await raw(port, [
            request('POST', '/', { 'X-Signature': hmac('s', body) }, body),
          ]);
          expect = 400;
          break;
        case 6:
          kind('deep nesting / huge numbers');
          body = rnd.int(0, 1)
            ? `${'['.repeat(3000)}1e999999${']'.repeat(3000)}`
            : `{"event":"TODO_CREATED","n":${'9'.repeat(5000)}}`;
          status = await raw(port, [
            request('POST', '/', { 'X-Signature': hmac('s', body) }, body),
          ]);
          expect = 200; // signed and JSON: a valid delivery, however odd
          break;
        case 7:
          kind('empty body');
          body = '';
          status = await raw(port, [
            request('POST', '/', rnd.int(0, 1) ? { 'X-Signature': hmac('s', '') } : {}, ''),
          ]);
          expect = 'any4xx';
          break;
        case 8: {
          kind('chunked');
          const b = Buffer.from(body);
          const cut = rnd.int(1, b.length - 1);
          const head = `POST / HTTP/1.1\r\nHost: x\r\nConnection: close\r\nTransfer-Encoding: chunked\r\nX-Signature: ${hmac('s', b)}\r\n\r\n`;
          status = await raw(port, [
            head,
            `${cut.toString(16)}\r\n`,
            b.subarray(0, cut),
            '\r\n',
            `${(b.length - cut).toString(16)}\r\n`,
            b.subarray(cut),
            '\r\n0\r\n\r\n',
          ]);
          expect = 200;
          break;
        }
        case 9: {
          kind('truncated / disconnect mid-body');
          const b = Buffer.from(body);
          const full = request('POST', '/', { 'X-Signature': hmac('s', b) }, b);
          status = await raw(port, [full.subarray(0, full.length - rnd.int(1, 500))], {
            closeEarly: true,
          });
          expect = null;
          break;
        }
        case 10:
          kind('oversized body');
          body = JSON.stringify({ event: 'TODO_CREATED', pad: 'x'.repeat(70_000) });
          status = await raw(port, [
            request('POST', '/', { 'X-Signature': hmac('s', body) }, body),
          ]);
          expect = 413;
          break;
        case 11:
          kind('oversized headers');
          status = await raw(port, [
            request(
              'POST',
              '/',
              { 'X-Big': 'y'.repeat(20_000), 'X-Signature': hmac('s', body) },
              body,
            ),
          ]);
          expect = 431;
          break;
        case 12:
          kind('random header sets');
          status = await raw(port, [
            request(
              'POST',
              '/',
              {
                [`X-${rnd.chars('abc', 5)}`]: rnd.chars('xyz ', 30),
                'Content-Type': rnd.pick(['text/plain', 'application/json', '']),
                'X-Signature': hmac('s', body),
              },
              body,
            ),
          ]);
          expect = 200;
          break;
        default:
          kind('not HTTP');
          status = await raw(port, [
            Buffer.from(rnd.chars('\u0000\u0001GARBAGE \r\n', 40), 'latin1'),
          ]);
          expect = 'any4xx';
      }
      if (expect === 200) {
        assert.equal(status, 200, `request ${i} kind ${k}`);
        acked.push(Buffer.isBuffer(body) ? body.toString('latin1') : body);
      } else if (expect === 'any4xx') {
        assert.ok(
          status === null || (status >= 400 && status < 500),
          `request ${i} kind ${k}: ${status}`,
        );
        if (status) figures.invalidAnswered4xx++;
      } else if (expect === null) {
        assert.ok(
          status === null || status >= 400,
          `request ${i}: truncated bodies are never acknowledged`,
        );
      } else {
        assert.equal(status, expect, `request ${i} kind ${k}`);
        figures.invalidAnswered4xx++;
      }
    }
    const rss = rssMiB(listen.child.pid!);
    assert.ok(rss < 200, `memory stays bounded (${rss.toFixed(0)} MiB)`);
    // Still up, and the log holds every acknowledged delivery.
    const final = await post(listen.url, valid, { 'x-signature': hmac('s', valid) });
    assert.equal(final.status, 200);
    acked.push(valid);
    listen.child.kill('SIGTERM');
    assert.equal(exitedCleanly(await listen.exited), 143, 'a clean exit (SIGTERM), no crash');
    const records = historyRecords(dir.path);
    const recordedValid = new Set(
      records
        .filter((r) => r.verdict!.valid && r.answer!.status === 200)
        .map((r) =>
          r.bodyEncoding === 'utf8' ? r.body : Buffer.from(r.body, 'base64').toString('latin1'),
        ),
    );
    for (const body of acked) assert.ok(recordedValid.has(body), 'acknowledged means recorded');
    figures.validDeliveriesAcknowledged += acked.length;
    figures.validDeliveriesRecorded += acked.filter((b) => recordedValid.has(b)).length;
    figures.dataLost += acked.filter((b) => !recordedValid.has(b)).length;
  } finally {
    listen.child.kill('SIGKILL');
    dir.cleanup();
  }
});

test('slow clients trickling headers and bodies do not stop valid deliveries from being served', async () => {
  const dir = tempDir();
  const listen = await startListen(['--secret', 's', '--no-record'], { BLUEHOOK_HOME: dir.path });
  const port = Number(new URL(listen.url).port);
  const slow: Socket[] = [];
  const timers: NodeJS.Timeout[] = [];
  try {
    const connected: Array<Promise<unknown>> = [];
    let cut = 0;
    for (let i = 0; i < 100; i++) {
      const s = connect(port, '127.0.0.1');
      s.on('error', () => undefined);
      connected.push(new Promise((r) => s.once('connect', r)));
      s.once('close', () => cut++);
      slow.push(s);
      const text =
        i % 2
          ? 'POST / HTTP/1.1\r\nHost: x\r\nX-Slow: '
          : 'POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 100000\r\n\r\n{"event":';
      let n = 0;
      timers.push(setInterval(() => s.write(text[n++ % text.length]!), 100));
    }
    kind('slow clients', 100);
    // Every slow client holds its connection before the valid deliveries start.
    await Promise.all(connected);
    const body = JSON.stringify({
      event: 'TODO_CREATED',
      webhook: {},
      previousValue: null,
      currentValue: {},
    });
    const answers = await Promise.all(
      Array.from({ length: 50 }, () => post(listen.url, body, { 'x-signature': hmac('s', body) })),
    );
    assert.ok(answers.every((a) => a.status === 200));
    assert.equal(cut, 0, 'the slow clients were still connected while the deliveries were served');
  } finally {
    timers.forEach(clearInterval);
    for (const s of slow) s.destroy();
    listen.child.kill('SIGKILL');
    dir.cleanup();
  }
});

test('concurrent processes: parallel create/update/delete on one store; parallel listen and send on one history', async () => {
  const dir = tempDir();
  const env = { BLUEHOOK_HOME: dir.path };
  try {
    for (let i = 0; i < 6; i++)
      await cli(['create', '--name', `base${i}`, '--url', 'https://example.com/'], { env });
    const jobs = [
      ...Array.from({ length: 8 }, (_, i) => [
        'create',
        '--name',
        `new${i}`,
        '--url',
        `https://example.com/${i}`,
      ]),
      ...[0, 1, 2].map((i) => ['update', `base${i}`, '--events', 'TODO_MOVED']),
      ...[3, 4, 5].map((i) => ['delete', `base${i}`, '--yes']),
    ];
    figures.concurrentProcesses += jobs.length;
    const results = await Promise.all(jobs.map((args) => cli(args, { env })));
    results.forEach((r, i) => {
      assert.equal(r.code, 0, `${jobs[i]!.join(' ')}: ${r.stderr}`);
    });
    const stored = storedWebhooks(dir.path) as Array<{ name: string; events: string[] }>;
    assert.deepEqual(
      stored.map((w) => w.name).sort(),
      ['base0', 'base1', 'base2', ...Array.from({ length: 8 }, (_, i) => `new${i}`)].sort(),
    );
    for (const w of stored.filter((x) => x.name.startsWith('base')))
      assert.deepEqual(w.events, ['TODO_MOVED']);

    const listeners = await Promise.all([
      startListen(['--secret', 's'], env),
      startListen(['--secret', 's'], env),
    ]);
    const sends = await Promise.all(
      [0, 1, 2, 3].map((i) =>
        cli(
          [
            'send',
            '--url',
            listeners[i % 2]!.url,
            '--secret',
            's',
            '--count',
            '150',
            '--concurrency',
            '10',
            '--record',
            'all',
            '--json',
          ],
          { env, timeoutMs: 60_000 },
        ),
      ),
    );
    figures.concurrentProcesses += 6;
    for (const s of sends)
      assert.equal(JSON.parse(s.stdout.trim().split('\n').at(-1)!).expected, 150);
    figures.deliveriesSentUnderFault += 0; // (no faults here: these are counted as concurrent processes)
    for (const l of listeners) l.child.kill('SIGTERM');
    (await Promise.all(listeners.map((l) => l.exited))).forEach(exitedCleanly);
    // Six writers (two listeners, four senders) on one database: every record whole, none lost.
    const records = historyRecords(dir.path);
    assert.equal(records.filter((r) => r.direction === 'out').length, 600);
    assert.equal(records.filter((r) => r.direction === 'in').length, 600);
    assert.equal(new Set(records.map((r) => r.id)).size, 1200, 'unique ids across processes');
  } finally {
    dir.cleanup();
  }
});

test('send and replay against a flaky receiver: exactly the configured attempts, a correct report, no extra duplicates', async () => {
  const dir = tempDir();
  const env = { BLUEHOOK_HOME: dir.path };
  const seen = new Map<string, number>();
  let mode: 'script' | 'first-fails' = 'script';
  const script = ['reset', 'drop', '503', 'slow', '200'];
  const rx = await startReceiver(async (req, i, res) => {
    const key = req.body.toString();
    const n = (seen.get(key) ?? 0) + 1;
    seen.set(key, n);
    const what =
      mode === 'script'
        ? (script[i] ?? '200')
        : n === 1
          ? ['reset', 'drop', '503', 'slow'][i % 4]!
          : '200';
    if (what === 'reset') res.socket?.destroy();
    else if (what === 'drop')
      return; // never answers: the client's timeout decides
    else if (what === '503') res.writeHead(503, { 'retry-after': '0' }).end();
    else if (what === 'slow') setTimeout(() => res.writeHead(200).end(), 1500);
    else res.writeHead(200).end('ok');
  });
  try {
    const one = await cli(
      [
        'send',
        '--url',
        rx.url,
        '--secret',
        's',
        '--timeout',
        '800ms',
        '--backoff',
        '10ms',
        '--json',
      ],
      { env },
    );
    assert.equal(one.code, 0, one.stderr);
    const report = JSON.parse(one.stdout);
    assert.equal(report.attempts.length, 5);
    assert.deepEqual(
      report.attempts.map((a: { status?: number }) => a.status ?? null),
      [null, null, 503, null, 200],
    );
    assert.match(report.attempts[0].error, /reset|closed/);
    assert.match(report.attempts[1].error, /timed out/);
    assert.equal(rx.received.length, 5, 'exactly five requests reached the receiver');
    figures.deliveriesSentUnderFault += 1;
    figures.deliveriesAcknowledgedUnderFault += 1;

    mode = 'first-fails';
    seen.clear();
    const before = rx.received.length;
    const load = await cli(
      [
        'send',
        '--url',
        rx.url,
        '--secret',
        's',
        '--count',
        '120',
        '--concurrency',
        '8',
        '--retries',
        '2',
        '--timeout',
        '800ms',
        '--backoff',
        '5ms',
        '--record',
        'all',
        '--json',
      ],
      { env, timeoutMs: 90_000 },
    );
    const summary = JSON.parse(load.stdout.trim().split('\n').at(-1)!);
    assert.equal(summary.sent, 120);
    assert.equal(summary.expected, 120, 'every delivery got through within its retries');
    assert.equal(seen.size, 120);
    for (const n of seen.values()) assert.ok(n <= 3, 'never more requests than the policy allows');
    assert.equal(
      rx.received.length - before,
      [...seen.values()].reduce((a, b) => a + b, 0),
    );
    figures.deliveriesSentUnderFault += 120;
    figures.deliveriesAcknowledgedUnderFault += summary.expected;

    seen.clear();
    const replay = await cli(
      [
        'replay',
        '--last',
        '40',
        '--to',
        rx.url,
        '--retries',
        '1',
        '--timeout',
        '800ms',
        '--backoff',
        '5ms',
        '--concurrency',
        '4',
        '--json',
      ],
      { env, timeoutMs: 60_000 },
    );
    const rs = JSON.parse(replay.stdout.trim().split('\n').at(-1)!);
    assert.equal(rs.sent, 40);
    assert.equal(rs.expected, 40);
    for (const n of seen.values())
      assert.equal(n, 2, 'each replayed body: one failure, one retry, no more');
    figures.deliveriesSentUnderFault += 40;
    figures.deliveriesAcknowledgedUnderFault += rs.expected;
    const out = historyRecords(dir.path);
    figures.deliveriesRecordedUnderFault += out.length;
    figures.dataLost += Math.max(0, figures.deliveriesSentUnderFault - out.length);
    assert.equal(out.length, 1 + 120 + 40, 'every delivery sent is recorded once');
  } finally {
    await rx.close();
    dir.cleanup();
  }
});

test('bad files: garbage lines in an old log are skipped on import; a corrupt store, database or config is an error that overwrites nothing', async () => {
  const dir = tempDir();
  const env = { BLUEHOOK_HOME: dir.path };
  try {
    const rx = await startReceiver();
    await cli(['send', '--url', rx.url, '--secret', 's'], { env });
    // An old-format log beside the database: one real record among garbage.
    const real = JSON.stringify(historyRecords(dir.path)[0]).replace(/"id":"d/, '"id":"dold');
    writeFileSync(
      join(dir.path, 'deliveries.ndjson'),
      `garbage\n\u0000\u0001\n{"half":\n[1,2]\n{"id":"x"}\n${real}\n`,
    );
    kind('garbage log lines', 5);
    await cli(['send', '--url', rx.url, '--secret', 's'], { env });
    await rx.close();
    const listed = await cli(['deliveries', 'list', '--json'], { env });
    assert.equal(listed.code, 0);
    assert.equal(listed.stdout.trim().split('\n').length, 3, 'the real records, garbage skipped');

    for (const junk of [
      '',
      '{',
      'null',
      '[]',
      '{"version":2}',
      '\u0000'.repeat(64),
      JSON.stringify({ version: 1, userId: 'u', webhooks: 'no' }),
    ]) {
      const fresh = tempDir();
      const store = join(fresh.path, 'webhooks.json');
      writeFileSync(store, junk);
      kind('corrupt store');
      for (const args of [['list'], ['create', '--url', 'https://example.com/x']]) {
        const r = await cli(args, { env: { BLUEHOOK_HOME: fresh.path } });
        assert.equal(r.code, 4, `${JSON.stringify(junk)}: ${r.stderr}`);
        assert.doesNotMatch(r.stderr, /\n\s+at /);
        assert.match(r.stderr, /cannot be imported .*left untouched/);
      }
      assert.equal(readFileSync(store, 'utf8'), junk, 'left untouched');
      fresh.cleanup();
    }
    await cli(['create', '--name', 'keep', '--url', 'https://example.com/'], { env });
    const db = join(dir.path, 'bluehook.db');
    for (const junk of [
      '',
      'SQLite format 3\u0000',
      `SQLite format 3\u0000${'\u00ff'.repeat(200)}`,
      'not a database',
    ]) {
      const fresh = tempDir();
      const file = join(fresh.path, 'bluehook.db');
      writeFileSync(file, junk, 'latin1');
      kind('corrupt database');
      for (const args of [
        ['list'],
        ['deliveries', 'list'],
        ['create', '--url', 'https://example.com/x'],
      ]) {
        const r = await cli(args, { env: { BLUEHOOK_HOME: fresh.path } });
        if (junk === '') {
          assert.equal(r.code, 0, 'an empty file is an empty database');
          continue;
        }
        assert.equal(r.code, 4, `${JSON.stringify(junk.slice(0, 20))}: ${r.stderr}`);
        assert.doesNotMatch(r.stderr, /\n\s+at /);
      }
      if (junk !== '') assert.equal(readFileSync(file, 'latin1'), junk, 'left untouched');
      fresh.cleanup();
    }
    assert.equal((await cli(['list', '--json'], { env })).code, 0, 'the good store still works');
    assert.ok(readFileSync(db).length > 0);
    writeFileSync(join(dir.path, 'bad.yaml'), 'port: [\n');
    kind('config syntax error');
    const conf = await cli(['--config', join(dir.path, 'bad.yaml'), 'list'], { env });
    assert.equal(conf.code, 4);
  } finally {
    dir.cleanup();
  }
});

test('secrets never leak: outputs, errors, the history and exports hold no full secret; store files are 0600', async () => {
  const dir = tempDir();
  const env = { BLUEHOOK_HOME: dir.path };
  const SECRET = 'KNOWN-secret-value-0123456789abcdef';
  const rx = await startReceiver();
  try {
    const outputs: string[] = [];
    const run = async (args: string[], extra: Record<string, string> = {}) => {
      const r = await cli(args, { env: { ...env, ...extra } });
      outputs.push(r.stdout, r.stderr);
      return r;
    };
    await run(['create', '--name', 'w', '--url', rx.url, '--secret', SECRET]); // masked, as everywhere
    await run(['create', '--name', 'g0', '--url', rx.url, '--json']);
    // Printed in full only when asked for (and then not checked for leaks).
    const generated = JSON.parse(
      (await cli(['create', '--name', 'g', '--url', rx.url, '--json', '--reveal-secret'], { env }))
        .stdout,
    ).secret as string;
    await run(['list']);
    await run(['list', '--json']);
    await run(['show', 'w']);
    await run(['show', 'g', '--json']);
    await run(['send', '--webhook', 'w']);
    await run(['send', '--webhook', 'w', '--url', 'http://127.0.0.1:9/', '--no-retry']);
    await run(['send', '--url', rx.url, '--no-retry'], { BLUEHOOK_SECRET: SECRET });
    await run(['verify', '--signature', 'abc'], { BLUEHOOK_SECRET: SECRET });
    await run([
      'sign',
      '--secret',
      SECRET,
      join(ROOT, 'fixtures', 'deliveries', 'TODO_CREATED.json'),
    ]);
    await run(['config', '--json']);
    await run(['deliveries', 'list']);
    const first = JSON.parse(
      (await run(['deliveries', 'list', '--json'])).stdout.split('\n')[0]!,
    ).id;
    await run(['deliveries', 'show', first]);
    await run(['deliveries', 'export', first, '--format', 'curl']);
    await run(['deliveries', 'export', first, '--format', 'har']);
    await run(['payload', 'TODO_CREATED', '--set', `webhook.secret=x`]);
    kind('secret exposure checks', outputs.length);
    const createdUnasked = JSON.parse(
      (await cli(['show', 'g0', '--json', '--reveal-secret'], { env })).stdout,
    ).secret as string;
    assert.match(createdUnasked, /^whsec_/);
    for (const text of outputs) {
      assert.ok(!text.includes(SECRET), 'the known secret is never printed');
      assert.ok(!text.includes(createdUnasked), 'create --json without --reveal-secret masks it');
      assert.ok(!text.includes(generated), 'a generated secret is never printed unasked');
    }
    for (const name of readdirSync(dir.path)) {
      const path = join(dir.path, name);
      if (!lstatSync(path).isFile()) continue;
      // The database holds the webhooks' secrets by design (and the history, which must not).
      assert.equal(statSync(path).mode & 0o777, 0o600, `${name} is 0600`);
    }
    const history = JSON.stringify(historyRecords(dir.path));
    assert.ok(
      history.length > 1000 && !history.includes(SECRET) && !history.includes(generated),
      'the recorded deliveries hold no secret',
    );
    assert.equal(statSync(dir.path).mode & 0o777, 0o700);
  } finally {
    await rx.close();
    dir.cleanup();
  }
});

test('paths are used as given: symlinks in the store or at --out are never followed to other files', async () => {
  const dir = tempDir();
  try {
    const victim = join(dir.path, 'victim.txt');
    writeFileSync(victim, 'precious');
    const out = join(dir.path, 'out.json');
    symlinkSync(victim, out);
    const r = await cli(['payload', 'TODO_CREATED', '--out', out]);
    assert.equal(r.code, 0);
    assert.equal(
      readFileSync(victim, 'utf8'),
      'precious',
      '--out replaces the link, not its target',
    );
    assert.equal(lstatSync(out).isSymbolicLink(), false);

    const store = join(dir.path, 'store');
    mkdirSync(store);
    symlinkSync(victim, join(store, 'bluehook.db'));
    const listed = await cli(['list'], { env: { BLUEHOOK_HOME: store } });
    assert.equal(listed.code, 4);
    assert.match(listed.stderr, /symbolic link/);
    const logStore = join(dir.path, 'logstore');
    mkdirSync(logStore);
    symlinkSync(victim, join(logStore, 'deliveries.ndjson'));
    // An old log that is a link is not read through, nor renamed over its target.
    const rx = await startReceiver();
    const sent = await cli(['send', '--url', rx.url, '--secret', 's', '--no-retry'], {
      env: { BLUEHOOK_HOME: logStore },
    });
    await rx.close();
    assert.equal(sent.code, 4);
    assert.match(sent.stderr, /is a symbolic link/);
    assert.equal(readFileSync(victim, 'utf8'), 'precious');
    kind('symlinked paths', 3);
  } finally {
    dir.cleanup();
  }
});
