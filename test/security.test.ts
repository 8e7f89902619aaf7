/**
 * Delivery content is data, never instructions. Each test is the attack: a crafted delivery sent
 * to a real catch server (no secret needed: rejected deliveries are recorded too), then exported,
 * listed, shown, replayed or forwarded, and what it tried checked not to have happened. Counts go
 * to dist/security.json (the figures in docs/security.md).
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import {
  lstatSync,
  mkdirSync,
  readFileSync,
  statSync,
  symlinkSync,
  writeFileSync,
  chmodSync,
} from 'node:fs';
import { connect } from 'node:net';
import { join } from 'node:path';
import { promisify } from 'node:util';
import {
  historyRecords,
  hmac,
  tempDir,
  post,
  ROOT,
  runCli,
  spawnCli,
  startListen,
  startReceiver,
  waitForLine,
} from './helpers.js';

const run = promisify(execFile);

/** Sends bytes as they are (latin1) and resolves with the answer, or nothing when the server hangs up. */
function rawRequest(port: number, text: string): Promise<string> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    let answer = '';
    socket.on('data', (d) => (answer += d));
    socket.on('error', () => resolve(answer));
    socket.on('close', () => resolve(answer));
    socket.end(Buffer.from(text, 'latin1'));
    setTimeout(() => socket.destroy(), 3000);
  });
}
const attacks: Record<string, number> = {};
const tried = (kind: string, n = 1) => (attacks[kind] = (attacks[kind] ?? 0) + n);
after(() =>
  writeFileSync(join(ROOT, 'dist', 'security.json'), `${JSON.stringify(attacks, null, 2)}\n`),
);

// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/;

