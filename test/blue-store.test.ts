/**
 * Contract tests: every webhook command with --store blue against the emulator, end to end.
 * Expectations come from Blue's documentation (docs/blue-webhooks.md), and the emulator's state
 * is checked with raw GraphQL requests of our own.
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { statSync } from 'node:fs';
import Sqlite from 'better-sqlite3';
import { join } from 'node:path';
import {
  deadPort,
  hmac,
  tempDir,
  post,
  type ReadyProcess,
  runCli,
  startListen,
  startReady,
  startReceiver,
} from './helpers.js';

const TOKEN = { id: 'alice-id', secret: 'alice-secret' };
const OTHER = { id: 'bob-id', secret: 'bob-secret' };

const emulators: ReadyProcess[] = [];
after(() => {
  for (const e of emulators) e.child.kill('SIGKILL');
});

async function emulator(...extra: string[]): Promise<ReadyProcess & { api: string }> {
  const e = await startReady([
    'emulator',
    '--port',
    '0',
    '--ephemeral',
    '--token',
    `${TOKEN.id}:${TOKEN.secret}`,
    '--token',
    `${OTHER.id}:${OTHER.secret}`,
    ...extra,
  ]);
  emulators.push(e);
  return { ...e, api: e.url };
}

/** A raw GraphQL call with the documented headers (X-Bloo-* by default, or blue-*). */
async function gql(
  api: string,
  query: string,
  variables: Record<string, unknown> = {},
  { token = TOKEN, family = 'x-bloo', company = 'acme' as string | null } = {},
) {
  const headers: Record<string, string> =
    family === 'x-bloo'
      ? {
          'X-Bloo-Token-ID': token.id,
          'X-Bloo-Token-Secret': token.secret,
          ...(company ? { 'X-Bloo-Company-ID': company } : {}),
        }
      : family === 'blue'
        ? {
            'Blue-Token-Id': token.id,
            'Blue-Token-Secret': token.secret,
            ...(company ? { 'Blue-Org-Id': company } : {}),
          }
        : {};
  const r = await post(api, JSON.stringify({ query, variables }), headers);
  return JSON.parse(r.text) as {
    data?: any;
    errors?: Array<{ message: string; extensions: { code: string } }>;
  };
}

const FIELDS =
  'id uid name url secret status events projectIds enabled metadata createdAt updatedAt';
const rawWebhook = async (api: string, id: string) =>
  gql(api, `query($id: String!) { webhook(id: $id) { ${FIELDS} } }`, { id });

/** A store directory and Blue credentials for the emulator at `api`. */
const blueEnv = (api: string, home: string, token = TOKEN) => ({
  BLUEHOOK_HOME: home,
  BLUE_TOKEN_ID: token.id,
  BLUE_TOKEN_SECRET: token.secret,
  BLUE_COMPANY_ID: 'acme',
  BLUE_API_URL: api,
});

/** The CLI on Blue's store (the emulator at `api`). */
function cli(api: string, home: string, token = TOKEN) {
  const env = blueEnv(api, home, token);
  return (args: string[]) => runCli(['--store', 'blue', ...args], { env });
}

/** The secret kept for a Blue webhook, read from the store database with a connection of its own. */
function keptSecret(dir: string, id: string): string | undefined {
  const db = new Sqlite(join(dir, 'bluehook.db'), { readonly: true });
  try {
    return (
      db.prepare('SELECT secret FROM kept_secrets WHERE webhook_id = ?').get(id) as
        | { secret: string }
        | undefined
    )?.secret;
  } finally {
    db.close();
  }
}

