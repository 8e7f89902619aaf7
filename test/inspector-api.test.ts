/**
 * `bluehook inspect` as a process, and its API as the page uses it (with the page's token): compose
 * and send, edit and resend, verify again, export; the same history the CLI reads.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  historyRecords,
  hmac,
  tempDir,
  post,
  runCli,
  startReady,
  startReceiver,
} from './helpers.js';

test('bluehook inspect: compose, edit and resend, verify and export through the API the page uses', async () => {
  const dir = tempDir();
  const env = { BLUEHOOK_HOME: dir.path };
  const rx = await startReceiver();
  await runCli(
    [
      'create',
      '--name',
      'app',
      '--url',
      rx.url,
      '--secret',
      'whsec_apisecret',
      '--events',
      'TODO_CREATED',
    ],
    { env },
  );
  const inspect = await startReady(['inspect', '--port', '0'], env);
  try {
    const base = inspect.url;
    const html = await (await fetch(base)).text();
    const token = /name="bluehook-token" content="([^"]+)"/.exec(html)![1]!;
    const origin = base.replace(/\/$/, '');
    const call = async (path: string, body: unknown) => {
      const r = await post(`${base}${path}`, JSON.stringify(body), {
        origin,
        'x-bluehook-token': token,
      });
      return { status: r.status, json: JSON.parse(r.text) };
    };
    const meta = (await (await fetch(`${base}api/meta`)).json()) as {
      webhooks: Array<{ id: string; name: string }>;
      events: unknown[];
    };
    assert.equal(meta.events.length, 38);
    const app = meta.webhooks.find((w) => w.name === 'app')!;

    // Compose: a seeded TODO_MOVED with an override, signed with the stored webhook's secret.
    const composed = await call('api/send', {
      event: 'TODO_MOVED',
      seed: '7',
      set: ['currentValue.title=From the inspector'],
      webhookId: app.id,
    });
    assert.equal(composed.status, 200, JSON.stringify(composed.json));
    assert.equal(composed.json.ok, true);
    const got = rx.received[0]!;
    assert.equal(
      got.headers['x-signature'],
      hmac('whsec_apisecret', got.body),
      'signed with the stored secret',
    );
    const sent = JSON.parse(got.body.toString());
    assert.equal(sent.event, 'TODO_MOVED');
    assert.equal(sent.currentValue.title, 'From the inspector');
    assert.equal(sent.webhook.id, app.id);

    // Edit and resend: the edited bytes exactly, signed again, linked to the original.
    const edited = '{"event":"TODO_MOVED","edited":true}';
    const resent = await call('api/send', {
      body: edited,
      webhookId: app.id,
      replayOf: composed.json.record.id,
    });
    assert.equal(resent.json.ok, true);
    assert.equal(rx.received[1]!.body.toString(), edited);
    assert.equal(rx.received[1]!.headers['x-signature'], hmac('whsec_apisecret', edited));
    assert.equal(resent.json.record.replayOf, composed.json.record.id);

    // Verify again with a wrong secret: the diagnosis in words.
    const verdict = await call('api/verify', {
      id: composed.json.record.id,
      secret: 'whsec_wrong',
    });
    assert.equal(verdict.json.valid, false);
    assert.match(verdict.json.message, /secret is wrong/);
    assert.equal(
      (await call('api/verify', { id: composed.json.record.id })).json.valid,
      true,
      'with the stored secret',
    );

    // Exports, and the same records in the CLI's history.
    const curl = await (
      await fetch(`${base}api/deliveries/${composed.json.record.id}/export?format=curl`)
    ).text();
    assert.match(curl, /--globoff/);
    const har = (await (
      await fetch(`${base}api/deliveries/${composed.json.record.id}/export?format=har`)
    ).json()) as { log: { entries: Array<{ request: { postData: { text: string } } }> } };
    assert.equal(har.log.entries[0]!.request.postData.text, got.body.toString());
    const listed = (await (
      await fetch(`${base}api/deliveries?replayOf=${composed.json.record.id}`)
    ).json()) as { records: Array<{ id: string }> };
    assert.deepEqual(
      listed.records.map((r) => r.id),
      [resent.json.record.id],
    );
    assert.deepEqual(
      historyRecords(dir.path)
        .map((r) => r.id)
        .sort(),
      [composed.json.record.id, resent.json.record.id].sort(),
    );

    // Bad requests are one clear error each; secrets never come back.
    assert.equal(
      (await call('api/send', { event: 'NOT_AN_EVENT', webhookId: app.id })).status,
      400,
    );
    assert.equal((await call('api/replay', { id: 'dnope' })).status, 404);
    assert.equal((await fetch(`${base}api/deliveries/dnope`)).status, 404);
    assert.ok(!JSON.stringify(meta).includes('whsec_apisecret'));

    const busy = await runCli(['inspect', '--port', new URL(base).port], { env });
    assert.equal(busy.code, 3);
    assert.match(busy.stderr, /is in use/);
    inspect.child.kill('SIGTERM');
    assert.equal(await inspect.exited, 143);
  } finally {
    inspect.child.kill('SIGKILL');
    await rx.close();
    dir.cleanup();
  }
});

test('a bad delivery filter: the inspector answers 400 with the message the CLI gives', async (t) => {
  const dir = tempDir();
  t.after(() => dir.cleanup());
  const env = { BLUEHOOK_HOME: dir.path };
  const inspect = await startReady(['inspect', '--port', '0'], env);
  t.after(() => inspect.child.kill('SIGKILL'));
  for (const [query, flag, value] of [
    ['status=abc', '--status', 'abc'],
    ['since=yesterday', '--since', 'yesterday'],
  ] as const) {
    const page = await fetch(`${inspect.url}api/deliveries?${query}`);
    const body = (await page.json()) as { error: string; code: string };
    assert.equal(page.status, 400, query);
    const cli = await runCli(['deliveries', 'list', flag, value], { env });
    assert.equal(cli.code, 2, cli.stderr);
    assert.equal(cli.stderr.trim(), `bluehook: ${body.error}`, 'the same words');
    assert.match(body.code, /^bad-/);
  }
  const good = await fetch(`${inspect.url}api/deliveries?status=5xx&since=1h`);
  assert.equal(good.status, 200);
  inspect.child.kill('SIGTERM');
  assert.equal(await inspect.exited, 143);
});
