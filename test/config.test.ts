import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadConfig, platformDataDir } from '../src/config/config.js';
import { runCli, tempDir } from './helpers.js';

test('precedence: flags, then environment, then the config file, then defaults, with sources', async () => {
  const dir = tempDir();
  try {
    writeFileSync(
      join(dir.path, '.bluehookrc.json'),
      JSON.stringify({ storeDir: 'data', port: 4100, timeout: '3s', scheme: 'github' }),
    );
    const fromFile = await loadConfig({}, {}, dir.path);
    assert.equal(fromFile.values.storeDir, join(dir.path, 'data'), 'relative to the config file');
    assert.equal(fromFile.values.port, 4100);
    assert.equal(fromFile.values.timeout, 3000);
    assert.equal(fromFile.sources.port, 'file');
    assert.equal(fromFile.sources.retries, 'default');
    const fromEnv = await loadConfig(
      {},
      { BLUEHOOK_HOME: '/tmp/x', BLUEHOOK_PORT: '4200' },
      dir.path,
    );
    assert.deepEqual(
      [fromEnv.values.storeDir, fromEnv.values.port, fromEnv.sources.port],
      ['/tmp/x', 4200, 'env'],
    );
    const fromFlag = await loadConfig(
      { storeDir: '/tmp/y', port: 4300 },
      { BLUEHOOK_HOME: '/tmp/x', BLUEHOOK_PORT: '4200' },
      dir.path,
    );
    assert.deepEqual(
      [fromFlag.values.storeDir, fromFlag.values.port, fromFlag.sources.storeDir],
      ['/tmp/y', 4300, 'flag'],
    );
    const none = await loadConfig({}, {}, join(dir.path, '..'));
    assert.equal(none.values.storeDir, platformDataDir());
  } finally {
    dir.cleanup();
  }
});

test('config files are found the cosmiconfig way: package.json key, yaml rc, config.mjs', async () => {
  const dir = tempDir();
  try {
    const a = join(dir.path, 'a');
    mkdirSync(a);
    writeFileSync(join(a, 'package.json'), JSON.stringify({ name: 'x', bluehook: { port: 1234 } }));
    assert.equal((await loadConfig({}, {}, a)).values.port, 1234);
    const b = join(dir.path, 'b');
    mkdirSync(b);
    writeFileSync(join(b, '.bluehookrc.yaml'), 'retries: 2\nstore: local\n');
    assert.equal((await loadConfig({}, {}, b)).values.retries, 2);
    const c = join(dir.path, 'c');
    mkdirSync(c);
    writeFileSync(join(c, 'bluehook.config.mjs'), 'export default { port: 5555 };\n');
    assert.equal((await loadConfig({}, {}, c)).values.port, 5555);
    // The JSON and YAML forms of bluehook.config.* docs/configuration.md lists.
    for (const [name, text] of [
      ['bluehook.config.json', '{"port": 6001}'],
      ['bluehook.config.yaml', 'port: 6002\n'],
      ['bluehook.config.yml', 'port: 6003\n'],
    ] as const) {
      const d = join(dir.path, name);
      mkdirSync(d);
      writeFileSync(join(d, name), text);
      const found = await loadConfig({}, {}, d);
      assert.equal(found.file, join(d, name));
      assert.equal(found.values.port, Number(/\d+/.exec(text)![0]));
    }
  } finally {
    dir.cleanup();
  }
});

test('a broken config is exit 4 naming the file, the key or the line; data untouched', async () => {
  const dir = tempDir();
  try {
    const env = { BLUEHOOK_HOME: join(dir.path, 'store') };
    const cases: Array<[string, string, RegExp]> = [
      ['unknown.json', '{"storeDir":"x","colour":"red"}', /unknown\.json: unknown key "colour"/],
      [
        'type.json',
        '{"port":"eighty"}',
        /type\.json: "port" must be a port number from 0 to 65535, got "eighty"/,
      ],
      ['syntax.json', '{\n"port": 1,,\n}', /syntax\.json:2 cannot be read/],
      ['syntax.yaml', 'port: 1\n  bad: [\n', /syntax\.yaml:2 cannot be read/],
    ];
    await runCli(['create', '--url', 'https://example.com/', '--name', 'safe'], { env });
    for (const [file, text, message] of cases) {
      writeFileSync(join(dir.path, file), text);
      const r = await runCli(['--config', join(dir.path, file), 'list'], { env });
      assert.equal(r.code, 4, `${file}: ${r.stderr}`);
      assert.match(r.stderr, message);
      assert.equal(r.stderr.trim().split('\n').length, 1);
    }
    const missing = await runCli(['--config', join(dir.path, 'nope.json'), 'list'], { env });
    assert.equal(missing.code, 4);
    assert.match(missing.stderr, /nope\.json does not exist/);
    const bad = await runCli(['list'], { env: { ...env, BLUEHOOK_PORT: 'x' } });
    assert.equal(bad.code, 4);
    assert.match(bad.stderr, /BLUEHOOK_PORT must be a port number/);
    const list = await runCli(['list', '--json'], { env });
    assert.equal(JSON.parse(list.stdout)[0].name, 'safe');
    const shown = await runCli(['config', '--json'], { env, cwd: dir.path });
    assert.equal(JSON.parse(shown.stdout).sources.storeDir, 'env');
  } finally {
    dir.cleanup();
  }
});

