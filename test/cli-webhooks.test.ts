import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import Sqlite from 'better-sqlite3';
import { displayWidth } from '../src/cli/table.js';
import { KEY, runCli, runInPty, storedWebhooks, tempDir } from './helpers.js';

const json = (s: string) => JSON.parse(s);

test('scripted lifecycle: create, list, update events, disable, enable, delete, all with --json', async () => {
  const dir = tempDir();
  const env = { BLUEHOOK_HOME: dir.path };
  try {
    const created = await runCli(
      [
        'create',
        '--name',
        'orders',
        '--url',
        'https://example.com/hooks',
        '--events',
        'todo_created,TODO_DELETED',
        '--json',
        '--reveal-secret',
      ],
      { env },
    );
    assert.equal(created.code, 0, created.stderr);
    const hook = json(created.stdout);
    assert.match(
      hook.secret,
      /^whsec_[A-Za-z0-9+/]{40,}={0,2}$/,
      'create --reveal-secret prints it',
    );
    // Without --reveal-secret, create masks it like every other command; the store keeps it whole.
    const masked = await runCli(
      ['create', '--name', 'masked', '--url', 'https://example.com/m', '--all-events'],
      { env },
    );
    assert.equal(masked.code, 0, masked.stderr);
    assert.match(masked.stdout, /secret +whsec_\S{4}…\*{4}\S{2} +\(--reveal-secret to show\)/);
    assert.match(masked.stderr, /The store keeps the secret: `bluehook listen --webhook \S+`/);
    const maskedJson = json(
      (
        await runCli(['create', '--name', 'm2', '--url', 'https://example.com/m', '--json'], {
          env,
        })
      ).stdout,
    );
    assert.match(maskedJson.secret, /^whsec_\S{4}…\*{4}\S{2}$/);
    const kept = json((await runCli(['show', 'm2', '--json', '--reveal-secret'], { env })).stdout);
    assert.match(kept.secret, /^whsec_[A-Za-z0-9+/]{40,}={0,2}$/, 'the full secret was stored');
    await runCli(['delete', 'masked', '--yes'], { env });
    await runCli(['delete', 'm2', '--yes'], { env });
    assert.deepEqual(hook.events, ['TODO_CREATED', 'TODO_DELETED']);
    assert.deepEqual([hook.enabled, hook.status], [true, 'HEALTHY']);

    const listed = json((await runCli(['list', '--json'], { env })).stdout);
    assert.equal(listed.length, 1);
    assert.notEqual(listed[0].secret, hook.secret, 'masked in lists');
    assert.ok(!listed[0].secret.includes(hook.secret.slice(6, 20)));

    const human = await runCli(['show', 'orders'], { env });
    assert.doesNotMatch(human.stdout, new RegExp(hook.secret.slice(8).replace(/[+/=]/g, '.')));
    const revealed = json(
      (await runCli(['show', hook.id.slice(0, 12), '--reveal-secret', '--json'], { env })).stdout,
    );
    assert.equal(revealed.secret, hook.secret);

    const updated = json(
      (
        await runCli(
          ['update', 'orders', '--event', 'TODO_MOVED', '--event', 'tag_created', '--json'],
          { env },
        )
      ).stdout,
    );
    assert.deepEqual(updated.events, ['TODO_MOVED', 'TAG_CREATED']);
    assert.equal(updated.url, 'https://example.com/hooks');

    const off = json((await runCli(['disable', 'orders', '--json'], { env })).stdout);
    assert.deepEqual([off.enabled, off.status], [false, 'UNHEALTHY']);
    assert.equal(json((await runCli(['list', '--disabled', '--json'], { env })).stdout).length, 1);
    assert.equal(json((await runCli(['list', '--enabled', '--json'], { env })).stdout).length, 0);
    const on = json((await runCli(['enable', 'orders', '--json'], { env })).stdout);
    assert.deepEqual([on.enabled, on.status], [true, 'HEALTHY']);
    assert.equal(
      json((await runCli(['list', '--event', 'TODO_CREATED', '--json'], { env })).stdout).length,
      0,
    );

    const refused = await runCli(['delete', 'orders'], { env });
    assert.equal(refused.code, 2);
    assert.match(refused.stderr, /without confirmation: pass --yes/);
    const refusedCi = await runCli(['delete', 'orders'], { env: { ...env, CI: 'true' } });
    assert.equal(refusedCi.code, 2);
    const deleted = await runCli(['delete', 'orders', '--yes'], { env });
    assert.equal(deleted.code, 0);
    assert.deepEqual(json((await runCli(['list', '--json'], { env })).stdout), []);
  } finally {
    dir.cleanup();
  }
});