test('blue store lifecycle: secret only once (kept locally 0600), lists replaced, disable, delete', async () => {
  const em = await emulator('--allow-private-urls');
  const dir = tempDir();
  try {
    const bh = cli(em.api, dir.path);
    // Hints name commands that work: with --store blue, since that is where these webhooks live.
    assert.match((await bh(['list'])).stdout, /create one with `bluehook --store blue create`/);
    const made = await bh(['create', '--name', 'hinted', '--url', 'http://127.0.0.1:9/h']);
    const hinted = /`(bluehook --store blue show (\S+) --reveal-secret)`/.exec(made.stderr);
    assert.ok(hinted, made.stderr);
    assert.equal((await bh(['show', hinted[2]!, '--reveal-secret'])).code, 0, 'the hint works');
    await bh(['delete', hinted[2]!, '--yes']);
    const created = await bh([
      'create',
      '--name',
      'orders',
      '--url',
      'http://127.0.0.1:9/hook',
      '--events',
      'TODO_CREATED,TODO_DELETED',
      '--json',
      '--reveal-secret',
    ]);
    assert.equal(created.code, 0, created.stderr);
    const hook = JSON.parse(created.stdout);
    assert.match(hook.secret, /^whsec_/);
    assert.deepEqual(
      [hook.enabled, hook.status, hook.events],
      [true, 'HEALTHY', ['TODO_CREATED', 'TODO_DELETED']],
    );

    const raw = (await rawWebhook(em.api, hook.id)).data.webhook;
    assert.equal(raw.secret, null, 'Blue never returns the secret again');
    assert.deepEqual(raw.metadata, { events: ['TODO_CREATED', 'TODO_DELETED'], projectIds: [] });
    const db = join(dir.path, 'bluehook.db');
    assert.equal(keptSecret(dir.path, hook.id), hook.secret, 'kept in the store database');
    assert.equal(statSync(db).mode & 0o777, 0o600);

    const shown = JSON.parse((await bh(['show', 'orders', '--reveal-secret', '--json'])).stdout);
    assert.equal(shown.secret, hook.secret, 'the kept secret fills in what Blue no longer returns');

    const updated = await bh([
      'update',
      'orders',
      '--event',
      'TAG_CREATED',
      '--project',
      'cproj',
      '--json',
    ]);
    assert.equal(updated.code, 0, updated.stderr);
    const afterUpdate = (await rawWebhook(em.api, hook.id)).data.webhook;
    assert.deepEqual(
      [afterUpdate.events, afterUpdate.projectIds, afterUpdate.url],
      [['TAG_CREATED'], ['cproj'], 'http://127.0.0.1:9/hook'],
    );

    assert.equal((await bh(['disable', 'orders'])).code, 0);
    const disabled = (await rawWebhook(em.api, hook.id)).data.webhook;
    assert.deepEqual([disabled.enabled, disabled.status], [false, 'UNHEALTHY']);
    assert.equal(JSON.parse((await bh(['list', '--disabled', '--json'])).stdout).length, 1);

    assert.equal((await bh(['delete', 'orders', '--yes'])).code, 0);
    const gone = await rawWebhook(em.api, hook.id);
    assert.equal(gone.errors![0]!.extensions.code, 'WEBHOOK_NOT_FOUND');
    assert.equal(keptSecret(dir.path, hook.id), undefined);
  } finally {
    dir.cleanup();
  }
});