test('exported curl commands send the recorded bytes to the chosen URL, and nothing else', async () => {
  const dir = tempDir();
  const env = { BLUEHOOK_HOME: dir.path };
  const secretFile = join(dir.path, 'secret.txt');
  writeFileSync(secretFile, 'LOCAL-FILE-CONTENT');
  const rx = await startReceiver();
  const listen = await startListen(['--secret', 's'], env);
  try {
    // A body that names a local file, a Host that names another machine, a path with curl globs.
    const bodies = [
      `@${secretFile}`,
      `<${secretFile}`,
      `{"event":"TODO_CREATED","x":"$(touch ${dir.path}/pwned)\`touch ${dir.path}/pwned2\`'\\"'"}`,
    ];
    for (const body of bodies) {
      await post(`${listen.url}?x=[1-50]`, body, {
        host: `127.0.0.1:${new URL(rx.url).port}@evil.example`,
        'x-signature': hmac('wrong', body),
      });
      tried('crafted body exported as curl');
    }
    const binary = Buffer.from([0x00, 0xff, 0x27, 0x0a, 0x40, 0x2f]);
    await post(listen.url, binary, { 'x-signature': 'x' });
    tried('binary body exported as curl');
    listen.child.kill('SIGINT');
    await listen.exited;
    const recorded = historyRecords(dir.path);
    assert.equal(recorded.length, 4);
    for (const r of recorded) {
      const without = await runCli(['deliveries', 'export', r.id, '--format', 'curl'], { env });
      assert.equal(without.code, 2, 'a received delivery has no target bluehook can vouch for');
      assert.match(without.stderr, /--to URL/);
      const curl = (
        await runCli(['deliveries', 'export', r.id, '--format', 'curl', '--to', rx.url], { env })
      ).stdout;
      assert.doesNotMatch(curl, /evil\.example/, 'the recorded Host header is never the target');
      assert.match(curl, /--globoff/);
      await run('sh', ['-c', curl]); // plain sh, as `| sh` would
    }
    assert.equal(rx.received.length, 4, 'one request each: no globbing, nowhere else');
    const got = rx.received.map((x) => x.body);
    assert.deepEqual(
      got.slice(0, 3).map((b) => b.toString()),
      bodies,
      'the bytes themselves, never a file they name',
    );
    assert.ok(got[3]!.equals(binary), 'binary bodies exactly, through plain sh');
    assert.ok(!got.some((b) => b.includes('LOCAL-FILE-CONTENT')));
    assert.throws(() => statSync(join(dir.path, 'pwned')));
    assert.throws(() => statSync(join(dir.path, 'pwned2')));
    // A sent delivery's own target, even one with brackets, is requested once.
    const globTarget = `${rx.url}?page=[1-9]`;
    await runCli(['send', '--url', globTarget, '--secret', 's'], { env });
    const sent = historyRecords(dir.path).find((r) => r.direction === 'out')!;
    const before = rx.received.length;
    await run('sh', [
      '-c',
      (await runCli(['deliveries', 'export', sent.id, '--format', 'curl'], { env })).stdout,
    ]);
    assert.equal(rx.received.length, before + 1);
    assert.equal(rx.received.at(-1)!.url, '/hook?page=[1-9]');
    // HAR 1.2: the query string filled in; a binary body given as base64 and said so, no made-up field.
    const har = JSON.parse(
      (await runCli(['deliveries', 'export', sent.id, '--format', 'har'], { env })).stdout,
    );
    assert.deepEqual(har.log.entries[0].request.queryString, [{ name: 'page', value: '[1-9]' }]);
    const binaryRecord = recorded.find((r) => r.bodyEncoding === 'base64')!;
    const binaryHar = JSON.parse(
      (
        await runCli(['deliveries', 'export', binaryRecord.id, '--format', 'har', '--to', rx.url], {
          env,
        })
      ).stdout,
    );
    const postData = binaryHar.log.entries[0].request.postData;
    assert.equal('encoding' in postData, false);
    assert.ok(Buffer.from(postData.text, 'base64').equals(binary));
    assert.match(postData.comment, /base64/);
    const dry = await runCli(['replay', recorded[0]!.id, '--to', rx.url, '--dry-run'], { env });
    assert.match(dry.stdout, /--globoff/);
    assert.doesNotMatch(dry.stdout, /--data-binary '@/);
    tried('globbing target', 2);
  } finally {
    listen.child.kill('SIGKILL');
    await rx.close();
    dir.cleanup();
  }
});

test('terminal injection: control characters from the network are shown escaped, never obeyed', async () => {
  const dir = tempDir();
  const env = { BLUEHOOK_HOME: dir.path };
  const listen = await startListen(['--secret', 's', '--verbose'], env);
  const text = spawnCli(['listen', '--port', '0', '--secret', 's', '--verbose'], { env });
  let screen = '';
  text.stdout!.on('data', (d) => (screen += d));
  text.stderr!.on('data', (d) => (screen += d));
  try {
    await new Promise<void>((resolvePromise) => {
      const check = () => {
        if (!/listening on (\S+)/.test(screen)) return;
        text.stdout!.off('data', check);
        resolvePromise();
      };
      text.stdout!.on('data', check);
      check();
    });
    const textUrl = /listening on (\S+)/.exec(screen)![1]!;
    const forged = `TODO_CREATED\n12:00:00  TODO_CREATED                 \u001b[32m✔ valid  1976 B  1.0 ms  → 200 OK\u001b[0m\u0007\u001b]0;pwned\u0007\u009b2J`;
    const body = JSON.stringify({
      event: forged,
      title: '\u001b[2J\u001b[31mRED\u0007',
      'x\u001bkey': 1,
    });
    for (const url of [listen.url, textUrl]) {
      assert.equal((await post(url, body, { 'x-signature': hmac('wrong', body) })).status, 401);
      // Raw bytes: an escape in a header value and in the path, which an HTTP client would refuse to send.
      const { port } = new URL(url);
      await rawRequest(
        Number(port),
        `POST / HTTP/1.1\r\nHost: x\r\nX-Evil: \u001b[31mred\u0007\r\nX-Signature: 00\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
      );
      await rawRequest(
        Number(port),
        `POST /\u001b[2J\u001b]0;pwned\u0007 HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\nConnection: close\r\n\r\n{}`,
      );
    }
    tried('escape codes in event, body and path', 4);
    // A last delivery, sent after every hostile one was answered: once its line is on the screen,
    // what the hostile ones made listen print is there too.
    const marker = '{"event":"MARKER_AFTER_THE_HOSTILE_ONES"}';
    const printed = waitForLine(text.stdout!, /MARKER_AFTER_THE_HOSTILE_ONES/);
    await post(textUrl, marker, { 'x-signature': hmac('wrong', marker) });
    await printed;
    assert.doesNotMatch(screen, CONTROL, 'listen printed no raw control character');
    // The forged text is still there, escaped, on the line that gives the real verdict.
    const mentions = screen.split('\n').filter((l) => /✔ valid/.test(l));
    assert.ok(mentions.length >= 2);
    for (const l of mentions)
      assert.ok(/✘ invalid/.test(l) || /^ {4}/.test(l), `no forged line of its own: ${l}`);
    assert.ok(
      !screen.split('\n').some((l) => /^12:00:00/.test(l)),
      'the forged timestamp never starts a line',
    );
    assert.match(screen, /\\x1b\[32m/, 'shown escaped instead');
    listen.child.kill('SIGINT');
    await listen.exited;
    const id = historyRecords(dir.path)[0]!.id;
    for (const args of [
      ['deliveries', 'list'],
      ['deliveries', 'show', id],
      ['deliveries', 'list', '--limit', '5'],
    ]) {
      const r = await runCli(args, { env });
      assert.equal(r.code, 0, r.stderr);
      assert.doesNotMatch(r.stdout + r.stderr, CONTROL, args.join(' '));
      if (args[1] === 'list')
        // Three deliveries were recorded: the forged one at each listener, and the marker.
        assert.equal(r.stdout.trim().split('\n').length, 3, 'one line a delivery, no forged line');
      tried('escape codes shown by a command');
    }
  } finally {
    text.kill('SIGKILL');
    listen.child.kill('SIGKILL');
    dir.cleanup();
  }
});

test('a listener whose stdout nobody reads drops lines (and says so) instead of growing without bound', async () => {
  const dir = tempDir();
  const listen = await startListen(['--secret', 's'], { BLUEHOOK_HOME: dir.path });
  try {
    listen.child.stdout!.pause(); // a script that read the ready line and stopped
    const body = JSON.stringify({ event: 'TODO_CREATED', pad: 'x'.repeat(1500) });
    const sig = hmac('s', body);
    const rss = () =>
      Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${listen.child.pid}/status`, 'utf8'))![1]) /
      1024;
    const start = rss();
    let answered = 0;
    for (let round = 0; round < 40; round++) {
      const answers = await Promise.all(
        Array.from({ length: 250 }, () => post(listen.url, body, { 'x-signature': sig })),
      );
      answered += answers.filter((a) => a.status === 200).length;
    }
    tried('unread stdout, deliveries sent', answered);
    const grown = rss() - start;
    assert.equal(answered, 10_000, 'it never stalled');
    assert.ok(grown < 60, `memory stayed bounded (+${grown.toFixed(0)} MiB)`);
    assert.equal(
      historyRecords(dir.path).length,
      10_000,
      'every delivery is recorded all the same',
    );
    listen.child.stdout!.resume();
    listen.child.kill('SIGINT');
    assert.equal(await listen.exited, 130);
    const dropped = listen.lines().filter((l) => l.type === 'dropped');
    assert.ok(
      dropped.length >= 1 && dropped.every((d) => Number(d.lines) > 0),
      'a line says how many were dropped',
    );
  } finally {
    listen.child.kill('SIGKILL');
    dir.cleanup();
  }
});

