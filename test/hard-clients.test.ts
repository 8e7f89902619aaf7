/**
 * Hostile clients, limits, words on the terminal (issue 25, items 8–14): each a thing a user or a
 * hostile local program did, run against the built CLI as a user would.
 */
import { connect, createServer as createNetServer } from 'node:net';
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile, execFileSync } from 'node:child_process';
import { cpSync, statSync, writeFileSync } from 'node:fs';
import { promisify } from 'node:util';
import { join } from 'node:path';
import {
  BIN,
  hmac,
  KEY,
  post,
  type ReadyProcess,
  REFERENCE,
  runCli,
  runInPty,
  startReady,
  startReceiver,
  tempDir,
} from './helpers.js';

test('--set: an array index past the limit is one line and exit 2, in the CLI and in the inspector compose', async (t) => {
  // A cap on the child's heap: without the bound, [200000000] grew to 2.3 GB before V8 died.
  const env = { NODE_OPTIONS: '--max-old-space-size=256' };
  for (const index of ['200000000', '99999999999', '10001']) {
    const r = await runCli(
      ['payload', 'TODO_CREATED', '--seed', '1', '--set', `currentValue.todoTags[${index}]=1`],
      { env },
    );
    assert.equal(r.code, 2, `[${index}]: ${r.stderr}`);
    assert.equal(r.stdout, '');
    assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
    assert.match(r.stderr, new RegExp(`index ${index} .*past the limit of 10000`));
  }
  // The same through the dotted form, and in a nested array on the way to a field.
  const nested = await runCli(
    ['payload', 'TODO_CREATED', '--set', 'currentValue.todoTags.50000.title=x'],
    { env },
  );
  assert.equal(nested.code, 2, nested.stderr);
  // At the limit it is allowed: the items before it are null.
  const ok = await runCli(
    ['payload', 'TODO_CREATED', '--seed', '1', '--set', 'currentValue.todoTags[10000]=1'],
    { env },
  );
  assert.equal(ok.code, 0, ok.stderr);
  const tags = JSON.parse(ok.stdout).currentValue.todoTags as unknown[];
  assert.equal(tags.length, 10_001);
  assert.equal(tags[10_000], 1);

  // The page's Compose goes through the same parser: 400, and the inspector keeps answering.
  const dir = tempDir();
  t.after(dir.cleanup);
  const inspect = await startReady(['inspect', '--port', '0'], {
    BLUEHOOK_HOME: dir.path,
    ...env,
  });
  t.after(() => stop(inspect));
  const { token, origin } = await pageToken(inspect.url);
  const composed = await post(
    `${inspect.url}api/send`,
    JSON.stringify({
      event: 'TODO_CREATED',
      set: ['currentValue.todoTags[200000000]=1'],
      url: 'http://127.0.0.1:9/',
      secret: 'k',
    }),
    { origin, 'x-bluehook-token': token },
  );
  assert.equal(composed.status, 400, composed.text);
  assert.match(JSON.parse(composed.text).error, /past the limit of 10000/);
  assert.equal((await fetch(`${inspect.url}api/meta`)).status, 200);
});

async function pageToken(base: string): Promise<{ token: string; origin: string }> {
  const html = await (await fetch(base)).text();
  return {
    token: /name="bluehook-token" content="([^"]+)"/.exec(html)![1]!,
    origin: base.replace(/\/$/, ''),
  };
}

async function stop(p: ReadyProcess): Promise<void> {
  if (p.child.exitCode === null && p.child.signalCode === null) p.child.kill('SIGTERM');
  await p.exited;
}

/** A raw GET of the live stream on its own socket; resolves with the status once the head arrives. */
function openStream(
  port: number,
  query: string,
): Promise<{ status: number; socket: import('node:net').Socket }> {
  return new Promise((resolvePromise, reject) => {
    const socket = connect(port, '127.0.0.1', () =>
      socket.write(`GET /api/stream${query} HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\n\r\n`),
    );
    let head = '';
    const onData = (d: Buffer) => {
      head += d.toString('latin1');
      const m = /^HTTP\/1\.1 (\d{3})/.exec(head);
      if (m) {
        socket.off('data', onData);
        socket.on('data', () => {}); // keep reading, as a browser does
        resolvePromise({ status: Number(m[1]), socket });
      }
    };
    socket.on('data', onData);
    socket.on('error', reject);
  });
}