test('enable runs the health check: 2xx enables; otherwise the webhook stays disabled and UNHEALTHY (exit 1)', async () => {
  const em = await emulator('--allow-private-urls');
  const dir = tempDir();
  let answer = 500;
  const rx = await startReceiver((_r, _i, res) => res.writeHead(answer).end());
  try {
    const bh = cli(em.api, dir.path);
    const hook = JSON.parse(
      (await bh(['create', '--name', 'h', '--url', rx.url, '--json', '--reveal-secret'])).stdout,
    );
    await bh(['disable', 'h']);
    const failed = await bh(['enable', 'h']);
    assert.equal(failed.code, 1);
    assert.match(failed.stderr, /health check failed.*stays disabled and UNHEALTHY/);
    assert.equal(rx.received.length, 1);
    const check = JSON.parse(rx.received[0]!.body.toString());
    assert.equal(check.event, 'WEBHOOK_HEALTH_CHECK');
    assert.equal(
      rx.received[0]!.headers['x-signature'],
      hmac(hook.secret, rx.received[0]!.body),
      'signed like any delivery',
    );
    const raw = (await rawWebhook(em.api, hook.id)).data.webhook;
    assert.deepEqual([raw.enabled, raw.status], [false, 'UNHEALTHY']);
    answer = 200;
    const ok = await bh(['enable', 'h', '--json']);
    assert.equal(ok.code, 0, ok.stderr);
    const enabled = (await rawWebhook(em.api, hook.id)).data.webhook;
    assert.deepEqual([enabled.enabled, enabled.status], [true, 'HEALTHY']);
  } finally {
    await rx.close();
    dir.cleanup();
  }
});

test('send --webhook and listen --webhook work with a Blue-managed webhook through the kept secret', async () => {
  const em = await emulator('--allow-private-urls');
  const dir = tempDir();
  const rx = await startReceiver();
  try {
    const bh = cli(em.api, dir.path);
    const hook = JSON.parse(
      (await bh(['create', '--name', 's', '--url', rx.url, '--json', '--reveal-secret'])).stdout,
    );
    const sent = await bh(['send', '--webhook', 's', '--no-record']);
    assert.equal(sent.code, 0, sent.stderr);
    assert.equal(rx.received[0]!.headers['x-signature'], hmac(hook.secret, rx.received[0]!.body));
    assert.equal(JSON.parse(rx.received[0]!.body.toString()).webhook.id, hook.id);
  } finally {
    await rx.close();
    dir.cleanup();
  }
});

test('a triggered TODO_CREATED arrives verified at bluehook listen after the queue delay', async () => {
  const em = await emulator('--allow-private-urls', '--delay', '300ms');
  const dir = tempDir();
  try {
    const bh = cli(em.api, dir.path);
    const env = {
      BLUEHOOK_HOME: dir.path,
      BLUE_TOKEN_ID: TOKEN.id,
      BLUE_TOKEN_SECRET: TOKEN.secret,
      BLUE_API_URL: em.api,
    };
    const unknown = await runCli(['listen', '--port', '0', '--store', 'blue', '--webhook', 'l'], {
      env,
    });
    assert.equal(unknown.code, 2, 'listen --webhook needs an existing webhook');
    const receiverPort = await deadPort();
    const created = await bh([
      'create',
      '--name',
      'l',
      '--url',
      `http://127.0.0.1:${receiverPort}/`,
      '--events',
      'TODO_CREATED',
      '--json',
    ]);
    assert.equal(created.code, 0, created.stderr);
    const l = await startReady(
      [
        'listen',
        '--port',
        String(receiverPort),
        '--webhook',
        'l',
        '--store',
        'blue',
        '--expect',
        '1',
        '--timeout',
        '20s',
      ],
      env,
    );
    const trig = await runCli([
      'emulator',
      'trigger',
      'TODO_CREATED',
      '--api-url',
      em.api,
      '--json',
    ]);
    assert.equal(trig.code, 0, trig.stderr);
    assert.equal(JSON.parse(trig.stdout).queued.length, 1);
    const notMatching = await runCli([
      'emulator',
      'trigger',
      'TAG_CREATED',
      '--api-url',
      em.api,
      '--json',
    ]);
    assert.equal(JSON.parse(notMatching.stdout).queued.length, 0, 'event filter');
    assert.equal(await l.exited, 0, l.stderr());
    const [delivery] = l.lines().filter((x) => x.type === 'delivery');
    assert.equal(delivery!.event, 'TODO_CREATED');
    assert.equal(delivery!.valid, true);
  } finally {
    dir.cleanup();
  }
});