test('forwarding relays only what a webhook sender sends, plus the headers the user adds', async () => {
  const dir = tempDir();
  const app = await startReceiver();
  const listen = await startListen(
    ['--secret', 's', '--forward-to', app.url, '--forward-header', 'X-Added: mine'],
    { BLUEHOOK_HOME: dir.path },
  );
  try {
    const body = JSON.stringify({ event: 'TODO_CREATED' });
    const hostile = {
      authorization: 'Bearer stolen',
      cookie: 'session=admin',
      'x-forwarded-for': '10.0.0.1',
      'x-forwarded-host': 'admin.internal',
      'x-real-ip': '10.0.0.1',
      connection: 'keep-alive, x-smuggled',
      'x-smuggled': '1',
      'x-signature': hmac('s', body),
      'user-agent': 'Blue',
    };
    assert.equal((await post(listen.url, body, hostile)).status, 200);
    tried('hostile headers forwarded', 7);
    const got = app.received[0]!;
    for (const h of [
      'authorization',
      'cookie',
      'x-forwarded-for',
      'x-forwarded-host',
      'x-real-ip',
      'x-smuggled',
    ])
      assert.equal(got.headers[h], undefined, h);
    assert.equal(got.headers['x-signature'], hmac('s', body));
    assert.equal(got.headers['user-agent'], 'Blue');
    assert.equal(got.headers['x-added'], 'mine');
    assert.equal(got.body.toString(), body);
  } finally {
    listen.child.kill('SIGKILL');
    await app.close();
    dir.cleanup();
  }
});

