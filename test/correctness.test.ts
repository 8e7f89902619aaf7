/** Defects found by trying bluehook against independent checks and odd inputs (issue: correct under every input). */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { connect } from 'node:net';
import { buildPayload, sign, verify } from '../src/index.js';
import {
  hmac,
  tempDir,
  runCli,
  spawnCli,
  startListen,
  startReceiver,
  watchLines,
} from './helpers.js';

test("verify takes a Fetch Headers, Node's IncomingHttpHeaders or a plain record alike", () => {
  const body = JSON.stringify(buildPayload('TODO_CREATED', { seed: 1 }));
  const signed = sign(body, 's');
  const fetchHeaders = new Headers({
    'Content-Type': 'application/json',
    'X-Signature': signed['x-signature']!,
  });
  assert.equal(verify(body, 's', fetchHeaders).valid, true, 'Headers (Next.js, Hono, Workers)');
  assert.equal(
    verify(body, 's', { 'x-signature': [signed['x-signature']!] }).valid,
    true,
    'IncomingHttpHeaders',
  );
  assert.equal(verify(body, 'wrong', fetchHeaders).cause, 'wrong-secret');
});

test('bad paths and files are one line with a documented exit code, never "unexpected error"', async () => {
  const dir = tempDir();
  try {
    const out = await runCli(['payload', 'TODO_CREATED', '-o', '/nonexistent/dir/x.json']);
    assert.equal(out.code, 2);
    assert.match(out.stderr, /^bluehook: cannot write \/nonexistent\/dir\/x\.json: ENOENT/);
    const file = join(dir.path, 'a-file');
    writeFileSync(file, 'x');
    for (const storeDir of [join(file, 'store'), '/proc/bluehook-x']) {
      const r = await runCli(['list', '--store-dir', storeDir], { timeoutMs: 15_000 });
      assert.equal(r.code, 4, `${storeDir}: ${r.stderr}`);
      assert.equal(r.stderr.trim().split('\n').length, 1);
      assert.doesNotMatch(r.stderr, /unexpected/);
    }
    const em = join(dir.path, 'em');
    mkdirSync(em);
    writeFileSync(join(em, 'emulator.json'), '{"webhooks": [');
    const corrupt = await runCli(['emulator', '--port', '0', '--data-dir', em]);
    assert.equal(corrupt.code, 4);
    assert.match(corrupt.stderr, /emulator state .*emulator\.json is corrupt .*left untouched/);
    assert.equal(readFileSync(join(em, 'emulator.json'), 'utf8'), '{"webhooks": [');
  } finally {
    dir.cleanup();
  }
});

test('one grammar for durations: listen --timeout 2h, BLUEHOOK_TIMEOUT=1h; send --duration 0s is a usage error', async () => {
  const dir = tempDir();
  const env = { BLUEHOOK_HOME: dir.path };
  try {
    const listen = await startListen(['--secret', 's', '--expect', '1', '--timeout', '2h'], env);
    const body = JSON.stringify({ event: 'TODO_CREATED' });
    await fetch(listen.url, { method: 'POST', body, headers: { 'x-signature': hmac('s', body) } });
    assert.equal(await listen.exited, 0, listen.stderr());
    const config = await runCli(['config', '--json'], { env: { ...env, BLUEHOOK_TIMEOUT: '1h' } });
    assert.equal(config.code, 0, config.stderr);
    assert.equal(JSON.parse(config.stdout).values.timeout, 3_600_000);
    const zero = await runCli(
      ['send', '--url', 'http://127.0.0.1:9/', '--secret', 's', '--duration', '0s'],
      { env },
    );
    assert.equal(zero.code, 2);
    assert.match(zero.stderr, /--duration must be longer than nothing/);
  } finally {
    dir.cleanup();
  }
});