test('a receiver that always fails: 5 attempts, then the webhook is disabled and UNHEALTHY; deleted webhooks get nothing', async () => {
  const em = await emulator('--allow-private-urls', '--delay', '1s', '--backoff', '20ms');
  const dir = tempDir();
  const rx = await startReceiver((_r, _i, res) => res.writeHead(503).end());
  try {
    const bh = cli(em.api, dir.path);
    const hook = JSON.parse(
      (await bh(['create', '--name', 'f', '--url', rx.url, '--json'])).stdout,
    );
    await runCli(['emulator', 'trigger', 'COMMENT_CREATED', '--api-url', em.api]);
    // The emulator says the last attempt after it has disabled the webhook.
    await em.until(() =>
      em.lines().find((l) => l.type === 'attempt' && l.webhookId === hook.id && l.attempt === 5),
    );
    const raw = (await rawWebhook(em.api, hook.id)).data.webhook;
    assert.deepEqual([raw.enabled, raw.status], [false, 'UNHEALTHY']);
    assert.equal(rx.received.length, 5);

    const second = JSON.parse(
      (await bh(['create', '--name', 'g', '--url', rx.url, '--json'])).stdout,
    );
    await runCli(['emulator', 'trigger', 'COMMENT_CREATED', '--api-url', em.api]);
    const deleted = await gql(
      em.api,
      `mutation($id: String!) { deleteWebhook(input: { webhookId: $id }) { success } }`,
      { id: second.id },
    );
    assert.equal(deleted.data.deleteWebhook.success, true);
    // The emulator says when it drops the queued delivery (after its 1 s queue delay): wait for that.
    const dropped = () => em.lines().find((l) => l.type === 'dropped' && l.webhookId === second.id);
    const drop = await em.until(dropped);
    assert.deepEqual(
      { ...drop, attempt: undefined },
      {
        type: 'dropped',
        webhookId: second.id,
        event: 'COMMENT_CREATED',
        attempt: undefined,
        reason: 'webhook-deleted',
      },
    );
    // Normally dropped before its first attempt; on a loaded machine the deletion may come after
    // the queue delay: then exactly the attempts made before it reached the receiver, no more.
    const attemptsBeforeDeletion = (drop!.attempt as number) - 1;
    assert.equal(
      rx.received.length,
      5 + attemptsBeforeDeletion,
      'nothing is sent for a deleted webhook',
    );
  } finally {
    await rx.close();
    dir.cleanup();
  }
});

test('auth: both header families work; no or wrong credentials are UNAUTHENTICATED (exit 4 naming the variables)', async () => {
  const em = await emulator('--allow-private-urls');
  const dir = tempDir();
  try {
    const q = `{ webhooks { items { id } pageInfo { totalItems } } }`;
    assert.equal(
      (await gql(em.api, q, {}, { family: 'x-bloo' })).data.webhooks.pageInfo.totalItems,
      0,
    );
    assert.equal(
      (await gql(em.api, q, {}, { family: 'blue' })).data.webhooks.pageInfo.totalItems,
      0,
    );
    const created = await gql(
      em.api,
      `mutation { createWebhook(input: { url: "http://127.0.0.1:1/" }) { id secret } }`,
      {},
      { family: 'blue' },
    );
    assert.match(created.data.createWebhook.secret, /^whsec_/, 'blue-org-id works for create');
    assert.equal(
      (await gql(em.api, q, {}, { family: 'none' })).errors![0]!.extensions.code,
      'UNAUTHENTICATED',
    );
    const r = await cli(em.api, dir.path, { id: TOKEN.id, secret: 'wrong' })(['list']);
    assert.equal(r.code, 4);
    assert.match(
      r.stderr,
      /Authentication required\. \(UNAUTHENTICATED\).*BLUE_TOKEN_ID and BLUE_TOKEN_SECRET/,
    );
    const missing = await runCli(['--store', 'blue', 'list'], {
      env: { BLUEHOOK_HOME: dir.path, BLUE_API_URL: em.api },
    });
    assert.equal(missing.code, 4);
    assert.match(missing.stderr, /set BLUE_TOKEN_ID and BLUE_TOKEN_SECRET/);
  } finally {
    dir.cleanup();
  }
});