test('files: exports are 0600 whatever the umask and replace links; shared or linked store directories are refused', async () => {
  const dir = tempDir();
  const env = { BLUEHOOK_HOME: join(dir.path, 'store') };
  try {
    const rx = await startReceiver();
    await runCli(['send', '--url', rx.url, '--secret', 's'], { env });
    await rx.close();
    const id = historyRecords(join(dir.path, 'store'))[0]!.id;
    const victim = join(dir.path, 'victim');
    writeFileSync(victim, 'precious');
    for (const format of ['json', 'ndjson']) {
      const out = join(dir.path, `export.${format}`);
      symlinkSync(victim, out);
      const args =
        format === 'json'
          ? ['deliveries', 'export', id, '-o', out]
          : ['deliveries', 'export', '--format', 'ndjson', '-o', out];
      // umask 000: what a careless shell or a container would have.
      const r = await run(
        'sh',
        [
          '-c',
          `umask 000; exec '${process.execPath}' '${join(ROOT, 'bin', 'bluehook.js')}' ${args.map((a) => `'${a}'`).join(' ')}`,
        ],
        { env: { ...process.env, ...env } },
      );
      assert.match(r.stderr, /wrote|exported/);
      assert.equal(
        readFileSync(victim, 'utf8'),
        'precious',
        'the link is replaced, its target untouched',
      );
      assert.equal(lstatSync(out).isSymbolicLink(), false);
      assert.equal(statSync(out).mode & 0o777, 0o600);
      tried('export to a planted link under umask 000');
    }
    const shared = join(dir.path, 'shared');
    mkdirSync(shared);
    chmodSync(shared, 0o777);
    const refused = await runCli(['list'], { env: { BLUEHOOK_HOME: shared } });
    assert.equal(refused.code, 4);
    assert.match(refused.stderr, /writable by every user .*chmod 700/);
    const linked = join(dir.path, 'linked');
    symlinkSync(join(dir.path, 'store'), linked);
    const viaLink = await runCli(['list'], { env: { BLUEHOOK_HOME: linked } });
    assert.equal(viaLink.code, 4);
    assert.match(viaLink.stderr, /is a symbolic link/);
    tried('world-writable or linked store directory', 2);
  } finally {
    dir.cleanup();
  }
});

test('the 401 answer names no diagnosis unless asked: a prober learns nothing the user is not shown', async () => {
  const dir = tempDir();
  const env = { BLUEHOOK_HOME: dir.path };
  const quiet = await startListen(['--secret', 's'], env);
  const explaining = await startListen(
    ['--secret', 's', '--explain-rejections', '--no-record'],
    env,
  );
  try {
    const body = JSON.stringify({ event: 'TODO_CREATED' });
    const probes = [
      hmac('not-s', body),
      hmac('s', `${body}\n`),
      hmac('s', body).toUpperCase(),
      `sha256=${hmac('s', body)}`,
      ' s',
    ];
    for (const sig of probes) {
      const a = await post(quiet.url, body, { 'x-signature': sig });
      assert.deepEqual([a.status, a.text], [401, 'invalid signature\n']);
      const b = await post(explaining.url, body, { 'x-signature': sig });
      assert.equal(b.status, 401);
      assert.match(b.text, /^invalid signature: ./);
      tried('signature probes');
    }
    quiet.child.kill('SIGINT');
    await quiet.exited;
    const causes = historyRecords(dir.path).map((r) => r.verdict!.cause);
    assert.equal(
      new Set(causes).size > 1,
      true,
      `the user's history keeps each diagnosis (${causes.join(', ')})`,
    );
  } finally {
    quiet.child.kill('SIGKILL');
    explaining.child.kill('SIGKILL');
    dir.cleanup();
  }
});