test('every config file name docs/configuration.md lists is found', async () => {
  const dir = tempDir();
  try {
    const forms: Array<[string, (port: number) => string]> = [
      ['.bluehookrc', (p) => `port: ${p}\n`],
      ['.bluehookrc.json', (p) => `{"port": ${p}}`],
      ['.bluehookrc.yaml', (p) => `port: ${p}\n`],
      ['.bluehookrc.yml', (p) => `port: ${p}\n`],
      ['.bluehookrc.js', (p) => `module.exports = { port: ${p} };\n`],
      ['.bluehookrc.cjs', (p) => `module.exports = { port: ${p} };\n`],
      ['.bluehookrc.mjs', (p) => `export default { port: ${p} };\n`],
      ['bluehook.config.js', (p) => `module.exports = { port: ${p} };\n`],
      ['bluehook.config.cjs', (p) => `module.exports = { port: ${p} };\n`],
      ['bluehook.config.mjs', (p) => `export default { port: ${p} };\n`],
      ['bluehook.config.json', (p) => `{"port": ${p}}`],
      ['bluehook.config.yaml', (p) => `port: ${p}\n`],
      ['bluehook.config.yml', (p) => `port: ${p}\n`],
      ['.config/bluehookrc', (p) => `port: ${p}\n`],
      ['.config/bluehookrc.json', (p) => `{"port": ${p}}`],
    ];
    let port = 7000;
    for (const [name, text] of forms) {
      const d = join(dir.path, `case${port}`);
      mkdirSync(join(d, '.config'), { recursive: true });
      writeFileSync(join(d, name), text(++port));
      const found = await loadConfig({}, {}, d);
      assert.equal(found.values.port, port, name);
      assert.equal(found.file, join(d, name), name);
    }
    // The user-wide file: ~/.config/bluehook/config.json, found from anywhere below the home directory.
    const home = join(dir.path, 'home');
    mkdirSync(join(home, '.config', 'bluehook'), { recursive: true });
    mkdirSync(join(home, 'project'));
    writeFileSync(join(home, '.config', 'bluehook', 'config.json'), '{"port": 7777}');
    const r = await runCli(['config', '--json'], {
      cwd: join(home, 'project'),
      env: { HOME: home, XDG_CONFIG_HOME: undefined },
    });
    assert.equal(JSON.parse(r.stdout).values.port, 7777, r.stderr);
  } finally {
    dir.cleanup();
  }
});

test('a JSON or JavaScript config with a syntax error is one line naming the file, the line and the problem', async (t) => {
  const dir = tempDir();
  t.after(() => dir.cleanup());
  const json = join(dir.path, 'json');
  mkdirSync(json);
  writeFileSync(join(json, '.bluehookrc.json'), '{\n  "timeout": "5s",\n  "retries": 3,\n}\n');
  const j = await runCli(['config'], { cwd: json, env: { BLUEHOOK_HOME: dir.path } });
  assert.equal(j.code, 4);
  assert.match(
    j.stderr,
    /^bluehook: config file .*\.bluehookrc\.json:4 cannot be read: Expected double-quoted property name in JSON at position \d+ \(fix the file/,
  );
  const mjs = join(dir.path, 'mjs');
  mkdirSync(mjs);
  writeFileSync(
    join(mjs, 'bluehook.config.mjs'),
    'export default {\n  timeout: "5s"\n  retries: 3,\n};\n',
  );
  const m = await runCli(['config'], { cwd: mjs, env: { BLUEHOOK_HOME: dir.path } });
  assert.equal(m.code, 4);
  assert.match(
    m.stderr,
    /^bluehook: config file .*bluehook\.config\.mjs:3 cannot be read: Unexpected identifier 'retries'/,
  );
  assert.doesNotMatch(m.stderr, /open an issue|stack trace/i);
  assert.equal(m.stderr.trim().split('\n').length, 1, 'one line');
  // An ES module `.js` outside a "type": "module" package (node --check passes it unchecked).
  const js = join(dir.path, 'js');
  mkdirSync(js);
  writeFileSync(join(js, 'bluehook.config.js'), 'export default {port:4123,, }\n');
  const plainJs = await runCli(['config'], { cwd: js, env: { BLUEHOOK_HOME: dir.path } });
  assert.equal(plainJs.code, 4);
  assert.match(
    plainJs.stderr,
    /^bluehook: config file .*bluehook\.config\.js:1 cannot be read: Unexpected token ','/,
  );
  assert.equal(plainJs.stderr.trim().split('\n').length, 1, 'one line');
});