test('error codes: FORBIDDEN, WEBHOOK_NOT_FOUND, COMPANY_NOT_FOUND, BAD_USER_INPUT, PLAN_LIMIT_REACHED, private URL', async () => {
  const em = await emulator('--allow-private-urls', '--max-webhooks', '2');
  const strict = await emulator();
  const dir = tempDir();
  try {
    const alice = cli(em.api, dir.path);
    const bob = cli(em.api, dir.path, OTHER);
    const hook = JSON.parse(
      (await alice(['create', '--name', 'a', '--url', 'http://127.0.0.1:1/', '--json'])).stdout,
    );
    const forbidden = await bob(['update', hook.id, '--url', 'http://127.0.0.1:2/']);
    assert.equal(forbidden.code, 4);
    assert.match(forbidden.stderr, /You are not authorized\. \(FORBIDDEN\)/);
    assert.equal((await bob(['delete', hook.id, '--yes'])).code, 4, 'only the creator deletes');
    assert.equal(
      JSON.parse((await bob(['list', '--json'])).stdout).length,
      0,
      'users see only their own webhooks',
    );
    const disabledByOther = await gql(
      em.api,
      `mutation($id: String!) { disableWebhook(input: { webhookId: $id }) { success operationId } }`,
      { id: hook.id },
      { token: OTHER },
    );
    assert.deepEqual(
      disabledByOther.data.disableWebhook,
      { success: true, operationId: null },
      'any authenticated user may disable',
    );
    // The same through bluehook: another user's webhook, named by its id, is disabled (no lookup first).
    await alice(['enable', hook.id]);
    const byBob = await bob(['disable', hook.id, '--json']);
    assert.equal(byBob.code, 0, byBob.stderr);
    assert.deepEqual(
      [JSON.parse(byBob.stdout).id, JSON.parse(byBob.stdout).enabled],
      [hook.id, false],
    );
    const seenByAlice = JSON.parse((await alice(['show', hook.id, '--json'])).stdout);
    assert.deepEqual([seenByAlice.enabled, seenByAlice.status], [false, 'UNHEALTHY']);
    const notFound = await alice(['show', 'cnotthere0000000000000000']);
    assert.equal(notFound.code, 2);
    assert.match(notFound.stderr, /no webhook matches/);
    assert.equal(
      (await rawWebhook(em.api, 'cnotthere0000000000000000')).errors![0]!.extensions.code,
      'WEBHOOK_NOT_FOUND',
    );
    const noCompany = await gql(
      em.api,
      `mutation { createWebhook(input: { url: "http://127.0.0.1:1/" }) { id } }`,
      {},
      { company: null },
    );
    assert.deepEqual(
      [noCompany.errors![0]!.extensions.code, noCompany.errors![0]!.message],
      ['COMPANY_NOT_FOUND', 'Company was not found.'],
    );
    const badUrl = await gql(
      em.api,
      `mutation { createWebhook(input: { url: "not a url" }) { id } }`,
    );
    assert.equal(badUrl.errors![0]!.extensions.code, 'BAD_USER_INPUT');
    await alice(['enable', 'a']).catch(() => undefined);
    await alice(['create', '--name', 'b', '--url', 'http://127.0.0.1:1/']);
    await alice(['create', '--name', 'c', '--url', 'http://127.0.0.1:1/']);
    const capped = await alice(['create', '--name', 'd', '--url', 'http://127.0.0.1:1/']);
    assert.equal(capped.code, 4);
    assert.match(capped.stderr, /PLAN_LIMIT_REACHED/);
    const priv = await cli(strict.api, dir.path)(['create', '--url', 'http://127.0.0.1:4000/']);
    assert.equal(priv.code, 2);
    assert.match(priv.stderr, /URL resolves to a private\/internal address/);
    for (const url of [
      'http://10.1.2.3/',
      'http://169.254.169.254/latest',
      'http://[::1]:80/',
      'http://localhost:3000/',
      'http://192.168.1.1/',
    ]) {
      const r = await gql(
        strict.api,
        `mutation($u: String!) { createWebhook(input: { url: $u }) { id } }`,
        { u: url },
      );
      assert.equal(r.errors![0]!.message, 'URL resolves to a private/internal address', url);
      assert.equal(r.errors![0]!.extensions.code, 'INTERNAL_SERVER_ERROR');
    }
  } finally {
    dir.cleanup();
  }
});