test('listen: a signature after 200 other headers still counts; binding beyond loopback warns whatever it is called', async () => {
  const dir = tempDir();
  const env = { BLUEHOOK_HOME: dir.path };
  const listen = await startListen(['--secret', 's'], env);
  try {
    const body = JSON.stringify({ event: 'TODO_CREATED' });
    const filler = Array.from({ length: 210 }, (_, i) => `X-Filler-${i}: ${i}\r\n`).join('');
    const port = Number(new URL(listen.url).port);
    const answer = await new Promise<string>((resolve) => {
      const socket = connect(port, '127.0.0.1');
      let text = '';
      socket.on('data', (d) => (text += d));
      socket.on('close', () => resolve(text));
      socket.end(
        `POST / HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n${filler}X-Signature: ${hmac('s', body)}\r\nContent-Length: ${body.length}\r\nConnection: close\r\n\r\n${body}`,
      );
    });
    assert.match(answer, /^HTTP\/1\.1 200/);
  } finally {
    listen.child.kill('SIGKILL');
  }
  for (const host of ['0', '::0']) {
    const child = spawnCli(['listen', '--port', '0', '--secret', 's', '--host', host], { env });
    const stderr = watchLines(child.stderr!);
    // The warning comes before the Ctrl-C line; a listener that never starts fails here.
    await stderr.waitFor(/warning|Ctrl-C/, { timeout: 30_000 });
    child.kill('SIGKILL');
    assert.match(stderr.text(), /warning: listening on (0\.0\.0\.0|::) \(--host /, host);
  }
  const rx = await startReceiver();
  await rx.close();
  dir.cleanup();
});

test('send warns when Blue would not deliver to the webhook; payload flags are checked', async (t) => {
  const dir = tempDir();
  t.after(() => dir.cleanup());
  const rx = await startReceiver();
  t.after(() => rx.close());
  const env = { BLUEHOOK_HOME: dir.path };
  const made = await runCli(
    [
      'create',
      '--name',
      'quiet',
      '--url',
      rx.url,
      '--events',
      'TODO_DELETED',
      '--project',
      'p1',
      '--disabled',
      '--json',
    ],
    { env },
  );
  assert.equal(made.code, 0, made.stderr);
  const sent = await runCli(
    ['send', 'TODO_CREATED', '--webhook', 'quiet', '--project', 'p2', '--no-retry'],
    { env },
  );
  assert.equal(sent.code, 0, sent.stderr);
  assert.equal(rx.received.length, 1, 'sent anyway: it is a test tool');
  for (const reason of [
    'webhook quiet is disabled',
    'webhook quiet is not subscribed to TODO_CREATED',
    'webhook quiet does not listen to project p2',
  ]) {
    assert.ok(
      sent.stderr.includes(`warning: Blue would not deliver this: ${reason}`),
      `${reason}\n${sent.stderr}`,
    );
  }
  // A subscribed event in a listed project on an enabled webhook: no warning.
  await runCli(['enable', 'quiet'], { env });
  const quiet = await runCli(
    ['send', 'TODO_DELETED', '--webhook', 'quiet', '--project', 'p1', '--no-retry'],
    { env },
  );
  assert.equal(quiet.code, 0, quiet.stderr);
  assert.doesNotMatch(quiet.stderr, /warning/);

  const badUrl = await runCli(['payload', 'TODO_CREATED', '--webhook-url', 'not a url']);
  assert.equal(badUrl.code, 2);
  assert.match(badUrl.stderr, /invalid URL "not a url"/);
  const badProject = await runCli(['payload', 'TODO_CREATED', '--project', 'two words']);
  assert.equal(badProject.code, 2);
  assert.match(badProject.stderr, /--project must be a project id/);
});

test('a delivery sent with Expect: 100-continue (curl does it for bodies over 1 KB) is forwarded, and Connection-named and Proxy-* headers are not', async (t) => {
  const { request } = await import('node:http');
  const app = await startReceiver();
  t.after(() => app.close());
  const l = await startListen(['--secret', 's', '--no-record', '--forward-to', app.url]);
  t.after(() => l.child.kill());
  const body = JSON.stringify({ event: 'TODO_CREATED', pad: 'x'.repeat(5000) });
  const status = await new Promise<number>((resolve, reject) => {
    const req = request(l.url, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        'x-signature': hmac('s', body),
        expect: '100-continue',
        connection: 'keep-alive, x-secret-hop',
        'x-secret-hop': 'hop',
        'proxy-authorization': 'Basic c2VjcmV0',
        'content-length': Buffer.byteLength(body),
      },
    });
    req.on('continue', () => req.end(body));
    req.on('response', (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode!));
    });
    req.on('error', reject);
  });
  assert.equal(status, 200, 'the app answered through the forward');
  assert.equal(app.received.length, 1);
  assert.equal(app.received[0]!.body.toString(), body, 'byte for byte');
  for (const name of ['expect', 'x-secret-hop', 'proxy-authorization'])
    assert.equal(app.received[0]!.headers[name], undefined, name);
});
