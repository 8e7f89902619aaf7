import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { promisify } from 'node:util';
import {
  historyRecords,
  hmac,
  tempDir,
  post,
  runCli,
  spawnCli,
  startListen,
  startReceiver,
  testHome,
  watchLines,
} from './helpers.js';

const sample = async (event = 'TODO_CREATED', seed = '1') =>
  (await runCli(['payload', event, '--seed', seed])).stdout;
const log = (dir: string) => historyRecords(dir) as any[];
/** A process that still runs (a zombie waiting for a reaper has ended). */
function running(pid: number): boolean {
  try {
    return !/^\d+ \(.*\) Z/.test(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return false;
  }
}

test('listen --expect 3 exits 0 after three sends, with three NDJSON delivery lines', async () => {
  const dir = tempDir();
  const env = { BLUEHOOK_HOME: dir.path };
  try {
    const listen = await startListen(['--secret', 's', '--expect', '3'], env);
    for (const event of ['TODO_CREATED', 'TAG_CREATED', 'COMMENT_DELETED']) {
      const r = await runCli(['send', event, '--url', listen.url, '--secret', 's', '--no-record'], {
        env,
      });
      assert.equal(r.code, 0, r.stderr);
    }
    assert.equal(await listen.exited, 0, listen.stderr());
    const deliveries = listen.lines().filter((l) => l.type === 'delivery');
    assert.equal(deliveries.length, 3);
    assert.deepEqual(
      deliveries.map((d) => d.event),
      ['TODO_CREATED', 'TAG_CREATED', 'COMMENT_DELETED'],
    );
    assert.ok(deliveries.every((d) => d.valid === true && d.status === 200));
    assert.deepEqual(listen.lines().at(-1), { type: 'result', ok: true, expected: 3, received: 3 });
    assert.equal(log(dir.path).filter((r) => r.direction === 'in').length, 3);
  } finally {
    dir.cleanup();
  }
});

test('a wrong secret gets 401 diagnosed as such; a pretty-printed body gets 401 diagnosed as re-serialised', async () => {
  const dir = tempDir();
  const env = { BLUEHOOK_HOME: dir.path };
  const listen = await startListen(['--secret', 's'], env);
  try {
    const body = await sample();
    const wrong = await post(listen.url, body, { 'x-signature': hmac('not-s', body) });
    assert.equal(wrong.status, 401);
    assert.equal(wrong.text, 'invalid signature\n', 'the sender learns nothing more');
    const pretty = JSON.stringify(JSON.parse(body), null, 2);
    const reser = await post(listen.url, pretty, { 'x-signature': hmac('s', body) });
    assert.equal(reser.status, 401);
    assert.equal(reser.text, 'invalid signature\n');
    const missing = await post(listen.url, body);
    assert.equal(missing.status, 401);
    const ok = await post(listen.url, body, { 'x-signature': hmac('s', body) });
    assert.equal(ok.status, 200);
    listen.child.kill('SIGTERM');
    assert.equal(await listen.exited, 143, 'SIGTERM: 128 + 15, as shells report it');
    const lines = listen.lines().filter((l) => l.type === 'delivery');
    assert.deepEqual(
      lines.map((l) => l.cause),
      ['wrong-secret', 'body-reserialised', 'missing-signature', 'valid'],
      "the diagnosis is on the user's side",
    );
    assert.match(String(lines[0]!.message), /secret is wrong/);
    assert.match(String(lines[1]!.message), /re-serialised/);
    const recorded = log(dir.path);
    assert.equal(recorded.length, 4);
    assert.equal(recorded[1].body, pretty, 'recorded byte-exact');
    assert.equal(recorded[1].verdict.cause, 'body-reserialised');
    assert.equal(recorded[1].answer.status, 401);
  } finally {
    listen.child.kill('SIGKILL');
    dir.cleanup();
  }
});

test('answers: 404 other paths, 405 other methods, 400 not JSON, 413 too large, --accept-invalid, --respond-status', async () => {
  const dir = tempDir();
  const env = { BLUEHOOK_HOME: dir.path };
  const listen = await startListen(['--secret', 's', '--path', '/hooks', '--max-body', '4kb'], env);
  const lax = await startListen(
    ['--secret', 's', '--accept-invalid', '--respond-status', '202', '--no-record'],
    env,
  );
  try {
    const body = await sample();
    assert.equal((await post(listen.url.replace('/hooks', '/other'), body)).status, 404);
    assert.equal((await post(listen.url, '', {}, 'GET')).status, 405);
    assert.equal(
      (await post(listen.url, 'not json', { 'x-signature': hmac('s', 'not json') })).status,
      400,
    );
    const big = JSON.stringify({ event: 'TODO_CREATED', pad: 'x'.repeat(5000) });
    assert.equal((await post(listen.url, big, { 'x-signature': hmac('s', big) })).status, 413);
    assert.equal((await post(listen.url, body, { 'x-signature': hmac('s', body) })).status, 200);
    assert.equal((await post(lax.url, body, { 'x-signature': 'bad' })).status, 202);
    assert.equal((await post(lax.url, body, { 'x-signature': hmac('s', body) })).status, 202);
  } finally {
    listen.child.kill('SIGKILL');
    lax.child.kill('SIGKILL');
    dir.cleanup();
  }
});

test('without --secret, listen verifies against every stored webhook and names the one that matched', async () => {
  const dir = tempDir();
  const env = { BLUEHOOK_HOME: dir.path };
  try {
    await runCli(['create', '--name', 'alpha', '--url', 'http://127.0.0.1:1/', '--secret', 'sa'], {
      env,
    });
    await runCli(['create', '--name', 'beta', '--url', 'http://127.0.0.1:1/', '--secret', 'sb'], {
      env,
    });
    const listen = await startListen(['--expect', '1'], env);
    const body = await sample();
    assert.equal((await post(listen.url, body, { 'x-signature': hmac('sb', body) })).status, 200);
    assert.equal(await listen.exited, 0);
    const [delivery] = listen.lines().filter((l) => l.type === 'delivery');
    const beta = JSON.parse((await runCli(['show', 'beta', '--json'], { env })).stdout);
    assert.equal(delivery!.webhookId, beta.id);
    const empty = tempDir();
    const none = await runCli(['listen', '--port', '0'], { env: { BLUEHOOK_HOME: empty.path } });
    empty.cleanup();
    assert.equal(none.code, 2);
    assert.match(none.stderr, /nothing to verify with/);
  } finally {
    dir.cleanup();
  }
});

test('--expect times out with exit 1; a port in use is exit 3', async () => {
  const dir = tempDir();
  const env = { BLUEHOOK_HOME: dir.path };
  const busy = await startListen(['--secret', 's', '--no-record'], env);
  try {
    const r = await runCli(
      ['listen', '--port', '0', '--secret', 's', '--expect', '2', '--timeout', '300ms'],
      { env },
    );
    assert.equal(r.code, 1);
    assert.match(r.stderr, /expected 2 valid deliveries, got 0 before the timeout/);
    // Alone, --timeout would end nothing (listen ran until stopped): refused at once.
    const alone = await runCli(['listen', '--port', '0', '--secret', 's', '--timeout', '300ms'], {
      env,
      timeoutMs: 20_000,
    });
    assert.equal(alone.code, 2, alone.stderr);
    assert.match(alone.stderr, /^bluehook: --timeout is how long --expect N \(or --once\) waits/);
    const port = new URL(busy.url).port;
    const inUse = await runCli(['listen', '--port', port, '--secret', 's'], { env });
    assert.equal(inUse.code, 3);
    assert.match(inUse.stderr, new RegExp(`port ${port} on 127\\.0\\.0\\.1 is in use`));
  } finally {
    busy.child.kill('SIGKILL');
    dir.cleanup();
  }
});

test("--forward-to relays verified deliveries byte-for-byte with the sender's webhook headers; the app status is the answer", async () => {
  const dir = tempDir();
  const app = await startReceiver((_r, _i, res) => res.writeHead(201).end('created'));
  const listen = await startListen(['--secret', 's', '--forward-to', app.url], {
    BLUEHOOK_HOME: dir.path,
  });
  try {
    const body = await sample();
    const ok = await post(listen.url, body, { 'x-signature': hmac('s', body), 'x-extra': '1' });
    assert.equal(ok.status, 201);
    assert.equal(app.received.length, 1);
    assert.equal(app.received[0]!.body.toString(), body);
    assert.equal(app.received[0]!.headers['x-signature'], hmac('s', body));
    assert.equal(
      app.received[0]!.headers['x-extra'],
      undefined,
      'only the headers a webhook sender sends are relayed',
    );
    // The query string a delivery arrived with reaches the app too.
    assert.equal(
      (await post(`${listen.url}?tenant=7`, body, { 'x-signature': hmac('s', body) })).status,
      201,
    );
    assert.equal(app.received[1]!.url, '/hook?tenant=7');
    // --forward-to with only an origin keeps the path the delivery arrived on.
    const byPath = await startListen(
      ['--secret', 's', '--path', '/webhooks/blue', '--forward-to', new URL(app.url).origin],
      { BLUEHOOK_HOME: dir.path },
    );
    try {
      assert.equal(
        (await post(`${byPath.url}?tenant=8`, body, { 'x-signature': hmac('s', body) })).status,
        201,
      );
      assert.equal(app.received.at(-1)!.url, '/webhooks/blue?tenant=8');
    } finally {
      byPath.child.kill('SIGKILL');
    }
    assert.equal((await post(listen.url, body, { 'x-signature': 'forged' })).status, 401);
    assert.equal(app.received.length, 3, 'invalid deliveries are not forwarded');
  } finally {
    listen.child.kill('SIGKILL');
    await app.close();
    dir.cleanup();
  }
});

test('replay --to delivers byte-identical bodies whose signatures the receiver verifies; --resign re-signs', async () => {
  const dir = tempDir();
  const env = { BLUEHOOK_HOME: dir.path };
  const listen = await startListen(['--secret', 's', '--no-record'], env);
  const rx = await startReceiver();
  try {
    for (const e of ['TODO_CREATED', 'TODO_MOVED'])
      await runCli(['send', e, '--url', listen.url, '--secret', 's'], { env });
    const sent = log(dir.path);
    const r = await runCli(['replay', '--last', '2', '--to', rx.url, '--json'], { env });
    assert.equal(r.code, 0, r.stderr);
    assert.equal(rx.received.length, 2);
    for (let i = 0; i < 2; i++) {
      assert.equal(rx.received[i]!.body.toString(), sent[i].body, 'byte-identical');
      assert.equal(rx.received[i]!.headers['x-signature'], hmac('s', rx.received[i]!.body));
    }
    const back = await runCli(['replay', sent[0].id.slice(0, 12)], { env });
    assert.equal(back.code, 0, 'to where it was originally sent');
    const resigned = await runCli(
      ['replay', sent[0].id, '--to', rx.url, '--resign', '--secret', 'new'],
      { env },
    );
    assert.equal(resigned.code, 0);
    assert.equal(rx.received[2]!.headers['x-signature'], hmac('new', rx.received[2]!.body));
    const replays = log(dir.path).filter((x) => x.replayOf);
    assert.equal(replays.length, 4);
    const dry = await runCli(['replay', sent[1].id, '--to', rx.url, '--dry-run'], { env });
    assert.match(
      dry.stdout,
      /^printf '%s' '\{"event".*' \| curl -sS --globoff -X 'POST' 'http:\/\/127\.0\.0\.1:\d+\/hook' -H 'content-type: application\/json'/,
    );
    assert.equal(rx.received.length, 3, 'a dry run sends nothing');
    const dryJson = await runCli(['replay', sent[1].id, '--to', rx.url, '--dry-run', '--json'], {
      env,
    });
    const planned = JSON.parse(dryJson.stdout.trim());
    assert.deepEqual(
      [planned.type, planned.replayOf, planned.url],
      ['request', sent[1].id, rx.url],
    );
    assert.match(planned.curl, /--globoff/);
    assert.equal(rx.received.length, 3);
    const none = await runCli(['replay'], { env });
    assert.equal(none.code, 2);
  } finally {
    listen.child.kill('SIGKILL');
    await rx.close();
    dir.cleanup();
  }
});

test('deliveries list/show/export (curl that reproduces the request, HAR, fixture), rm, clear', async () => {
  const dir = tempDir();
  const env = { BLUEHOOK_HOME: dir.path };
  const rx = await startReceiver();
  try {
    await runCli(['send', 'TAG_CREATED', '--url', rx.url, '--secret', 's', '--seed', '3'], { env });
    await runCli(['send', 'TODO_CREATED', '--url', rx.url, '--secret', 's'], { env });
    const list = await runCli(['deliveries', 'list', '--json'], { env });
    assert.equal(list.code, 0);
    const rows = list.stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    assert.deepEqual(
      rows.map((r) => r.event),
      ['TAG_CREATED', 'TODO_CREATED'],
      'oldest first',
    );
    assert.equal(
      (await runCli(['deliveries', 'list', '--event', 'TAG_CREATED', '--json'], { env })).stdout
        .trim()
        .split('\n').length,
      1,
    );
    const newestOne = (
      await runCli(['deliveries', 'list', '--limit', '1', '--json'], { env })
    ).stdout
      .trim()
      .split('\n');
    assert.deepEqual(
      newestOne.map((l) => JSON.parse(l).id),
      [rows[1].id],
      '--limit shows the newest',
    );
    assert.equal(
      (
        await runCli(['deliveries', 'list', '--status', '2xx', '--search', 'tag', '--json'], {
          env,
        })
      ).stdout
        .trim()
        .split('\n').length,
      1,
    );
    assert.equal((await runCli(['deliveries', 'list', '--status', 'teapot'], { env })).code, 2);

    const tag = rows[0].id;
    const show = await runCli(['deliveries', 'show', tag], { env });
    assert.match(show.stdout, /"event": "TAG_CREATED"/);
    assert.match(show.stdout, /x-signature: [0-9a-f]{64}/);

    const curl = (await runCli(['deliveries', 'export', tag, '--format', 'curl'], { env })).stdout;
    await promisify(execFile)('bash', ['-c', curl]); // async: the receiver lives in this process
    assert.equal(rx.received.length, 3);
    assert.equal(
      rx.received[2]!.body.toString(),
      rx.received[0]!.body.toString(),
      'curl reproduces the exact bytes',
    );
    assert.equal(rx.received[2]!.headers['x-signature'], rx.received[0]!.headers['x-signature']);

    const har = JSON.parse(
      (await runCli(['deliveries', 'export', tag, '--format', 'har'], { env })).stdout,
    );
    assert.equal(har.log.version, '1.2');
    assert.equal(har.log.entries[0].request.postData.text, rx.received[0]!.body.toString());
    assert.equal(har.log.entries[0].response.status, 200);
    const fixture = (await runCli(['deliveries', 'export', tag, '--format', 'fixture'], { env }))
      .stdout;
    assert.equal(fixture, rx.received[0]!.body.toString());

    assert.equal((await runCli(['deliveries', 'rm', tag], { env })).code, 0);
    assert.equal(
      (await runCli(['deliveries', 'list', '--json'], { env })).stdout.trim().split('\n').length,
      1,
    );
    assert.equal(
      (await runCli(['deliveries', 'clear'], { env })).code,
      2,
      'clear needs --yes without a terminal',
    );
    assert.equal((await runCli(['deliveries', 'clear', '--yes'], { env })).code, 0);
    assert.equal((await runCli(['deliveries', 'list', '--json'], { env })).stdout, '');
    assert.equal((await runCli(['deliveries', 'show', 'dnope'], { env })).code, 2);
  } finally {
    await rx.close();
    dir.cleanup();
  }
});

test('kill -9 of listen during a burst loses no delivery that was answered 2xx', async () => {
  const dir = tempDir();
  const env = { BLUEHOOK_HOME: dir.path };
  try {
    const listen = await startListen(['--secret', 's'], env);
    const bodies = Array.from({ length: 400 }, (_, i) =>
      JSON.stringify({
        event: 'TODO_CREATED',
        webhook: {},
        previousValue: null,
        currentValue: { n: i },
      }),
    );
    const acked: string[] = [];
    let killed = false;
    const sends = bodies.map(async (body) => {
      try {
        const r = await post(listen.url, body, { 'x-signature': hmac('s', body) });
        if (r.status === 200) acked.push(body);
        if (acked.length === 100 && !killed) {
          killed = true; // mid-burst: about 300 requests are still in flight
          listen.child.kill('SIGKILL');
        }
      } catch {
        // the server died under this request: not acknowledged
      }
    });
    await Promise.all(sends);
    await listen.exited;
    assert.ok(killed);
    assert.ok(acked.length > 0, 'some deliveries were answered before the kill');
    // The log reads cleanly (a torn last line is skipped) and holds every acknowledged delivery.
    const list = await runCli(['deliveries', 'list', '--json'], { env });
    assert.equal(list.code, 0);
    const recorded = new Set(
      log(dir.path)
        .filter((r) => r.id && r.body)
        .map((r) => r.body),
    );
    for (const body of acked)
      assert.ok(recorded.has(body), 'an acknowledged delivery is in the log');
    // A restarted listener appends after whatever the kill left behind.
    const again = await startListen(['--secret', 's', '--expect', '1'], env);
    const body = bodies[0]!;
    assert.equal((await post(again.url, body, { 'x-signature': hmac('s', body) })).status, 200);
    assert.equal(await again.exited, 0);
    const after = await runCli(['deliveries', 'list', '--json'], { env });
    const listed = after.stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    assert.equal(listed.length, recorded.size + 1, 'every earlier record plus the new one');
  } finally {
    dir.cleanup();
  }
});

test('listen --workers 2: kill -9 of a worker or of the primary loses none answered 2xx', async () => {
  for (const victim of ['a worker', 'the primary'] as const) {
    const dir = tempDir();
    const env = { BLUEHOOK_HOME: dir.path };
    try {
      const listen = await startListen(['--secret', 's', '--workers', '2'], env);
      const primary = listen.child.pid!;
      const workers = readFileSync(`/proc/${primary}/task/${primary}/children`, 'utf8')
        .trim()
        .split(/\s+/)
        .map(Number);
      assert.equal(workers.length, 2, 'two worker processes');
      const bodies = Array.from({ length: 400 }, (_, i) =>
        JSON.stringify({ event: 'TODO_CREATED', webhook: {}, currentValue: { n: i, victim } }),
      );
      const acked: string[] = [];
      let killed = false;
      await Promise.all(
        bodies.map(async (body) => {
          try {
            const r = await post(listen.url, body, { 'x-signature': hmac('s', body) });
            if (r.status === 200) acked.push(body);
            if (acked.length === 100 && !killed) {
              killed = true; // mid-burst: about 300 requests are still in flight
              process.kill(victim === 'a worker' ? workers[0]! : primary, 'SIGKILL');
            }
          } catch {
            // the process died under this request: not acknowledged
          }
        }),
      );
      // Both ways, the whole group goes: the primary stops the other worker, or the workers leave
      // once their primary is gone (the pipe closes when the last of them exits).
      const code = await listen.exited;
      assert.ok(killed);
      if (victim === 'a worker')
        assert.equal(code, 70, 'a worker killed is a failure of the group');
      const recorded = log(dir.path);
      const bodiesRecorded = new Set(recorded.map((r) => r.body));
      for (const body of acked)
        assert.ok(bodiesRecorded.has(body), `an acknowledged delivery is recorded (${victim})`);
      assert.ok(recorded.length >= acked.length);
      for (const pid of workers)
        assert.ok(!running(pid), `no worker outlives the group (${victim})`);
    } finally {
      dir.cleanup();
    }
  }
});

test('listen --workers 2 stops on SIGINT with one ready line, a summary per worker and exit 130; --workers with --expect, --inspect or --relay is a usage error', async () => {
  const dir = tempDir();
  const env = { BLUEHOOK_HOME: dir.path };
  try {
    const listen = await startListen(['--secret', 's', '--workers', '2'], env);
    const body = await sample();
    for (let i = 0; i < 20; i++)
      assert.equal((await post(listen.url, body, { 'x-signature': hmac('s', body) })).status, 200);
    listen.child.kill('SIGINT');
    assert.equal(await listen.exited, 130);
    const lines = listen.lines();
    assert.equal(lines.filter((l) => l.type === 'ready').length, 1);
    assert.equal(lines.find((l) => l.type === 'ready')!.workers, 2);
    const summaries = lines.filter((l) => l.type === 'summary');
    assert.equal(summaries.length, 2, 'one summary per worker');
    assert.equal(
      summaries.reduce((n, l) => n + (l.received as number), 0),
      20,
    );
    assert.equal(log(dir.path).length, 20);
    const r = await runCli(['listen', '--port', '0', '--secret', 's', '--workers', '2', '--once'], {
      env,
    });
    assert.equal(r.code, 2);
    assert.match(r.stderr, /--workers cannot be combined with --expect/);
    for (const [flags, named] of [
      [['--inspect'], '--inspect'],
      [['--relay', 'https://relay.example.com/c/abc'], '--relay'],
    ] as const) {
      const other = await runCli(
        ['listen', '--port', '0', '--secret', 's', '--workers', '2', ...flags],
        {
          env,
        },
      );
      assert.equal(other.code, 2, other.stderr);
      assert.match(other.stderr, new RegExp(`--workers cannot be combined with ${named}`));
    }
  } finally {
    dir.cleanup();
  }
});

test('demo: the full round trip exits 0', async () => {
  const r = await runCli(['demo']);
  assert.equal(r.code, 0, r.stdout + r.stderr);
  assert.match(r.stdout, /38 verified and recorded/);
  assert.match(r.stdout, /rejected with 401: the body was re-serialised/);
});

test('listen --events shows only those events (all still answered and recorded), puts the why on its own line, and sums up on exit', async (t) => {
  const dir = testHome(t);
  const env = dir.env;
  const child = spawnCli(['listen', '--port', '0', '--secret', 's', '--events', 'TAG_CREATED'], {
    env,
  });
  t.after(() => child.kill('SIGKILL'));
  const stdout = watchLines(child.stdout!);
  const stderr = watchLines(child.stderr!);
  const closed = new Promise((r) => child.on('close', r));
  const url = /listening on (\S+)/.exec(await stdout.waitFor(/listening on \S+/))![1]!;
  for (const [event, secret] of [
    ['TAG_CREATED', 's'],
    ['TAG_CREATED', 'wrong'],
    ['TODO_MOVED', 's'],
  ] as const) {
    const body = await sample(event);
    await post(url, body, { 'x-signature': hmac(secret, body) });
  }
  // The second TAG_CREATED's why is the last line shown; the summary on exit counts the third.
  await stdout.waitFor(/why: the signature does not match/);
  child.kill('SIGINT');
  await closed;
  const out = `${stdout.text()}\n${stderr.text()}`;
  const lines = out.split('\n');
  assert.equal(lines.filter((l) => /TODO_MOVED/.test(l)).length, 0, 'other events not shown');
  const invalid = lines.findIndex((l) => /TAG_CREATED +✘ invalid \(wrong-secret\)/.test(l));
  assert.ok(invalid > 0, out);
  assert.match(
    lines[invalid]!,
    /→ 401 Unauthorized {2}d\w+$/,
    'status and the delivery id stay in their columns',
  );
  assert.match(lines[invalid + 1]!, /^ +why: the signature does not match: the secret is wrong/);
  assert.match(
    out,
    /3 deliveries received: 2 valid, 1 invalid \(1 not shown: --events\); recorded in /,
  );
  assert.equal(historyRecords(dir.path).length, 3, 'every delivery recorded');
});
