/**
 * bluehook as npm delivers it: the packed tarball holds what runs and nothing else, installs, and
 * its CLI and library work from wherever npm put them (import and require).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { ROOT, tempDir } from './helpers.js';

const run = promisify(execFile);

// Compile-time checks (this file does not build if they fail): event names are a union type.
function typedEvents(lib: typeof import('../src/index.js')): void {
  lib.buildPayload('TODO_CREATED');
  // @ts-expect-error not one of Blue's events
  lib.buildPayload('NOT_AN_EVENT');
}
void typedEvents;

test('the library: import and require both give sign, verify, buildPayload and the error class', async () => {
  const required = createRequire(join(ROOT, 'test', 'any.js'))(
    'bluehook',
  ) as typeof import('../src/index.js');
  const imported = (await import('bluehook' as string)) as typeof import('../src/index.js');
  for (const lib of [required, imported]) {
    const body = JSON.stringify(lib.buildPayload('TODO_CREATED', { seed: 1 }));
    assert.equal(lib.verify(body, 's', lib.sign(body, 's')).valid, true);
    assert.equal(typeof lib.BluehookError, 'function');
    assert.equal(lib.ExitCode.store, 4);
  }
});

test('npm pack ships the CLI, the library, the inspector and the fixtures, not tests or build state; a global install runs the demo', {
  timeout: 120_000,
}, async () => {
  const dir = tempDir();
  try {
    // --ignore-scripts: `npm test` has just built; packing must not rebuild dist/ under the other tests.
    const { stdout } = await run(
      'npm',
      ['pack', '--ignore-scripts', '--json', '--pack-destination', dir.path],
      { cwd: ROOT, maxBuffer: 32 * 1024 * 1024 },
    );
    const [info] = JSON.parse(stdout.slice(stdout.indexOf('['))) as Array<{
      filename: string;
      files: Array<{ path: string }>;
    }>;
    const files = info!.files.map((f) => f.path);
    for (const must of [
      'bin/bluehook.js',
      'bin/package.json',
      'dist/cli/main.cjs',
      'dist/cli/main.cjs.cache',
      'dist/cli/load-worker.js',
      'dist/src/index.js',
      'dist/src/index.d.ts',
      'dist/lib/index.cjs',
      'dist/inspector/app.js',
      'dist/inspector/index.html',
      'fixtures/deliveries/TODO_CREATED.json',
      'LICENSE',
      'README.md',
    ]) {
      assert.ok(files.includes(must), `ships ${must}`);
    }
    for (const file of files)
      assert.doesNotMatch(
        file,
        /^dist\/(test|bench)\/|^dist\/src\/(cli|history|store|inspector|receiver|delivery|emulator)\/|tsbuildinfo|legacy-store|\.ts$(?<!\.d\.ts$)/,
        `does not ship ${file}`,
      );
    // The bundle's chunk count follows how modules are shared between commands (118 with the relay,
    // check and schema commands); the bound catches a second copy of the code, which the pattern
    // above names file by file (the old tarball shipped 274 files).
    assert.ok(
      files.length < 250,
      `one copy of the CLI (the bundle), the library and its types: ${files.length} files`,
    );
    // Installed globally into a temporary prefix. Install scripts are off so that better-sqlite3 is not
    // compiled a second time: its addon is the one this clone's install built (same version, same
    // machine), copied where the global install keeps it.
    const prefix = join(dir.path, 'global');
    await run(
      'npm',
      [
        'install',
        '--global',
        '--prefix',
        prefix,
        '--ignore-scripts',
        '--prefer-offline',
        '--no-audit',
        '--no-fund',
        join(dir.path, info!.filename),
      ],
      { cwd: dir.path, timeout: 100_000 },
    );
    const installed = join(prefix, 'lib', 'node_modules', 'bluehook');
    // undici is bundled into the CLI (a development dependency): the demo below sends with it.
    assert.ok(!existsSync(join(installed, 'node_modules', 'undici')), 'undici is not installed');
    cpSync(
      join(ROOT, 'node_modules', 'better-sqlite3', 'build'),
      join(installed, 'node_modules', 'better-sqlite3', 'build'),
      { recursive: true },
    );
    const bin = join(prefix, 'bin', 'bluehook');
    const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string };
    assert.equal((await run(bin, ['--version'])).stdout.trim(), pkg.version);
    const payload = (await run(bin, ['payload', 'TODO_CREATED', '--seed', '1'])).stdout;
    assert.equal(
      payload,
      (
        await run(process.execPath, [
          join(ROOT, 'bin', 'bluehook.js'),
          'payload',
          'TODO_CREATED',
          '--seed',
          '1',
        ])
      ).stdout,
      'the same bytes as from the clone',
    );
    // A TypeScript config from an install without TypeScript: one clear line, not a stack.
    const tsDir = join(dir.path, 'ts-config');
    mkdirSync(tsDir);
    writeFileSync(join(tsDir, 'bluehook.config.ts'), 'export default { port: 4100 };\n');
    const tsConfig = await run(bin, ['config'], { cwd: tsDir }).then(
      () => ({ code: 0, stderr: '' }),
      (e: { code: number; stderr: string }) => e,
    );
    assert.equal(tsConfig.code, 4);
    assert.match(
      tsConfig.stderr,
      /is TypeScript, which needs the typescript package .*bluehook\.config\.mjs or \.json/,
    );
    const demo = await run(bin, ['demo'], {
      cwd: dir.path,
      timeout: 60_000,
      env: { ...process.env, NO_COLOR: '1' },
    });
    assert.match(
      demo.stdout,
      /38 verified and recorded/,
      'the whole round trip, database included, from the global install',
    );
    const cjs = await run(
      process.execPath,
      [
        '-e',
        "const b = require('bluehook'); process.stdout.write(b.sign('x', 's')['x-signature'])",
      ],
      { cwd: join(prefix, 'lib') },
    );
    assert.match(cjs.stdout, /^[0-9a-f]{64}$/);
    const esm = await run(
      process.execPath,
      [
        '--input-type=module',
        '-e',
        "const b = await import('bluehook'); process.stdout.write(String(b.verify('x', 's', b.sign('x', 's')).valid))",
      ],
      { cwd: join(prefix, 'lib') },
    );
    assert.equal(esm.stdout, 'true');
  } finally {
    dir.cleanup();
  }
});

test('the library alone: @bluehook/webhooks packs with no dependencies, installs offline, and works from import, require and TypeScript', {
  timeout: 120_000,
}, async () => {
  const dir = tempDir();
  try {
    const library = join(ROOT, 'dist', 'webhooks');
    const manifest = JSON.parse(readFileSync(join(library, 'package.json'), 'utf8')) as Record<
      string,
      unknown
    >;
    assert.equal(manifest.name, '@bluehook/webhooks');
    for (const field of ['dependencies', 'peerDependencies', 'optionalDependencies'])
      assert.equal(manifest[field], undefined, `no ${field}`);
    const { stdout } = await run(
      'npm',
      ['pack', '--ignore-scripts', '--json', '--pack-destination', dir.path],
      { cwd: library },
    );
    const [info] = JSON.parse(stdout.slice(stdout.indexOf('['))) as Array<{
      filename: string;
      files: Array<{ path: string }>;
    }>;
    const files = info!.files.map((f) => f.path).sort();
    assert.ok(files.includes('types/index.d.ts') && files.includes('index.cjs'), files.join(' '));
    assert.ok(files.length < 20, `the library and its declarations only: ${files.join(' ')}`);

    // A project that installs only the library: npm adds exactly one package.
    const project = join(dir.path, 'receiver');
    mkdirSync(project);
    writeFileSync(
      join(project, 'package.json'),
      '{ "name": "receiver", "private": true, "type": "module" }\n',
    );
    await run(
      'npm',
      ['install', '--offline', '--no-audit', '--no-fund', join(dir.path, info!.filename)],
      { cwd: project, timeout: 60_000 },
    );
    const lock = JSON.parse(readFileSync(join(project, 'package-lock.json'), 'utf8')) as {
      packages: Record<string, unknown>;
    };
    assert.deepEqual(
      Object.keys(lock.packages).filter((p) => p !== ''),
      ['node_modules/@bluehook/webhooks'],
      'nothing but the library is installed',
    );

    // docs/library.md's example (the package's README), as ESM; a Fetch Headers object; a misspelt event is a BluehookError.
    const esm = await run(
      process.execPath,
      [
        '--input-type=module',
        '-e',
        `import { buildPayload, sign, verify, events, BluehookError } from '@bluehook/webhooks';
         const body = JSON.stringify(buildPayload('TODO_CREATED', { seed: 1 }));
         const headers = sign(body, 'my-secret');
         let thrown = '';
         try { buildPayload('TODO_CREATD'); } catch (e) { thrown = e instanceof BluehookError ? 'BluehookError' : String(e); }
         console.log(JSON.stringify({
           valid: verify(body, 'my-secret', headers).valid,
           fetchHeaders: verify(Buffer.from(body), 'my-secret', new Headers(headers)).valid,
           reserialised: verify(JSON.stringify(JSON.parse(body), null, 2), 'my-secret', headers).cause,
           events: events.length,
           thrown,
         }));`,
      ],
      { cwd: project },
    );
    assert.deepEqual(JSON.parse(esm.stdout), {
      valid: true,
      fetchHeaders: true,
      reserialised: 'body-reserialised',
      events: 38,
      thrown: 'BluehookError',
    });
    const cjs = await run(
      process.execPath,
      [
        '-e',
        "const { sign, verify } = require('@bluehook/webhooks'); process.stdout.write(String(verify('x', 's', sign('x', 's')).valid))",
      ],
      { cwd: project },
    );
    assert.equal(cjs.stdout, 'true');

    // Its declarations type-check a consumer: event names are a union, so a misspelt one fails.
    writeFileSync(
      join(project, 'check.ts'),
      `import { buildPayload, verify, type EventName } from '@bluehook/webhooks';
       const name: EventName = 'TODO_CREATED';
       const ok: boolean = verify(JSON.stringify(buildPayload(name)), 's', new Headers()).valid;
       // @ts-expect-error not one of Blue's events
       buildPayload('TODO_CREATD');
       void ok;\n`,
    );
    await run(
      process.execPath,
      [
        join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc'),
        '--noEmit',
        '--strict',
        '--module',
        'nodenext',
        '--moduleResolution',
        'nodenext',
        '--target',
        'es2022',
        '--typeRoots',
        join(ROOT, 'node_modules', '@types'),
        '--types',
        'node',
        'check.ts',
      ],
      { cwd: project, timeout: 60_000 },
    );
  } finally {
    dir.cleanup();
  }
});