test('bad input is one line with exit 2, and the stored data is unchanged', async () => {
  const dir = tempDir();
  const env = { BLUEHOOK_HOME: dir.path };
  try {
    await runCli(['create', '--name', 'a', '--url', 'https://example.com/a'], { env });
    await runCli(['create', '--name', 'b', '--url', 'https://example.com/b'], { env });
    const before = JSON.stringify(storedWebhooks(dir.path));
    const cases: Array<[string[], RegExp]> = [
      [['create', '--url', 'not a url'], /invalid URL "not a url"/],
      [['create', '--url', 'ftp://x.example'], /only http:\/\/ and https:\/\//],
      [
        ['create', '--url', 'https://x.example', '--events', 'TODO_CREATD'],
        /did you mean TODO_CREATED/,
      ],
      [
        ['create', '--name', 'a', '--url', 'https://x.example'],
        /a webhook named "a" already exists/,
      ],
      [['create'], /missing --url/],
      [
        ['create', '--url', 'https://x.example', '--all-events', '--event', 'TODO_MOVED'],
        /cannot be combined/,
      ],
      [['create', '--bogus'], /unknown option '--bogus'/],
      [['update', 'c'], /ambiguous: it matches 2 webhooks/],
      [['update', 'a'], /nothing to update/],
      [['update', 'a', '--url', 'nope'], /invalid URL/],
      [['show', 'zzz'], /no webhook matches "zzz"/],
      [['list', '--store', 'nowhere'], /Allowed choices are local, blue/],
    ];
    for (const [args, message] of cases) {
      const r = await runCli(args, { env });
      assert.equal(r.code, 2, `${args.join(' ')}: ${r.stderr}`);
      assert.match(r.stderr, message, args.join(' '));
      assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
    }
    assert.equal(JSON.stringify(storedWebhooks(dir.path)), before);
  } finally {
    dir.cleanup();
  }
});

test('a corrupt store database is exit 4 naming the file and the recovery, and it is not overwritten', async () => {
  const dir = tempDir();
  const env = { BLUEHOOK_HOME: dir.path };
  try {
    for (let i = 0; i < 30; i++)
      await runCli(['create', '--name', `w${i}`, '--url', 'https://example.com/a'], { env });
    const file = join(dir.path, 'bluehook.db');
    // Fold the write-ahead log in, then cut the file short, as a bad copy would.
    const db = new Sqlite(file);
    db.pragma('wal_checkpoint(TRUNCATE)');
    db.close();
    const torn = readFileSync(file).subarray(0, 5000);
    writeFileSync(file, torn);
    for (const args of [
      ['list'],
      ['create', '--url', 'https://example.com/c'],
      ['delete', 'w1', '--yes'],
      ['deliveries', 'list'],
    ]) {
      const r = await runCli(args, { env });
      assert.equal(r.code, 4, `${args.join(' ')}: ${r.stderr}`);
      assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
      assert.ok(r.stderr.includes(file), r.stderr);
      assert.match(r.stderr, /corrupt|not a database|malformed/);
      assert.match(r.stderr, /mv '.*bluehook\.db' '.*bluehook\.db\.broken'/);
    }
    assert.ok(readFileSync(file).equals(torn), 'untouched');
  } finally {
    dir.cleanup();
  }
});

test('on a terminal, create asks for name, URL (validated as typed), events, projects and confirmation', async () => {
  const dir = tempDir();
  const env = { BLUEHOOK_HOME: dir.path };
  try {
    const session = await runInPty(
      ['create'],
      [
        { when: /Name/, keys: ['myhook\r'] },
        { when: /URL to deliver to/, keys: ['not a url', KEY.enter] },
        { when: /invalid URL/, keys: [KEY.clearLine, 'http://127.0.0.1:9/x', KEY.enter] },
        // A new webhook starts with nothing ticked: pick the specific events.
        {
          when: /TODO_CUSTOM_FIELD_UPDATED/,
          keys: [KEY.down, KEY.space, KEY.down, KEY.space, KEY.enter],
        },
        { when: /Project ids/, keys: ['cproj1, cproj2', KEY.enter] },
        { when: /Create webhook "myhook"/, keys: ['y', KEY.enter] },
      ],
      env,
    );
    assert.equal(session.pending, 0, session.screen.slice(-500));
    assert.equal(session.code, 0, session.screen.slice(-500));
    const [hook] = json((await runCli(['list', '--json'], { env })).stdout);
    assert.equal(hook.name, 'myhook');
    assert.equal(hook.url, 'http://127.0.0.1:9/x');
    assert.deepEqual(hook.events, ['TODO_CREATED', 'TODO_DELETED']);
    assert.deepEqual(hook.projectIds, ['cproj1', 'cproj2']);

    const del = await runInPty(
      ['delete', 'myhook'],
      [{ when: /Delete webhook/, keys: ['n', KEY.enter] }],
      env,
    );
    assert.equal(del.code, 0, 'answering No is not a failure');
    const clear = await runInPty(
      ['deliveries', 'clear'],
      [{ when: /Delete all recorded deliveries/, keys: ['n', KEY.enter] }],
      env,
    );
    assert.equal(clear.code, 0, clear.screen.slice(-300));
    assert.match(clear.screen, /cancelled: nothing was deleted/);
    assert.equal(
      json((await runCli(['list', '--json'], { env })).stdout).length,
      1,
      'declined: nothing deleted',
    );
    const yes = await runInPty(
      ['delete', 'myhook'],
      [{ when: /Delete webhook/, keys: ['y', KEY.enter] }],
      env,
    );
    assert.equal(yes.code, 0);
    assert.equal(json((await runCli(['list', '--json'], { env })).stdout).length, 0);
  } finally {
    dir.cleanup();
  }
});

test('with CI set, nothing is prompted even on a terminal: a missing value names the flag', async () => {
  const dir = tempDir();
  try {
    const session = await runInPty(['create'], [], { BLUEHOOK_HOME: dir.path, CI: 'true' });
    assert.equal(session.code, 2);
    assert.match(session.screen, /missing --url/);
  } finally {
    dir.cleanup();
  }
});

test('Ctrl-C at a prompt exits 130 and creates nothing', async () => {
  const dir = tempDir();
  const env = { BLUEHOOK_HOME: dir.path };
  try {
    const session = await runInPty(['create'], [{ when: /Name/, keys: ['\x03'] }], env);
    assert.equal(session.code, 130, session.screen);
    assert.equal(json((await runCli(['list', '--json'], { env })).stdout).length, 0);
  } finally {
    dir.cleanup();
  }
});

test('tables align by terminal cells: CJK names take two cells each', async () => {
  const dir = tempDir();
  const env = { BLUEHOOK_HOME: dir.path };
  try {
    await runCli(['create', '--name', '注文フック', '--url', 'https://example.com/a'], { env });
    await runCli(['create', '--name', 'orders', '--url', 'https://example.com/b'], { env });
    const lines = (await runCli(['list'], { env })).stdout.trim().split('\n');
    const column = (line: string) => displayWidth(line.slice(0, line.indexOf('enabled')));
    assert.equal(column(lines[1]!), column(lines[2]!), lines.join('\n'));
    assert.equal(displayWidth('注文'), 4);
    assert.equal(displayWidth('e\u0301'), 1, 'a combining mark takes no cell');
  } finally {
    dir.cleanup();
  }
});