interface StreamCounts {
  open: number;
  following: number;
  timer: boolean;
  max: number;
  maxPerPage: number;
}
const streamCounts = async (base: string) =>
  ((await (await fetch(`${base}api/meta`)).json()) as { streams: StreamCounts }).streams;

test('the live stream is capped per page token and in all; a closed stream frees what it held', async (t) => {
  const dir = tempDir();
  t.after(dir.cleanup);
  const inspect = await startReady(['inspect', '--port', '0'], { BLUEHOOK_HOME: dir.path });
  t.after(() => stop(inspect));
  const port = Number(new URL(inspect.url).port);
  const { token } = await pageToken(inspect.url);
  const sockets: import('node:net').Socket[] = [];
  t.after(() => {
    for (const s of sockets) s.destroy();
  });
  const many = async (n: number, query: string) => {
    const opened = await Promise.all(Array.from({ length: n }, () => openStream(port, query)));
    sockets.push(...opened.map((o) => o.socket));
    return opened.map((o) => o.status);
  };

  const limits = await streamCounts(inspect.url);
  assert.deepEqual(
    { max: limits.max, maxPerPage: limits.maxPerPage, open: limits.open },
    { max: 48, maxPerPage: 32, open: 0 },
  );
  const page = `?token=${token}`;
  assert.deepEqual(await many(32, page), Array(32).fill(200), "the page's 32 streams");
  assert.deepEqual(await many(3, page), [429, 429, 429], "past the page's cap");
  assert.deepEqual(await many(16, ''), Array(16).fill(200), 'streams without the token');
  assert.deepEqual(await many(2, ''), [503, 503], 'past the cap in all');
  assert.deepEqual(await many(1, '?token=forged'), [403], 'a wrong token');
  const full = await streamCounts(inspect.url);
  assert.equal(full.open, 48);
  assert.equal(full.following, 48);
  assert.equal(full.timer, true);

  // Every client goes away: the server's count of streams, history followers and its timer drop to
  // nothing (each fetch of the meta is the event that lets the closes be seen).
  for (const s of sockets.splice(0)) s.destroy();
  let freed = await streamCounts(inspect.url);
  for (let i = 0; i < 500 && (freed.open || freed.following || freed.timer); i++)
    freed = await streamCounts(inspect.url);
  assert.deepEqual(
    { open: freed.open, following: freed.following, timer: freed.timer },
    { open: 0, following: 0, timer: false },
  );
  // And new streams are accepted again, up to the same cap.
  assert.deepEqual(await many(32, page), Array(32).fill(200));
  assert.deepEqual(await many(1, page), [429]);
  assert.equal(inspect.child.exitCode, null, 'the inspector is still running');
});

const EVIL_NAME = 'net\u001b[41mEVIL\u001b]0;owned\u0007';
const RAW_CONTROL = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/;