test('pagination: every page is fetched, newest first, with a correct pageInfo', async () => {
  const em = await emulator('--allow-private-urls', '--max-webhooks', '100');
  const dir = tempDir();
  try {
    for (let i = 0; i < 45; i++)
      await gql(
        em.api,
        `mutation($n: String) { createWebhook(input: { name: $n, url: "http://127.0.0.1:1/" }) { id } }`,
        { n: `w${i}` },
      );
    const page = await gql(
      em.api,
      `{ webhooks(skip: 40, take: 20) { items { name } pageInfo { totalPages totalItems page perPage hasNextPage hasPreviousPage } } }`,
    );
    assert.deepEqual(page.data.webhooks.pageInfo, {
      totalPages: 3,
      totalItems: 45,
      page: 3,
      perPage: 20,
      hasNextPage: false,
      hasPreviousPage: true,
    });
    assert.deepEqual(
      page.data.webhooks.items.map((w: { name: string }) => w.name),
      ['w4', 'w3', 'w2', 'w1', 'w0'],
    );
    const listed = JSON.parse((await cli(em.api, dir.path)(['list', '--json'])).stdout);
    assert.equal(listed.length, 45);
    assert.equal(listed[0].name, 'w44');
  } finally {
    dir.cleanup();
  }
});

test('pull copies Blue webhooks locally; push --dry-run prints a correct plan; push applies it', async () => {
  const em = await emulator('--allow-private-urls');
  const dir = tempDir();
  try {
    const blue = cli(em.api, dir.path);
    const env = blueEnv(em.api, dir.path);
    const local = (args: string[]) => runCli(args, { env });
    await blue(['create', '--name', 'same', '--url', 'http://127.0.0.1:1/a']);
    await blue(['create', '--name', 'changed', '--url', 'http://127.0.0.1:1/b']);
    const pulled = await local(['pull', '--json']);
    assert.equal(JSON.parse(pulled.stdout).added, 2);
    assert.equal(
      JSON.parse(
        (await local(['show', 'same', '--reveal-secret', '--json'])).stdout,
      ).secret.startsWith('whsec_'),
      true,
    );
    await local(['update', 'changed', '--events', 'TODO_MOVED']);
    await local(['create', '--name', 'new', '--url', 'http://127.0.0.1:1/c']);
    const plan = JSON.parse((await local(['push', '--dry-run', '--json'])).stdout);
    const actions = Object.fromEntries(
      plan.steps.map((s: { local: string; action: string }) => [s.local, s.action]),
    );
    assert.deepEqual(plan.counts, { create: 1, update: 1, unchanged: 1 });
    const localList = JSON.parse((await local(['list', '--json'])).stdout);
    const idOf = (n: string) => localList.find((w: { name: string }) => w.name === n).id;
    assert.deepEqual(
      [actions[idOf('same')], actions[idOf('changed')], actions[idOf('new')]],
      ['unchanged', 'update', 'create'],
    );
    assert.equal(
      JSON.parse((await blue(['list', '--json'])).stdout).length,
      2,
      'a dry run changes nothing',
    );
    const human = await local(['push', '--dry-run']);
    assert.match(human.stdout, /~ update {2}changed: events \[all\] → \[TODO_MOVED\]/);
    const applied = await local(['push', '--json']);
    assert.equal(applied.code, 0, applied.stderr);
    const remote = JSON.parse((await blue(['list', '--json'])).stdout);
    assert.equal(remote.length, 3);
    assert.deepEqual(remote.find((w: { name: string }) => w.name === 'changed').events, [
      'TODO_MOVED',
    ]);
  } finally {
    dir.cleanup();
  }
});

