/**
 * `listen --relay`, end to end with the built CLI: a real relay (`bluehook relay`), real listeners,
 * the emulator as Blue, a receiver of the test's own as the user's app. 127.0.0.1 only.
 */
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  historyRecords,
  runCli,
  spawnCli,
  startReady,
  startReceiver,
  tempDir,
  hmac,
} from './helpers.js';
import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { readFileSync } from 'node:fs';

/** A `--json` command that runs until stopped: its lines, and a wait for the line a test needs. */
interface JsonProcess {
  child: ReturnType<typeof spawnCli>;
  lines(): Array<Record<string, any>>;
  waitFor(
    what: string,
    match: (line: Record<string, any>) => boolean,
    timeoutMs?: number,
  ): Promise<Record<string, any>>;
  exited: Promise<number | null>;
  stderr(): string;
  stdout(): string;
}

function startJson(t: TestContext, args: string[], env: Record<string, string>): JsonProcess {
  const child = spawnCli([...args, '--json'], { env });
  let out = '';
  let err = '';
  const waiters = new Set<() => void>();
  const poke = () => {
    for (const w of [...waiters]) w();
  };
  child.stdout!.on('data', (d) => {
    out += d;
    poke();
  });
  child.stderr!.on('data', (d) => (err += d));
  const exited = new Promise<number | null>((r) =>
    child.on('close', (code, signal) => {
      r(code ?? (signal ? -1 : null));
      poke();
    }),
  );
  t.after(() => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  });
  const lines = () =>
    out
      .split('\n')
      .filter((l) => l.startsWith('{'))
      .map((l) => JSON.parse(l) as Record<string, any>);
  const waitFor = (
    what: string,
    match: (line: Record<string, any>) => boolean,
    timeoutMs = 20_000,
  ) =>
    new Promise<Record<string, any>>((resolve, reject) => {
      const check = () => {
        const hit = lines().find(match);
        if (hit) {
          done();
          resolve(hit);
        } else if (child.exitCode !== null || child.signalCode !== null) {
          done();
          reject(new Error(`exited before ${what}: ${err}`));
        }
      };
      const timer = setTimeout(() => {
        done();
        reject(new Error(`no ${what} within ${timeoutMs} ms: ${out}\n${err}`));
      }, timeoutMs);
      const done = () => {
        clearTimeout(timer);
        waiters.delete(check);
      };
      waiters.add(check);
      check();
    });
  return { child, lines, waitFor, exited, stderr: () => err, stdout: () => out };
}

/** A relay on a free port with its own store directory. */
async function startRelay(t: TestContext, extra: string[] = [], env: Record<string, string> = {}) {
  const home = tempDir();
  t.after(() => home.cleanup());
  const relayEnv = { BLUEHOOK_HOME: home.path, ...env };
  const relay = await startReady(
    ['relay', '--port', '0', '--host', '127.0.0.1', ...extra],
    relayEnv,
  );
  t.after(() => relay.child.kill('SIGKILL'));
  const channel = async (name: string, ...args: string[]) => {
    const r = await runCli(['relay', 'channel', 'create', name, '--json', ...args], {
      env: relayEnv,
    });
    assert.equal(r.code, 0, r.stderr);
    const made = JSON.parse(r.stdout) as { path: string; token: string };
    return { url: new URL(made.path, relay.url).href, token: made.token };
  };
  const rotate = async (name: string) => {
    const r = await runCli(['relay', 'channel', 'rotate-token', name, '--json'], {
      env: relayEnv,
    });
    assert.equal(r.code, 0, r.stderr);
    return (JSON.parse(r.stdout) as { token: string }).token;
  };
  return { url: relay.url, channel, rotate, home: home.path };
}

