import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import {
  closeSync,
  cpSync,
  existsSync,
  openSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { execFile, spawnSync } from 'node:child_process';
import { promisify } from 'node:util';
import { join } from 'node:path';
import { BIN, runCli, startReceiver, tempDir, ROOT } from './helpers.js';

test('--version prints the package version; --help lists commands with examples', async () => {
  const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8'));
  const v = await runCli(['--version']);
  assert.equal(v.code, 0);
  assert.equal(v.stdout.trim(), pkg.version);
  const h = await runCli(['--help']);
  assert.equal(h.code, 0);
  assert.match(h.stdout, /Examples:/);
  assert.match(h.stdout, /Exit codes:/);
  // The root help lists the commands from the build's list (none of them defined); `help` defines
  // them all and prints the same page, as does no command at all.
  assert.equal((await runCli(['help'])).stdout, h.stdout);
  assert.equal((await runCli([])).stdout, h.stdout);
  assert.match(h.stdout, /^ {2}send\|trigger \[options\] \[event\] +build, sign/m);
  assert.match(h.stdout, /^ {2}help \[command\] +display help for command$/m);
});

test('the bin shim: a CommonJS file that answers --version itself and says when the CLI is not built', async () => {
  // bin/package.json makes the shim CommonJS (no ES module loader before --version is answered).
  assert.equal(
    JSON.parse(readFileSync(join(ROOT, 'bin', 'package.json'), 'utf8')).type,
    'commonjs',
  );
  const dir = tempDir();
  try {
    cpSync(join(ROOT, 'bin'), join(dir.path, 'bin'), { recursive: true });
    cpSync(join(ROOT, 'package.json'), join(dir.path, 'package.json'));
    const shim = join(dir.path, 'bin', 'bluehook.js');
    const run = (args: string[]) =>
      promisify(execFile)(process.execPath, [shim, ...args]).then(
        (r) => ({ code: 0, ...r }),
        (e: { code: number; stdout: string; stderr: string }) => e,
      );
    const version = await run(['-V']);
    assert.equal(version.code, 0);
    assert.equal(
      version.stdout,
      `${JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')).version}\n`,
    );
    // No dist/ beside this copy: one line and exit 4, not a stack.
    const unbuilt = await run(['--help']);
    assert.equal(unbuilt.code, 4);
    assert.equal(unbuilt.stderr, 'bluehook: not built yet; run `npm run build` first\n');
  } finally {
    dir.cleanup();
  }
});

test('the code cache: used by a fresh build; a damaged, foreign or missing one is ignored and the CLI runs the same', async () => {
  const report = (bin: string, args: string[]) =>
    spawnSync(process.execPath, [bin, ...args], {
      env: { ...process.env, BLUEHOOK_CODE_CACHE: 'report' },
      encoding: 'utf8',
    });
  const expected = report(BIN, ['payload', 'TODO_CREATED', '--seed', '1']);
  assert.equal(expected.status, 0);
  assert.equal(expected.stderr, 'bluehook: code cache used\n');
  // V8 keeps the name a cache was made under: the build's path must not travel with the package.
  assert.ok(!readFileSync(join(ROOT, 'dist', 'cli', 'main.cjs.cache')).includes(ROOT));
  const dir = tempDir();
  try {
    cpSync(join(ROOT, 'bin'), join(dir.path, 'bin'), { recursive: true });
    cpSync(join(ROOT, 'package.json'), join(dir.path, 'package.json'));
    cpSync(join(ROOT, 'dist', 'cli'), join(dir.path, 'dist', 'cli'), { recursive: true });
    const bin = join(dir.path, 'bin', 'bluehook.js');
    const cache = join(dir.path, 'dist', 'cli', 'main.cjs.cache');
    const good = readFileSync(cache);
    const cases: Array<[string, (() => void) | null, RegExp]> = [
      ['a copy', null, /code cache used/],
      // V8 reads damaged data without a check and ends node with a fatal error: the CRC stops it.
      [
        'a flipped byte',
        () => writeFileSync(cache, Buffer.from(good).fill(0xff, 200_000, 200_004)),
        /ignored/,
      ],
      ['a truncated file', () => writeFileSync(cache, good.subarray(0, 1000)), /ignored/],
      [
        'another build',
        () =>
          writeFileSync(
            cache,
            Buffer.concat([
              Buffer.from('// bluehook build 0\n'),
              good.subarray(good.indexOf(10) + 1),
            ]),
          ),
        /ignored/,
      ],
      ['none', () => rmSync(cache), /code cache none/],
    ];
    for (const [what, damage, said] of cases) {
      damage?.();
      const r = report(bin, ['payload', 'TODO_CREATED', '--seed', '1']);
      assert.equal(r.status, 0, what);
      assert.match(r.stderr, said, what);
      assert.equal(r.stdout, expected.stdout, what);
    }
  } finally {
    dir.cleanup();
  }
});

test('output that cannot be written (stdout on a full disk) is one line and exit 4, for the shim and the CLI', {
  skip: !existsSync('/dev/full') && 'no /dev/full here',
}, async () => {
  for (const args of [['--version'], ['payload', 'TODO_CREATED'], ['events']]) {
    const full = openSync('/dev/full', 'w');
    try {
      const r = spawnSync(process.execPath, [BIN, ...args], {
        stdio: ['ignore', full, 'pipe'],
        encoding: 'utf8',
      });
      assert.equal(r.status, 4, args.join(' '));
      assert.equal(r.stderr, 'bluehook: cannot write the output: ENOSPC\n', args.join(' '));
    } finally {
      closeSync(full);
    }
  }
});

test('every command has --help with examples', async () => {
  const h = await runCli(['--help']);
  const commands = [...h.stdout.matchAll(/^ {2}([a-z]+) /gm)]
    .map((m) => m[1]!)
    .filter((c) => c !== 'help');
  assert.ok(commands.length >= 4);
  for (const c of commands) {
    const r = await runCli([c, '--help']);
    assert.equal(r.code, 0, c);
    assert.match(r.stdout, /Examples:\n {2}\$ bluehook /, c);
  }
});

test('payload | sign gives an X-Signature that an HMAC computed by hand agrees with', async () => {
  const body = await runCli(['payload', 'TODO_CREATED', '--seed', '1']);
  assert.equal(body.code, 0);
  const parsed = JSON.parse(body.stdout);
  assert.equal(
    body.stdout,
    JSON.stringify(parsed),
    'compact, as JSON.stringify writes it, no newline on a pipe',
  );
  const signed = await runCli(['sign', '--secret', 's'], { input: body.stdout });
  assert.equal(signed.code, 0);
  const byHand = createHmac('sha256', 's').update(body.stdout).digest('hex');
  assert.equal(signed.stdout.trim(), `X-Signature: ${byHand}`);
  const again = await runCli(['payload', 'todo_created', '--seed', '1']);
  assert.equal(again.stdout, body.stdout, 'same seed, same bytes');
});

test('verify: valid exits 0; a pretty-printed copy exits 1 naming re-serialisation; a wrong secret exits 1', async () => {
  const dir = tempDir();
  try {
    const body = (await runCli(['payload', 'TODO_CREATED', '--seed', '1'])).stdout;
    const sig = createHmac('sha256', 's').update(body).digest('hex');
    const file = join(dir.path, 'body.json');
    writeFileSync(file, body);
    const ok = await runCli(['verify', '--secret', 's', '--signature', sig, file]);
    assert.equal(ok.code, 0, ok.stderr);
    assert.match(ok.stdout, /^valid/);
    const pretty = join(dir.path, 'pretty.json');
    writeFileSync(pretty, JSON.stringify(JSON.parse(body), null, 2));
    const bad = await runCli(['verify', '--secret', 's', '--signature', sig, pretty]);
    assert.equal(bad.code, 1);
    assert.match(bad.stderr, /^invalid: the body was re-serialised/);
    const wrong = await runCli(['verify', '--json', '-H', `X-Signature: ${sig}`, '-'], {
      input: body,
      env: { BLUEHOOK_SECRET: 'nope' },
    });
    assert.equal(wrong.code, 1);
    assert.equal(JSON.parse(wrong.stdout).cause, 'wrong-secret');
    const sf = join(dir.path, 'secret.txt');
    writeFileSync(sf, 's\n');
    assert.equal(
      (await runCli(['verify', '--secret-file', sf, '--signature', sig, file])).code,
      0,
      "a secret file's trailing newline is dropped",
    );
  } finally {
    dir.cleanup();
  }
});

test('bad input: unknown event, bad flag, bad --set, missing secret each give one line and exit 2', async () => {
  const cases: Array<[string[], RegExp]> = [
    [['payload', 'TODO_CREATD'], /unknown event "TODO_CREATD"; did you mean TODO_CREATED/],
    [['payload', 'TODO_CREATED', '--bogus'], /unknown option '--bogus'/],
    [['payload', 'TODO_CREATED', '--set', '__proto__.x=1'], /not allowed/],
    [['payload', 'TODO_CREATED', '--set', 'event.x=1'], /not an object/],
    [['sign'], /a secret is required/],
    [
      ['sign', '--secret', 's', '--scheme', 'nope'],
      /Allowed choices are blue, standard-webhooks, github/,
    ],
    [['verify', '--secret', 's'], /no signature given/],
    [
      ['sign', '--secret', 's', '/nonexistent/file'],
      /cannot read body file \/nonexistent\/file: ENOENT/,
    ],
  ];
  for (const [args, message] of cases) {
    const r = await runCli(args);
    assert.equal(r.code, 2, `${args.join(' ')}: ${r.stderr}`);
    assert.match(r.stderr, message, args.join(' '));
    assert.equal(
      r.stderr.trim().split('\n').length,
      1,
      `one line for ${args.join(' ')}: ${r.stderr}`,
    );
    assert.doesNotMatch(r.stderr, /\n\s+at /, 'no stack trace');
  }
});

test('events: a table, and --json with name, group, description, entity, kind', async () => {
  const r = await runCli(['events', '--json']);
  assert.equal(r.code, 0);
  const list = JSON.parse(r.stdout);
  assert.equal(list.length, 38);
  for (const e of list)
    for (const k of ['name', 'group', 'description', 'entity', 'kind'])
      assert.ok(e[k], `${e.name}.${k}`);
  const t = await runCli(['events']);
  assert.match(t.stdout, /^EVENT\s+GROUP\s+KIND/);
  assert.match(t.stdout, /TODO_CHECKLIST_ITEM_DONE_STATUS_UPDATED\s+checklist\s+update/);
});

test('payload --pretty and --out; the library API works from the package name', async () => {
  const dir = tempDir();
  try {
    const out = join(dir.path, 'p.json');
    const r = await runCli(['payload', 'TAG_CREATED', '--seed', '2', '--out', out]);
    assert.equal(r.code, 0);
    assert.equal(
      readFileSync(out, 'utf8'),
      (await runCli(['payload', 'TAG_CREATED', '--seed', '2'])).stdout,
    );
    const pretty = await runCli(['payload', 'TAG_CREATED', '--seed', '2', '--pretty']);
    assert.match(pretty.stdout, /^\{\n {2}"event": "TAG_CREATED"/);
    const lib = await import('bluehook');
    const body = JSON.stringify(lib.buildPayload('TODO_CREATED', { seed: 1 }));
    const headers = lib.sign(body, 'k');
    assert.equal(lib.verify(body, 'k', headers).valid, true);
    assert.equal(lib.events.length, 38);
  } finally {
    dir.cleanup();
  }
});

test('--json makes errors JSON too; trigger is send by another name', async () => {
  const shown = await runCli(['--json', 'deliveries', 'show', 'dnope'], {
    env: { BLUEHOOK_HOME: tempDir().path },
  });
  assert.equal(shown.code, 2);
  assert.deepEqual(JSON.parse(shown.stderr), {
    error: {
      message: 'no recorded delivery "dnope"',
      hint: 'see `bluehook deliveries list`',
      code: 'delivery-not-found',
      category: 'not-found',
      exitCode: 2,
    },
  });
  const flag = await runCli(['events', '--json', '--bogus']);
  assert.equal(flag.code, 2);
  assert.equal(JSON.parse(flag.stderr).error.exitCode, 2);
  const rx = await startReceiver();
  try {
    const sent = await runCli([
      'trigger',
      'TAG_CREATED',
      '--url',
      rx.url,
      '--secret',
      's',
      '--no-record',
      '--json',
    ]);
    assert.equal(sent.code, 0, sent.stderr);
    assert.equal(JSON.parse(rx.received[0]!.body.toString()).event, 'TAG_CREATED');
  } finally {
    await rx.close();
  }
});

test('no command prints the help on stdout (exit 0); sub-command help lists the global options; demo --json is one document', async () => {
  const bare = await runCli([]);
  assert.equal(bare.code, 0);
  assert.match(bare.stdout, /^Usage: bluehook/);
  assert.equal(bare.stderr, '');
  // Global options and no command: the same page, on stdout too (commander would use stderr).
  for (const args of [['--no-color'], ['--json'], ['--store-dir', '/nonexistent']]) {
    const r = await runCli(args);
    assert.equal(r.code, 0, args.join(' '));
    assert.equal(r.stdout, bare.stdout, args.join(' '));
    assert.equal(r.stderr, '', args.join(' '));
  }
  const sub = await runCli(['send', '--help']);
  assert.match(sub.stdout, /Global Options:[\s\S]*--store-dir[\s\S]*--history/);
  const demo = await runCli(['demo', '--json']);
  assert.equal(demo.code, 0, demo.stderr);
  const doc = JSON.parse(demo.stdout);
  assert.equal(doc.ok, true);
  assert.equal(doc.recorded, doc.received);
  assert.deepEqual(
    doc.steps.map((s: { step: string }) => s.step),
    ['1.', '2.', '3.', '4.', '5.', 'summary'],
  );
  assert.doesNotMatch(demo.stdout, /\u001b\[/);
});