test("a webhook created locally and pushed becomes Blue's: listen --webhook verifies what Blue sends; pull links by name, never duplicates, newest first", async () => {
  const em = await emulator('--allow-private-urls', '--delay', '200ms');
  const dir = tempDir();
  const env = blueEnv(em.api, dir.path);
  const local = (args: string[]) => runCli(args, { env });
  const blue = cli(em.api, dir.path);
  try {
    // A free port for the listener the webhook will point at.
    const port = await deadPort();
    const url = `http://127.0.0.1:${port}/`;
    const created = JSON.parse(
      (
        await local([
          'create',
          '--name',
          'a',
          '--url',
          url,
          '--all-events',
          '--json',
          '--reveal-secret',
        ])
      ).stdout,
    );
    const pushed = await local(['push', '--json']);
    assert.equal(pushed.code, 0, pushed.stderr);
    const step = JSON.parse(pushed.stdout).steps[0];
    assert.deepEqual([step.action, step.local, step.linked], ['create', created.id, true]);
    const remote = JSON.parse((await blue(['show', 'a', '--reveal-secret', '--json'])).stdout);
    const mine = JSON.parse((await local(['show', 'a', '--reveal-secret', '--json'])).stdout);
    assert.equal(mine.id, remote.id, "the local webhook now has Blue's id");
    assert.equal(mine.secret, remote.secret, 'and the secret Blue signs with');
    assert.notEqual(mine.secret, created.secret);

    // What Blue sends for it verifies with listen --webhook a.
    const listener = await startListen(
      ['--port', String(port), '--webhook', 'a', '--expect', '1', '--timeout', '20s'],
      env,
    );
    await runCli(['emulator', 'trigger', 'TODO_CREATED', '--api-url', em.api]);
    assert.equal(await listener.exited, 0, listener.stderr());
    const [delivery] = listener.lines().filter((x) => x.type === 'delivery');
    assert.equal(delivery!.valid, true);

    // A webhook made in Blue by hand under a name the local store already has: pull links it.
    await local(['create', '--name', 'b', '--url', 'http://127.0.0.1:1/b']);
    await blue(['create', '--name', 'b', '--url', 'http://127.0.0.1:1/b']);
    await blue(['create', '--name', 'c', '--url', 'http://127.0.0.1:1/c']);
    const pulled = JSON.parse((await local(['pull', '--json'])).stdout);
    assert.deepEqual([pulled.added, pulled.updated, pulled.linked], [1, 1, 1]);
    const names = JSON.parse((await local(['list', '--json'])).stdout).map(
      (w: { name: string }) => w.name,
    );
    assert.deepEqual(names, ['c', 'b', 'a'], 'one of each, newest first as in Blue');
    assert.deepEqual(
      JSON.parse((await blue(['list', '--json'])).stdout).map((w: { name: string }) => w.name),
      names,
    );
    const again = JSON.parse((await local(['pull', '--json'])).stdout);
    assert.deepEqual([again.added, again.updated, again.linked], [0, 3, 0]);
  } finally {
    dir.cleanup();
  }
});