/** Posts a delivery signed with `secret` to a channel, as Blue would; returns the relay's delivery id. */
function sendTo(url: string, seed: string, secret = 's', ca?: string): Promise<string> {
  const body = JSON.stringify({ event: 'TODO_CREATED', seed, data: { title: `todo ${seed}` } });
  return new Promise((resolve, reject) => {
    const req = (url.startsWith('https:') ? httpsRequest : httpRequest)(
      url,
      {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-signature': hmac(secret, body) },
        timeout: 15_000,
        ...(ca ? { ca } : {}),
      },
      (res) => {
        let text = '';
        res.on('data', (d) => (text += d));
        res.on('end', () => {
          if (res.statusCode !== 200)
            return reject(new Error(`relay answered ${res.statusCode}: ${text}`));
          resolve((JSON.parse(text) as { id: string }).id);
        });
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

function tokenFile(dir: string, token: string): string {
  const file = join(dir, 'relay-token');
  writeFileSync(file, `${token}\n`, { mode: 0o600 });
  return file;
}

test('listen --relay: deliveries arrive verified, recorded with their relayId, forwarded in order; a listener away and back gets every one once, in order', async (t) => {
  const relay = await startRelay(t);
  const channel = await relay.channel('laptop');
  const app = await startReceiver();
  t.after(() => app.close());
  const dir = tempDir();
  t.after(() => dir.cleanup());
  const env = { BLUEHOOK_HOME: dir.path, BLUEHOOK_RELAY_TOKEN: channel.token };
  const listenArgs = [
    'listen',
    '--relay',
    channel.url,
    '--relay-subscriber',
    'laptop-1',
    '--secret',
    's',
    '--forward-to',
    app.url,
  ];

  const first = startJson(t, [...listenArgs, '--inspect', '--inspect-port', '0'], env);
  const ready = await first.waitFor('ready', (l) => l.type === 'ready');
  assert.equal(ready.url, null, 'no local port without --port');
  assert.equal(ready.relay, channel.url);
  await first.waitFor('live', (l) => l.type === 'relay' && l.state === 'live');
  const ids: string[] = [];
  for (const seed of ['1', '2', '3']) ids.push(await sendTo(channel.url, seed));
  await first.waitFor(
    '3 deliveries',
    () => first.lines().filter((l) => l.type === 'delivery').length === 3,
  );
  // The inspector shows them as they are recorded, with the relay's id.
  const listed = (await (await fetch(`${ready.inspector}api/deliveries`)).json()) as {
    records: Array<{ id: string }>;
  };
  assert.equal(listed.records.length, 3);
  const detail = (await (
    await fetch(`${ready.inspector}api/deliveries/${listed.records[0]!.id}`)
  ).json()) as { record: { relayId?: string } };
  assert.ok(detail.record.relayId && ids.includes(detail.record.relayId), JSON.stringify(detail));
  first.child.kill('SIGTERM');
  assert.equal(await first.exited, 143, first.stderr());

  // While it is away, Blue keeps delivering: the relay keeps them.
  for (const seed of ['4', '5', '6']) ids.push(await sendTo(channel.url, seed));

  const second = startJson(t, [...listenArgs, '--expect', '3'], env);
  assert.equal(await second.exited, 0, second.stderr());
  const connected = second.lines().find((l) => l.type === 'relay' && l.state === 'connected');
  assert.equal(connected?.resumeAfter, 3, 'resumes after what the first listener acknowledged');
  assert.equal(connected?.dropped, 0);

  const delivered = [...first.lines(), ...second.lines()].filter((l) => l.type === 'delivery');
  assert.deepEqual(
    delivered.map((l) => l.relayId),
    ids,
    'every delivery once, in the order the relay received them',
  );
  assert.ok(
    delivered.every((l) => l.valid === true && l.status === 200 && l.forwarded?.status === 200),
  );
  const records = historyRecords(dir.path).filter((r) => r.direction === 'in');
  assert.deepEqual(
    records.map((r) => r.relayId),
    ids,
  );
  assert.ok(records.every((r) => r.url === '/' && r.verdict?.valid === true));
  // The app got each body once, in order, as the relay received it.
  assert.equal(app.received.length, 6);
  assert.deepEqual(
    app.received.map((r) => r.body.toString()),
    records.map((r) => r.body),
  );
  // `deliveries show` has the relay's id.
  const shown = await runCli(['deliveries', 'show', records[0]!.id, '--json'], { env });
  assert.equal(JSON.parse(shown.stdout).relayId, ids[0]);
});

test('listen --relay: killed with -9 after its commit and before its acknowledgement, the relay streams it again and it is kept once, forwarded once', async (t) => {
  const relay = await startRelay(t);
  const channel = await relay.channel('crash');
  const app = await startReceiver();
  t.after(() => app.close());
  const dir = tempDir();
  t.after(() => dir.cleanup());
  const env = { BLUEHOOK_HOME: dir.path };
  const args = [
    'listen',
    '--relay',
    channel.url,
    '--relay-token-file',
    tokenFile(dir.path, channel.token),
    '--secret',
    's',
    '--forward-to',
    app.url,
  ];
  // The test hook: this listener commits but never acknowledges, so kill -9 lands between the two.
  const crashing = startJson(t, args, { ...env, BLUEHOOK_TEST_RELAY_SKIP_ACK: '1' });
  await crashing.waitFor('live', (l) => l.type === 'relay' && l.state === 'live');
  const ids = [await sendTo(channel.url, 'a'), await sendTo(channel.url, 'b')];
  await crashing.waitFor(
    '2 records',
    () => crashing.lines().filter((l) => l.type === 'delivery').length === 2,
  );
  crashing.child.kill('SIGKILL');
  await crashing.exited;
  assert.equal(historyRecords(dir.path).length, 2, 'both committed before the kill');

  const again = startJson(t, [...args, '--expect', '1'], env);
  const duplicate = await again.waitFor(
    'the re-sent deliveries',
    () => again.lines().filter((l) => l.type === 'duplicate').length === 2,
  );
  assert.ok(duplicate);
  assert.deepEqual(
    again
      .lines()
      .filter((l) => l.type === 'duplicate')
      .map((l) => l.relayId),
    ids,
    'the relay streamed again what was never acknowledged',
  );
  ids.push(await sendTo(channel.url, 'c'));
  assert.equal(await again.exited, 0, again.stderr());
  const records = historyRecords(dir.path);
  assert.deepEqual(
    records.map((r) => r.relayId),
    ids,
    'nothing lost, nothing twice',
  );
  assert.equal(app.received.length, 3, 'a duplicate is not forwarded again');

  // Acknowledged this time: a third listener has nothing to catch up on.
  const third = startJson(t, [...args, '--expect', '1', '--timeout', '30s'], env);
  const hello = await third.waitFor('hello', (l) => l.type === 'relay' && l.state === 'connected');
  assert.equal(hello.resumeAfter, 3);
  await third.waitFor('live', (l) => l.type === 'relay' && l.state === 'live');
  third.child.kill('SIGINT');
  assert.equal(await third.exited, 130);
  assert.equal(
    third.lines().filter((l) => l.type === 'delivery' || l.type === 'duplicate').length,
    0,
  );
});

test('listen --relay tokens: missing is a usage error, wrong is one line and exit 4, rotated ends a running listener with exit 4; the token is never printed', async (t) => {
  const relay = await startRelay(t);
  const channel = await relay.channel('tokens');
  const dir = tempDir();
  t.after(() => dir.cleanup());
  const env = { BLUEHOOK_HOME: dir.path };
  const base = ['listen', '--relay', channel.url, '--secret', 's'];

  const missing = await runCli(base, { env });
  assert.equal(missing.code, 2);
  assert.match(missing.stderr, /subscriber token/);

  const wrongToken = `bht_${'x'.repeat(43)}`;
  const wrong = await runCli([...base, '--relay-token', wrongToken], { env });
  assert.equal(wrong.code, 4, wrong.stderr);
  assert.equal(wrong.stderr.trim().split('\n').length, 1, wrong.stderr);
  assert.match(wrong.stderr, /refused the subscriber token/);
  const wrongJson = await runCli([...base, '--json'], {
    env: { ...env, BLUEHOOK_RELAY_TOKEN: wrongToken },
  });
  assert.equal(wrongJson.code, 4);
  assert.doesNotMatch(
    wrong.stdout + wrong.stderr + wrongJson.stdout + wrongJson.stderr,
    /xxxxxxxx/,
  );

  // The config key works too, and `config` masks it.
  writeFileSync(join(dir.path, '.bluehookrc.json'), JSON.stringify({ relayToken: channel.token }));
  const shownConfig = await runCli(['config', '--json'], { env, cwd: dir.path });
  assert.equal(shownConfig.code, 0, shownConfig.stderr);
  assert.ok(!shownConfig.stdout.includes(channel.token), 'config never shows the token');
  assert.match(JSON.parse(shownConfig.stdout).values.relayToken, /^bht_…/);

  const running = startJson(t, base, { ...env, BLUEHOOK_RELAY_TOKEN: channel.token });
  await running.waitFor('live', (l) => l.type === 'relay' && l.state === 'live');
  const fresh = await relay.rotate('tokens');
  assert.equal(await running.exited, 4, running.stderr());
  assert.match(running.stderr(), /refused the subscriber token/);
  for (const text of [running.stdout(), running.stderr()]) {
    assert.ok(!text.includes(channel.token));
    assert.ok(!text.includes(fresh));
  }
  // The new token is let in.
  const rotated = startJson(t, [...base, '--expect', '1'], { ...env, BLUEHOOK_RELAY_TOKEN: fresh });
  await rotated.waitFor('live', (l) => l.type === 'relay' && l.state === 'live');
  await sendTo(channel.url, 'r');
  assert.equal(await rotated.exited, 0, rotated.stderr());
});

test('listen --relay: an unreachable relay is retried with one line each, then exit 3', async (t) => {
  const dir = tempDir();
  t.after(() => dir.cleanup());
  const r = await runCli(
    [
      'listen',
      '--relay',
      'http://127.0.0.1:9/c/nothing-here',
      '--relay-token',
      'bht_x',
      '--relay-retries',
      '2',
      '--secret',
      's',
    ],
    { env: { BLUEHOOK_HOME: dir.path } },
  );
  assert.equal(r.code, 3, r.stderr);
  assert.equal((r.stderr.match(/^relay: connection refused; reconnecting in/gm) ?? []).length, 1);
  assert.match(
    r.stderr,
    /cannot reach the relay at http:\/\/127\.0\.0\.1:9: connection refused \(2 attempts\)/,
  );
});

test('listen --relay over TLS: a relay with a certificate the test made, trusted with --relay-ca; refused without it', async (t) => {
  const dir = tempDir();
  t.after(() => dir.cleanup());
  const cert = join(dir.path, 'cert.pem');
  const key = join(dir.path, 'key.pem');
  execFileSync(
    'openssl',
    [
      'req',
      '-x509',
      '-newkey',
      'rsa:2048',
      '-nodes',
      '-keyout',
      key,
      '-out',
      cert,
      '-days',
      '1',
      '-subj',
      '/CN=127.0.0.1',
      '-addext',
      'subjectAltName=IP:127.0.0.1',
    ],
    { stdio: 'ignore' },
  );
  const relay = await startRelay(t, ['--tls-cert', cert, '--tls-key', key]);
  assert.match(relay.url, /^https:/);
  const channel = await relay.channel('tls');
  const env = { BLUEHOOK_HOME: dir.path, BLUEHOOK_RELAY_TOKEN: channel.token };
  const base = ['listen', '--relay', channel.url, '--secret', 's'];

  const untrusted = await runCli([...base, '--relay-retries', '1'], { env });
  assert.equal(untrusted.code, 3, untrusted.stderr);
  assert.match(untrusted.stderr, /TLS|certificate/i);

  const trusted = startJson(t, [...base, '--relay-ca', cert, '--expect', '1'], env);
  await trusted.waitFor('live', (l) => l.type === 'relay' && l.state === 'live');
  await sendTo(channel.url, 't', 's', readFileSync(cert, 'utf8'));
  assert.equal(await trusted.exited, 0, trusted.stderr());
  assert.equal(historyRecords(dir.path).filter((r) => r.relayId).length, 1);
});

test('listen --relay --register with the Blue store (the emulator): a webhook to the channel for the session, Blue deliveries through the relay to the app, removed on exit; prune-webhooks removes what a kill -9 left', async (t) => {
  const blue = await startReady([
    'emulator',
    '--port',
    '0',
    '--ephemeral',
    '--token',
    'alice-id:alice-secret',
    '--allow-private-urls',
  ]);
  t.after(() => blue.child.kill('SIGKILL'));
  const relay = await startRelay(t);
  const channel = await relay.channel('blue');
  const app = await startReceiver();
  t.after(() => app.close());
  const dir = tempDir();
  t.after(() => dir.cleanup());
  const env = {
    BLUEHOOK_HOME: dir.path,
    BLUE_TOKEN_ID: 'alice-id',
    BLUE_TOKEN_SECRET: 'alice-secret',
    BLUE_COMPANY_ID: 'acme',
    BLUE_API_URL: blue.url,
    BLUEHOOK_RELAY_TOKEN: channel.token,
  };
  const webhooks = async () =>
    JSON.parse((await runCli(['--store', 'blue', 'list', '--json'], { env })).stdout) as Array<{
      id: string;
      name: string;
      url: string;
      events: string[];
    }>;
  const trigger = async (event: string) =>
    assert.equal(
      (await runCli(['emulator', 'trigger', event, '--api-url', blue.url], { env })).code,
      0,
    );
  const args = ['--store', 'blue', 'listen', '--relay', channel.url, '--register'];

  const session = startJson(
    t,
    [...args, '--events', 'TODO_CREATED', '--forward-to', app.url, '--expect', '2'],
    env,
  );
  const registered = await session.waitFor('registered', (l) => l.type === 'registered');
  assert.match(registered.name, /^bluehook-relay-/);
  const during = (await webhooks()).find((w) => w.id === registered.webhookId);
  assert.equal(during?.url, channel.url, "the webhook points at the channel's URL");
  assert.deepEqual(during?.events, ['TODO_CREATED']);
  await trigger('TAG_CREATED'); // not subscribed: Blue does not send it
  await trigger('TODO_CREATED');
  await trigger('TODO_CREATED');
  assert.equal(await session.exited, 0, session.stderr());
  assert.ok(
    session.lines().some((l) => l.type === 'unregistered' && l.webhookId === registered.webhookId),
  );
  assert.equal((await webhooks()).length, 0, 'removed on exit');
  const delivered = session.lines().filter((l) => l.type === 'delivery');
  assert.deepEqual(
    delivered.map((l) => [l.event, l.valid, l.webhookId]),
    [
      ['TODO_CREATED', true, registered.webhookId],
      ['TODO_CREATED', true, registered.webhookId],
    ],
  );
  assert.equal(app.received.length, 2);
  assert.ok(historyRecords(dir.path).every((r) => r.relayId && r.verdict?.valid));

  // A session killed with -9 cannot remove its webhook; prune-webhooks finds it by its name.
  assert.equal(
    (
      await runCli(
        ['--store', 'blue', 'create', '--name', 'orders', '--url', 'http://127.0.0.1:9/x'],
        { env },
      )
    ).code,
    0,
  );
  const killed = startJson(t, args, env);
  const left = await killed.waitFor('registered', (l) => l.type === 'registered');
  killed.child.kill('SIGKILL');
  await killed.exited;
  assert.ok(
    (await webhooks()).some((w) => w.id === left.webhookId),
    'left behind',
  );
  const dry = await runCli(['--store', 'blue', 'relay', 'prune-webhooks', '--dry-run', '--json'], {
    env,
  });
  assert.deepEqual(
    JSON.parse(dry.stdout).webhooks.map((w: { id: string }) => w.id),
    [left.webhookId],
  );
  const pruned = await runCli(['--store', 'blue', 'relay', 'prune-webhooks'], { env });
  assert.equal(pruned.code, 0, pruned.stderr);
  assert.match(pruned.stdout, new RegExp(`removed ${left.webhookId}`));
  assert.deepEqual(
    (await webhooks()).map((w) => w.name),
    ['orders'],
    "the user's own webhook stays",
  );

  // SIGTERM and --timeout end a session too, and remove its webhook.
  const terminated = startJson(t, args, env);
  const termHook = await terminated.waitFor('registered', (l) => l.type === 'registered');
  await terminated.waitFor('live', (l) => l.type === 'relay' && l.state === 'live');
  terminated.child.kill('SIGTERM');
  assert.equal(await terminated.exited, 143, terminated.stderr());
  assert.ok(
    terminated.lines().some((l) => l.type === 'unregistered' && l.webhookId === termHook.webhookId),
  );
  const timedOut = startJson(t, [...args, '--expect', '1', '--timeout', '1s'], env);
  assert.equal(await timedOut.exited, 1, timedOut.stderr());
  assert.ok(timedOut.lines().some((l) => l.type === 'unregistered'));
  assert.deepEqual(
    (await webhooks()).map((w) => w.name),
    ['orders'],
  );

  // --keep leaves it (SIGINT ends the session: exit 130).
  const kept = startJson(t, [...args, '--keep'], env);
  const keptHook = await kept.waitFor('registered', (l) => l.type === 'registered');
  await kept.waitFor('live', (l) => l.type === 'relay' && l.state === 'live');
  kept.child.kill('SIGINT');
  assert.equal(await kept.exited, 130, kept.stderr());
  assert.ok((await webhooks()).some((w) => w.id === keptHook.webhookId));
  assert.match(kept.stderr(), /kept Blue webhook/);
});

test('listen --relay at a relay holding its most streams: told 429 and when to come back, it waits that long and gets in once a stream is free', async (t) => {
  const relay = await startRelay(t, ['--max-streams-per-channel', '1']);
  const channel = await relay.channel('busy');
  const dir = tempDir();
  t.after(() => dir.cleanup());
  const env = { BLUEHOOK_HOME: dir.path, BLUEHOOK_RELAY_TOKEN: channel.token };
  const base = ['listen', '--relay', channel.url, '--secret', 's'];
  const holder = startJson(t, [...base, '--relay-subscriber', 'holder'], env);
  await holder.waitFor('live', (l) => l.type === 'relay' && l.state === 'live');
  const waiting = startJson(t, [...base, '--relay-subscriber', 'waiting', '--expect', '1'], env);
  const told = await waiting.waitFor(
    'a retry',
    (l) => l.type === 'relay' && l.state === 'reconnecting',
  );
  assert.match(told.reason, /429/);
  assert.ok(told.delayMs >= 5000, `waits the Retry-After the relay gave (5 s): ${told.delayMs}`);
  assert.match(
    waiting.stderr(),
    /^relay: the relay answered 429; reconnecting in [\d.]+ s \(attempt 2 of 10\)$/m,
  );
  holder.child.kill('SIGINT');
  assert.equal(await holder.exited, 130);
  await waiting.waitFor('live', (l) => l.type === 'relay' && l.state === 'live', 30_000);
  await sendTo(channel.url, 'late');
  assert.equal(await waiting.exited, 0, waiting.stderr());
});