test("names and errors from Blue's API reach the terminal escaped, from the API and after a pull", async (t) => {
  const token = { id: 'alice-id', secret: 'alice-secret' };
  const em = await startReady([
    'emulator',
    '--port',
    '0',
    '--ephemeral',
    '--allow-private-urls',
    '--token',
    `${token.id}:${token.secret}`,
  ]);
  t.after(() => stop(em));
  const dir = tempDir();
  t.after(dir.cleanup);
  const blueEnv = (api: string) => ({
    BLUEHOOK_HOME: dir.path,
    BLUE_TOKEN_ID: token.id,
    BLUE_TOKEN_SECRET: token.secret,
    BLUE_COMPANY_ID: 'acme',
    BLUE_API_URL: api,
  });
  // Someone else's program named the webhook, through Blue's API.
  const made = await post(
    em.url,
    JSON.stringify({
      query: 'mutation($input: CreateWebhookInput!) { createWebhook(input: $input) { id } }',
      variables: { input: { name: EVIL_NAME, url: 'http://127.0.0.1:9/hook' } },
    }),
    {
      'X-Bloo-Token-ID': token.id,
      'X-Bloo-Token-Secret': token.secret,
      'X-Bloo-Company-ID': 'acme',
    },
  );
  const id = JSON.parse(made.text).data.createWebhook.id as string;
  const blue = (args: string[]) => runCli(['--store', 'blue', ...args], { env: blueEnv(em.url) });
  const local = (args: string[]) => runCli(args, { env: { BLUEHOOK_HOME: dir.path } });
  const shown = [
    ['--store blue list', await blue(['list'])],
    ['--store blue show', await blue(['show', id])],
    ['--store blue disable', await blue(['disable', id])],
    ['pull', await runCli(['pull'], { env: blueEnv(em.url) })],
    ['list after pull', await local(['list'])],
    ['show after pull', await local(['show', id])],
  ] as const;
  for (const [what, r] of shown) {
    assert.equal(r.code, 0, `${what}: ${r.stderr}`);
    assert.doesNotMatch(
      r.stdout + r.stderr,
      RAW_CONTROL,
      `${what} printed a raw control character`,
    );
  }
  for (const [what, r] of shown.filter(([w]) => /list|show/.test(w)))
    assert.ok(r.stdout.includes('net\\x1b[41mEVIL\\x1b]0;owned\\x07'), `${what}: ${r.stdout}`);
  // send's warning that Blue would not deliver to this (now disabled) webhook names it, escaped.
  const warned = await blue([
    'send',
    '--webhook',
    id,
    '--secret',
    'k',
    '--url',
    'http://127.0.0.1:9/',
    '--no-retry',
    '--no-record',
  ]);
  assert.match(warned.stderr, /warning: Blue would not deliver this: webhook net\\x1b\[41mEVIL/);
  assert.doesNotMatch(warned.stdout + warned.stderr, RAW_CONTROL);
  // A hint names the store the user chose with --store.
  const missing = await blue(['show', 'nope']);
  assert.equal(missing.code, 2, missing.stderr);
  assert.match(missing.stderr, /run `bluehook --store blue list` to see ids and names/);
  const missingById = await blue(['show', 'cmissing0000000000000000a']);
  assert.match(missingById.stderr, /`bluehook --store blue list`/);
  // --json is data: the name exactly as Blue holds it.
  const json = await blue(['show', id, '--json']);
  assert.equal(JSON.parse(json.stdout).name, EVIL_NAME);

  // A GraphQL error message is Blue's words too.
  const { createServer } = await import('node:http');
  const fake = createServer((_req, res) =>
    res.writeHead(200, { 'content-type': 'application/json' }).end(
      JSON.stringify({
        errors: [
          {
            message: 'boom \u001b]0;owned\u0007\u001b[2J',
            extensions: { code: 'INTERNAL_SERVER_ERROR' },
          },
        ],
      }),
    ),
  );
  await new Promise<void>((r) => fake.listen(0, '127.0.0.1', r));
  t.after(() => fake.close());
  const failed = await runCli(['--store', 'blue', 'list'], {
    env: blueEnv(`http://127.0.0.1:${(fake.address() as import('node:net').AddressInfo).port}/`),
  });
  assert.notEqual(failed.code, 0);
  assert.match(failed.stderr, /boom \\x1b\]0;owned\\x07\\x1b\[2J/);
  assert.doesNotMatch(failed.stderr, RAW_CONTROL);
});

test('listen --inspect stops with exit 3 when the inspector cannot have its port, as inspect does', async (t) => {
  const dir = tempDir();
  t.after(dir.cleanup);
  const env = { env: { BLUEHOOK_HOME: dir.path } };
  const busy = createNetServer();
  await new Promise<void>((r) => busy.listen(0, '127.0.0.1', r));
  t.after(() => busy.close());
  const taken = String((busy.address() as import('node:net').AddressInfo).port);
  const r = await runCli(
    ['listen', '--port', '0', '--secret', 'k', '--inspect', '--inspect-port', taken],
    { ...env, timeoutMs: 20_000 },
  );
  assert.equal(r.code, 3, r.stdout + r.stderr);
  assert.match(r.stderr, new RegExp(`inspector's port ${taken} on 127\\.0\\.0\\.1 is in use`));
  assert.match(r.stderr, /--inspect-port/);
  assert.doesNotMatch(r.stdout, /listening on/);

  // The same port for both: the listener takes it, so the inspector cannot.
  const free = createNetServer();
  await new Promise<void>((r) => free.listen(0, '127.0.0.1', r));
  const port = String((free.address() as import('node:net').AddressInfo).port);
  await new Promise<void>((r) => free.close(() => r()));
  const same = await runCli(
    ['listen', '--port', port, '--secret', 'k', '--inspect', '--inspect-port', port],
    { ...env, timeoutMs: 20_000 },
  );
  assert.equal(same.code, 3, same.stdout + same.stderr);
  assert.match(same.stderr, new RegExp(`port ${port} is the listener's own`));
  // And `inspect` on a busy port, the behaviour this matches.
  const inspect = await runCli(['inspect', '--port', taken], { ...env, timeoutMs: 20_000 });
  assert.equal(inspect.code, 3, inspect.stderr);
});

test('Ctrl-C during a load-mode send on a terminal prints the summary of what was sent, then exits 130', async (t) => {
  const rx = await startReceiver();
  t.after(() => rx.close());
  const session = await runInPty(
    [
      'send',
      'TODO_CREATED',
      '--url',
      rx.url,
      '--secret',
      'k',
      '--duration',
      '60s',
      '--concurrency',
      '2',
      '--record',
      'none',
    ],
    [{ when: /sent [1-9]\d* ·/, keys: ['\x03'] }],
  );
  assert.equal(session.pending, 0, `no progress was shown: ${session.screen}`);
  assert.equal(session.code, 130, session.screen);
  assert.match(session.screen, /summary\r?\n\s+sent\s+[1-9]\d* in /, session.screen);
  assert.match(session.screen, /expected\s+/);
});

test("listen's Ctrl-C summary on a terminal starts on a line of its own, not after the echoed ^C", async () => {
  const dir = tempDir();
  try {
    const session = await runInPty(
      ['listen', '--port', '0', '--secret', 'k', '--no-record'],
      [{ when: /Ctrl-C to stop/, keys: ['\x03'] }],
      { BLUEHOOK_HOME: dir.path },
    );
    assert.equal(session.code, 130, session.screen);
    assert.match(session.screen, /\^C\r?\n0 deliveries received/, JSON.stringify(session.screen));
  } finally {
    dir.cleanup();
  }
});

test('flags that would be ignored or contradict each other are refused (exit 2, one line) before anything is sent', async (t) => {
  const dir = tempDir();
  t.after(dir.cleanup);
  const env = { env: { BLUEHOOK_HOME: dir.path } };
  const rx = await startReceiver();
  t.after(() => rx.close());
  const body = join(dir.path, 'body.json');
  writeFileSync(body, '{"event":"TODO_CREATED"}');
  const cases: Array<[string, string[], RegExp]> = [
    [
      'send --data with --set',
      ['send', '--url', rx.url, '--secret', 'k', '--data', body, '--set', 'currentValue.title=x'],
      /--data .*cannot be used with .*--set/,
    ],
    [
      'send --data with --seed',
      ['send', '--url', rx.url, '--secret', 'k', '--data', body, '--seed', '3'],
      /--data .*cannot be used with .*--seed/,
    ],
    [
      '--no-retry with --retries',
      ['send', '--url', rx.url, '--secret', 'k', '--no-retry', '--retries', '3'],
      /--no-retry.*cannot be used with .*--retries/,
    ],
    [
      'send --timeout 0',
      ['send', '--url', rx.url, '--secret', 'k', '--timeout', '0'],
      /--timeout must be longer than nothing/,
    ],
    [
      "create --events ''",
      ['create', '--name', 'all', '--url', rx.url, '--events', ''],
      /--events "" names no event.*--all-events/,
    ],
    [
      'listen --webhook that does not exist, with --secret',
      ['listen', '--port', '0', '--webhook', 'doesnotexist', '--secret', 'k'],
      /no webhook matches "doesnotexist"/,
    ],
  ];
  for (const [what, args, message] of cases) {
    const r = await runCli(args, { ...env, timeoutMs: 15_000 });
    assert.equal(r.code, 2, `${what}: ${r.stdout}${r.stderr}`);
    assert.match(r.stderr, message, what);
    assert.equal(r.stderr.trim().split('\n').length, 1, `${what}: ${r.stderr}`);
  }
  assert.equal(rx.received.length, 0, 'nothing was sent');
  assert.equal((await runCli(['list', '--json'], env)).stdout.trim(), '[]', 'nothing was created');
  // The same webhook named with a secret of the caller's does start, and says which it verifies for.
  const made = await runCli(
    ['create', '--name', 'real', '--url', rx.url, '--events', 'TODO_CREATED', '--json'],
    env,
  );
  assert.equal(made.code, 0, made.stderr);
  const listen = await startReady(['listen', '--port', '0', '--webhook', 'real', '--secret', 'k'], {
    BLUEHOOK_HOME: dir.path,
  });
  t.after(() => stop(listen));
  const signed = '{"event":"TODO_CREATED"}';
  const answer = await post(listen.url, signed, { 'x-signature': hmac('k', signed) });
  assert.equal(answer.status, 200);
});

test('interactive create: ticking "All events" and specific events is refused until one is chosen', async () => {
  const dir = tempDir();
  const env = { BLUEHOOK_HOME: dir.path };
  try {
    const up = '\x1b[A';
    const session = await runInPty(
      ['create'],
      [
        { when: /Name/, keys: ['both', KEY.enter] },
        { when: /URL to deliver to/, keys: ['http://127.0.0.1:9/x', KEY.enter] },
        // All events, then TODO_CREATED as well: two answers.
        {
          when: /TODO_CUSTOM_FIELD_UPDATED/,
          keys: [KEY.space, KEY.down, KEY.space, KEY.enter],
        },
        // Refused, said on screen; unticking "All" leaves the specific event.
        { when: /not both/, keys: [up, KEY.space, KEY.enter] },
        { when: /Project ids/, keys: [KEY.enter] },
        { when: /Create webhook "both"/, keys: ['y', KEY.enter] },
      ],
      env,
    );
    assert.equal(session.pending, 0, session.screen.slice(-800));
    assert.equal(session.code, 0, session.screen.slice(-500));
    const [hook] = JSON.parse((await runCli(['list', '--json'], { env })).stdout);
    assert.deepEqual(hook.events, ['TODO_CREATED']);
  } finally {
    dir.cleanup();
  }
});

test('smaller words: verify names a signer newline, old-store imports are reported, load and list --disabled say what happened, payload -o is 0600', async (t) => {
  const dir = tempDir();
  t.after(dir.cleanup);
  const env = { env: { BLUEHOOK_HOME: dir.path } };

  // verify --json: the signer's secret kept its file's newline; its own cause, not the whsec_ one.
  const body = '{"event":"TODO_CREATED"}';
  const verified = await runCli(
    ['verify', '--secret', 's3cret', '--signature', hmac('s3cret\n', body), '--json'],
    { ...env, input: body },
  );
  assert.equal(verified.code, 1, verified.stderr);
  const verdict = JSON.parse(verified.stdout);
  assert.equal(verdict.cause, 'signer-secret-newline');
  assert.match(verdict.message, /signer's secret ends with a newline/);

  // An old store's webhooks.json is imported by the first command that opens the store, and said.
  cpSync(join(REFERENCE, 'legacy-store', 'webhooks.json'), join(dir.path, 'webhooks.json'));
  const listed = await runCli(['list', '--json'], env);
  assert.equal(listed.code, 0, listed.stderr);
  assert.match(
    listed.stderr,
    /^bluehook: imported 2 webhooks from .*webhooks\.json into the database; the file is kept as .*webhooks\.json\.imported\n$/,
  );
  assert.equal(JSON.parse(listed.stdout).length, 2);
  assert.doesNotMatch((await runCli(['list'], env)).stderr, /imported/, 'said once');

  // list --disabled with none disabled: says so, rather than "no webhooks (create one…)".
  const none = await runCli(['list', '--disabled'], env);
  assert.equal(none.code, 0);
  assert.equal(none.stdout.trim(), 'no disabled webhooks');
  // Both imported webhooks are enabled: "orders" (two events) and "staging" (all events).
  const disable = await runCli(['disable', 'staging'], env);
  assert.equal(disable.code, 0, disable.stderr);
  const noneFor = await runCli(['list', '--enabled', '--event', 'TAG_CREATED'], env);
  assert.equal(noneFor.stdout.trim(), 'no enabled webhooks for TAG_CREATED');
  assert.match((await runCli(['list', '--disabled'], env)).stdout, /staging/);

  // A load run whose every delivery was answered: "recorded nothing", not "recorded the 0".
  const rx = await startReceiver();
  t.after(() => rx.close());
  const load = await runCli(['send', '--url', rx.url, '--secret', 'k', '--count', '3'], env);
  assert.equal(load.code, 0, load.stderr);
  assert.match(load.stderr, /recorded nothing: every delivery was answered as expected/);
  assert.doesNotMatch(load.stderr, /recorded the 0/);
  rx.received.length = 0;

  // payload -o: 0600, like an export.
  const out = join(dir.path, 'body.json');
  const written = await runCli(['payload', 'TODO_CREATED', '--seed', '1', '-o', out], env);
  assert.equal(written.code, 0, written.stderr);
  assert.equal(statSync(out).mode & 0o777, 0o600);
});

test('deliveries list fits the terminal: rows as wide as its columns, whole with --wide or piped', async (t) => {
  const dir = tempDir();
  t.after(dir.cleanup);
  const env = { BLUEHOOK_HOME: dir.path };
  const rx = await startReceiver();
  t.after(() => rx.close());
  const long = `${rx.url}a/rather/long/path/that/a/receiver/might/really/have?with=a-query-string`;
  for (const event of ['TODO_CHECKLIST_ITEM_DONE_STATUS_UPDATED', 'TAG_CREATED'])
    assert.equal((await runCli(['send', event, '--url', long, '--secret', 'k'], { env })).code, 0);
  const rows = (screen: string) =>
    screen
      .replace(/\u001b\[[0-9;?]*[a-zA-Z]/g, '')
      .split(/\r?\n/)
      .filter((l) => /^d[0-9a-z]{10,}/.test(l));
  for (const columns of [80, 100, 120, 160]) {
    const session = await runInPty(['deliveries', 'list'], [], env, columns);
    assert.equal(session.code, 0, session.screen);
    const shown = rows(session.screen);
    assert.equal(shown.length, 2, session.screen);
    for (const row of shown) {
      assert.ok(row.length < columns, `${columns} columns: ${row.length} cells: ${row}`);
      assert.match(row, / 200( |$)/, 'the status is never cut');
    }
    if (columns >= 120) assert.match(shown.join('\n'), /TAG_CREATED/);
  }
  const wide = rows((await runInPty(['deliveries', 'list', '--wide'], [], env, 100)).screen);
  assert.ok(
    wide.every((row) => row.endsWith('with=a-query-string')),
    wide.join('\n'),
  );
  assert.match(wide[0]!, /TODO_CHECKLIST_ITEM_DONE_STATUS_UPDATED/);
  const piped = await runCli(['deliveries', 'list'], { env });
  assert.ok(
    piped.stdout
      .trim()
      .split('\n')
      .every((row) => row.endsWith('with=a-query-string')),
  );
});

test('bash completion quotes a webhook name with a space', async (t) => {
  const dir = tempDir();
  t.after(dir.cleanup);
  const env = { ...process.env, BLUEHOOK_HOME: dir.path, NO_COLOR: '1' };
  await runCli(['create', '--name', 'my hook', '--url', 'http://127.0.0.1:9/'], { env });
  await runCli(['create', '--name', "o'clock", '--url', 'http://127.0.0.1:9/'], { env });
  const script = [
    `bluehook() { '${process.execPath}' '${BIN}' "$@"; }`,
    'eval "$(bluehook completion bash)"',
    // biome-ignore lint/suspicious/noTemplateCurlyInString: bash, not a template
    'comp() { COMP_WORDS=("$@"); COMP_CWORD=$(( $# - 1 )); _bluehook; printf "%s\\n" "${COMPREPLY[@]}"; echo ===; }',
    // As typed: `show my<Tab>`, `show my\ h<Tab>`, `show o<Tab>`.
    `comp bluehook show my`,
    `comp bluehook show 'my\\ h'`,
    `comp bluehook show o`,
    `comp bluehook show "'my h"`,
  ].join('\n');
  const { stdout } = await promisify(execFile)('bash', ['-c', script], { env });
  const answers = stdout.split('===\n').map((block) => block.split('\n').filter(Boolean));
  assert.deepEqual(answers.slice(0, 4), [
    ['my\\ hook'],
    ['my\\ hook'],
    ["o\\'clock"],
    ['my\\ hook'],
  ]);
});

test("verify: Blue's body with its keys sorted at every level (by Python) is named as that, both ways", async () => {
  const blueBody = (await runCli(['payload', 'TODO_CREATED', '--seed', '5'])).stdout;
  const sorted = execFileSync(
    'python3',
    [
      '-c',
      'import json,sys; sys.stdout.write(json.dumps(json.load(sys.stdin), sort_keys=True, separators=(",",":"), ensure_ascii=False))',
    ],
    { input: blueBody, encoding: 'utf8' },
  );
  assert.notEqual(sorted, blueBody);
  const verify = async (held: string, signedBytes: string) => {
    const r = await runCli(
      ['verify', '--secret', 'k', '--signature', hmac('k', signedBytes), '--json'],
      { input: held },
    );
    assert.equal(r.code, 1, r.stderr);
    return JSON.parse(r.stdout) as { cause: string; message: string };
  };
  const held = await verify(sorted, blueBody);
  assert.equal(held.cause, 'body-reserialised', held.message);
  assert.match(held.message, /keys sorted at every level/);
  assert.doesNotMatch(held.message, /secret is wrong/);
  const other = await verify(blueBody, sorted);
  assert.equal(other.cause, 'body-reserialised', other.message);
  assert.match(other.message, /sorted/);
});