test('emulator state persists in --data-dir across restarts', async () => {
  const dir = tempDir();
  try {
    const start = () =>
      startReady([
        'emulator',
        '--port',
        '0',
        '--data-dir',
        join(dir.path, 'em'),
        '--allow-private-urls',
        '--token',
        `${TOKEN.id}:${TOKEN.secret}`,
      ]);
    const first = await start();
    const made = await gql(
      first.url,
      `mutation { createWebhook(input: { name: "kept", url: "http://127.0.0.1:1/" }) { id } }`,
    );
    first.child.kill('SIGTERM');
    await first.exited;
    assert.equal(statSync(join(dir.path, 'em', 'emulator.json')).mode & 0o777, 0o600);
    const second = await start();
    emulators.push(second);
    const again = await rawWebhook(second.url, made.data.createWebhook.id);
    assert.equal(again.data.webhook.name, 'kept');
  } finally {
    dir.cleanup();
  }
});

test('emulator: the address is checked when connecting (a saved URL that now resolves to loopback gets nothing); GraphQL errors carry codes; take up to 500', async (t) => {
  const dir = tempDir();
  t.after(() => dir.cleanup());
  const rx = await startReceiver();
  t.after(() => rx.close());
  const start = (...extra: string[]) =>
    startReady([
      'emulator',
      '--port',
      '0',
      '--data-dir',
      join(dir.path, 'em'),
      '--delay',
      '100ms',
      '--token',
      `${TOKEN.id}:${TOKEN.secret}`,
      ...extra,
    ]);
  // Saved while private URLs were allowed: stands for a name that resolved to a public address then.
  const lax = await start('--allow-private-urls');
  const port = new URL(rx.url).port;
  const made = await gql(
    lax.url,
    `mutation { createWebhook(input: { name: "rebound", url: "http://localhost:${port}/" }) { id } }`,
  );
  assert.ok(made.data.createWebhook.id, JSON.stringify(made));
  lax.child.kill('SIGTERM');
  await lax.exited;

  const strict = await start();
  emulators.push(strict);
  await runCli(['emulator', 'trigger', 'TODO_CREATED', '--api-url', strict.url]);
  const attempt = () => strict.lines().find((l) => l.type === 'attempt');
  assert.match(
    String((await strict.until(attempt)).error),
    /localhost resolves to a private\/internal address \((127\.0\.0\.1|::1)\); not connecting/,
  );
  assert.equal(rx.received.length, 0, 'nothing reached the loopback receiver');

  // Names refused at creation: localhost with the root's dot, and addresses that embed a private one.
  for (const url of [
    'http://localhost./',
    'http://[64:ff9b::a9fe:a9fe]/',
    'http://[2002:7f00:1::]/',
    'http://[::ffff:127.0.0.1]/',
    'http://224.0.0.1/',
    'http://255.255.255.255/',
  ]) {
    const r = await gql(
      strict.url,
      `mutation($url: String!) { createWebhook(input: { url: $url }) { id } }`,
      { url },
    );
    assert.match(r.errors?.[0]?.message ?? '', /private\/internal address/, url);
  }
  const unresolvable = await gql(
    strict.url,
    `mutation { createWebhook(input: { url: "http://no-such-host.invalid/" }) { id } }`,
  );
  assert.equal(unresolvable.errors![0]!.extensions.code, 'BAD_USER_INPUT');
  assert.match(unresolvable.errors![0]!.message, /no-such-host\.invalid does not resolve/);

  const invalid = await gql(strict.url, '{ webhooks { items { nosuchfield } } }');
  assert.equal(invalid.errors![0]!.extensions.code, 'GRAPHQL_VALIDATION_FAILED');
  const broken = await gql(strict.url, '{ webhooks { items { id }');
  assert.equal(broken.errors![0]!.extensions.code, 'GRAPHQL_PARSE_FAILED');
  const page = async (take: number) =>
    gql(strict.url, `{ webhooks(take: ${take}) { items { id } } }`);
  assert.equal((await page(500)).errors, undefined, "Blue's CLI asks for 500");
  assert.equal((await page(501)).errors![0]!.extensions.code, 'BAD_USER_INPUT');
});
