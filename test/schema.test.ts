/**
 * `bluehook schema` checked by validators written by others: ajv (JSON Schema 2020-12),
 * @readme/openapi-parser (OpenAPI 3.1), @asyncapi/parser (AsyncAPI 3), tsc in a consumer project
 * (the TypeScript output, the library's types, the docs' examples); and drift seen through the
 * built CLI: `listen` warns, records, and `deliveries list --drift` finds it, on SQLite (migrated
 * from the schema before the drift column) and on PostgreSQL.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdirSync, readdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import Sqlite from 'better-sqlite3';
import { Ajv2020 } from 'ajv/dist/2020.js';
import addFormatsModule from 'ajv-formats';
import { EVENTS } from '../src/blue/catalogue.js';
import { SCHEMA_VERSION } from '../src/db/database.js';
import { buildPayload } from '../src/blue/payload.js';
import {
  hmac,
  jsonLines,
  post,
  postgresDatabase,
  REFERENCE,
  ROOT,
  runCli,
  spawnCli,
  tempDir,
} from './helpers.js';

const run = promisify(execFile);
const addFormats = ((addFormatsModule as any).default ?? addFormatsModule) as (ajv: any) => void;
const FORMATS = ['json-schema', 'typescript', 'openapi', 'asyncapi'] as const;
const SEEDS = [1, 2, 3, 'typed', 2026];
const clone = <T>(v: T): T => structuredClone(v);

async function schema(args: string[]): Promise<string> {
  const r = await runCli(['schema', ...args]);
  assert.equal(r.code, 0, r.stderr);
  return r.stdout;
}

function ajvFor(doc: object) {
  // Strict, but a union of types (a custom field value: string | number | boolean | null) is valid JSON Schema.
  const ajv = new Ajv2020({ allErrors: true, strict: true, allowUnionTypes: true });
  addFormats(ajv);
  return ajv.compile(doc);
}

test('bluehook schema: every format twice is byte-identical; the library types are the generator output; bad input is exit 2', async () => {
  for (const format of FORMATS) {
    const [a, b] = await Promise.all([schema(['--format', format]), schema(['--format', format])]);
    assert.ok(a.length > 5000, format);
    assert.equal(a, b, `${format}: the same bytes on every run`);
  }
  assert.equal(
    await schema(['--format', 'typescript']),
    readFileSync(join(ROOT, 'src', 'schema', 'delivery-types.ts'), 'utf8'),
    'src/schema/delivery-types.ts is what the generator prints (npm run schema:types)',
  );
  const dir = tempDir();
  try {
    const out = join(dir.path, 'todo.schema.json');
    const written = await runCli(['schema', 'todo_created', '-o', out]);
    assert.equal(written.code, 0, written.stderr);
    assert.match(written.stderr, /wrote json-schema to .*todo\.schema\.json/);
    assert.equal(readFileSync(out, 'utf8'), await schema(['TODO_CREATED']));
  } finally {
    dir.cleanup();
  }
  const two = JSON.parse(await schema(['TODO_DELETED', 'todo_created', '--format', 'openapi']));
  assert.deepEqual(
    Object.keys(two.webhooks),
    ['TODO_CREATED', 'TODO_DELETED'],
    'only those, sorted',
  );
  const unknown = await runCli(['schema', 'TODO_CREATD']);
  assert.equal(unknown.code, 2);
  assert.match(unknown.stderr, /unknown event "TODO_CREATD"; did you mean TODO_CREATED/);
  const format = await runCli(['schema', '--format', 'yaml']);
  assert.equal(format.code, 2);
  assert.match(format.stderr, /json-schema, typescript, openapi, asyncapi/);
});

test('JSON Schema 2020-12 (ajv): every event over several seeds, the real capture and every fixture validate; broken copies do not', async () => {
  const doc = JSON.parse(await schema([])) as Record<string, any>;
  assert.equal(doc.$schema, 'https://json-schema.org/draft/2020-12/schema');
  assert.equal(doc.oneOf.length, 38);
  const valid = ajvFor(doc);
  const check = (body: unknown, what: string) =>
    assert.ok(valid(body), `${what}: ${JSON.stringify(valid.errors?.slice(0, 3))}`);
  for (const e of EVENTS)
    for (const seed of SEEDS) check(buildPayload(e.name, { seed }), `${e.name} seed ${seed}`);
  check(buildPayload('TODO_LIST_CREATED', { seed: 1, omitPrevious: true }), '2022 form');
  const capture = JSON.parse(
    readFileSync(join(REFERENCE, 'blue', 'todo-created.delivery.json'), 'utf8'),
  );
  check(capture, 'the real capture (no previousValue key)');
  const fixtures = readdirSync(join(REFERENCE, 'deliveries'));
  assert.equal(fixtures.length, 38);
  for (const f of fixtures)
    check(JSON.parse(readFileSync(join(REFERENCE, 'deliveries', f), 'utf8')), f);

  // Broken copies are refused.
  const removed = clone(capture);
  delete removed.currentValue.todoList.project.company.slug;
  assert.equal(valid(removed), false, 'a required key removed');
  const retyped = clone(capture);
  retyped.currentValue.title = 42;
  assert.equal(valid(retyped), false, 'a string turned into a number');
  const position = clone(capture);
  position.currentValue.position = 32767.5;
  assert.equal(valid(position), false, "a record's position is a string");
  const badId = clone(capture);
  badId.webhook.id = 'not-a-cuid';
  assert.equal(valid(badId), false, 'an id that is not a cuid');
  const badTime = clone(capture);
  badTime.currentValue.createdAt = 'yesterday';
  assert.equal(valid(badTime), false, 'a date-time that is not one');
  assert.equal(valid({ ...clone(capture), event: 'TODO_ARCHIVED' }), false, 'an unknown event');
  const deleted = buildPayload('TODO_DELETED', { seed: 1 });
  assert.equal(valid({ ...deleted, currentValue: deleted.previousValue }), false, 'delete: null');
  const created = buildPayload('TODO_CREATED', { seed: 1 });
  assert.equal(valid({ ...created, previousValue: created.currentValue }), false, 'create: null');

  // A new key from Blue: accepted (receivers must survive it); refused only under --strict.
  const added = clone(capture);
  added.currentValue.priority = 'HIGH';
  check(added, 'an added key');
  const strict = ajvFor(JSON.parse(await schema(['--strict'])));
  assert.ok(strict(clone(capture)), JSON.stringify(strict.errors?.slice(0, 3)));
  assert.equal(strict(added), false, '--strict refuses keys it does not know');

  // One event's schema: that event only.
  const one = ajvFor(JSON.parse(await schema(['TODO_CREATED'])));
  assert.ok(one(capture), JSON.stringify(one.errors?.slice(0, 3)));
  assert.equal(one(buildPayload('TODO_DELETED', { seed: 1 })), false);
});

test('OpenAPI 3.1 (@readme/openapi-parser) and AsyncAPI 3 (@asyncapi/parser) accept the documents, offline', async () => {
  const { validate } = await import('@readme/openapi-parser');
  const openapi = JSON.parse(await schema(['--format', 'openapi'])) as Record<string, any>;
  assert.equal(openapi.openapi, '3.1.0');
  assert.deepEqual(Object.keys(openapi.webhooks).sort(), EVENTS.map((e) => e.name).sort());
  const created = openapi.webhooks.TODO_CREATED.post;
  assert.deepEqual(created.parameters, [{ $ref: '#/components/parameters/XSignature' }]);
  assert.equal(openapi.components.parameters.XSignature.name, 'X-Signature');
  assert.equal(openapi.components.parameters.XSignature.in, 'header');
  assert.deepEqual(Object.keys(created.responses), ['2XX', 'default']);
  // The components are the JSON Schema's definitions, only the $ref base differs.
  const jsonSchema = JSON.parse(await schema([])) as Record<string, any>;
  assert.equal(
    JSON.stringify(openapi.components.schemas.Todo).replaceAll('#/components/schemas/', '#/$defs/'),
    JSON.stringify(jsonSchema.$defs.Todo),
  );
  const result = await validate(clone(openapi) as any);
  assert.deepEqual(result, { valid: true, warnings: [], specification: 'OpenAPI' });
  const broken = clone(openapi);
  broken.webhooks.TODO_CREATED.post.requestBody.content['application/json'].schema.$ref =
    '#/components/schemas/Nothing';
  assert.equal((await validate(broken as any)).valid, false, 'the parser does check');

  const { Parser } = await import('@asyncapi/parser');
  const text = await schema(['--format', 'asyncapi']);
  const asyncapi = JSON.parse(text) as Record<string, any>;
  assert.equal(asyncapi.asyncapi, '3.0.0');
  assert.equal(Object.keys(asyncapi.channels).length, 38);
  assert.equal(Object.keys(asyncapi.operations).length, 38);
  assert.deepEqual(asyncapi.components.messages.TODO_CREATED.headers, {
    $ref: '#/components/schemas/SignatureHeaders',
  });
  assert.deepEqual(asyncapi.components.schemas.SignatureHeaders.required, ['X-Signature']);
  const parser = new Parser();
  const { document, diagnostics } = await parser.parse(text);
  // Spectral's severities: 0 error, 1 warning (2 information, 3 hint).
  const problems = diagnostics.filter((d) => d.severity <= 1);
  assert.deepEqual(
    problems.map((d) => `${d.code} ${d.message} ${d.path.join('.')}`),
    [],
  );
  assert.ok(document, 'parsed');
  assert.equal(document.operations().length, 38);
  assert.equal(document.messages().length, 38);
  const bad = clone(asyncapi);
  bad.operations.todoCreated.action = 'consume';
  assert.ok(
    (await parser.parse(JSON.stringify(bad))).diagnostics.some((d) => d.severity === 0),
    'the parser does check',
  );
});

const TSC = join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc');
const tscArgs = [
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
  '--skipLibCheck',
];
const tsc = (cwd: string, args: string[]) =>
  run(process.execPath, [TSC, ...tscArgs, ...args], { cwd, timeout: 90_000 }).then(
    () => ({ code: 0, out: '' }),
    (e: { code: number; stdout: string }) => ({ code: e.code, out: e.stdout }),
  );

test('TypeScript: the generated types and the library compile in a consumer project (narrowing works, a misspelt field does not), and so do the docs examples', {
  timeout: 180_000,
}, async () => {
  const dir = tempDir();
  try {
    const project = dir.path;
    writeFileSync(
      join(project, 'package.json'),
      '{ "name": "receiver", "private": true, "type": "module" }\n',
    );
    // The library as a receiver installs it (the dependency-free package the build makes).
    mkdirSync(join(project, 'node_modules', '@bluehook'), { recursive: true });
    symlinkSync(
      join(ROOT, 'dist', 'webhooks'),
      join(project, 'node_modules', '@bluehook', 'webhooks'),
    );
    const generated = await runCli([
      'schema',
      '--format',
      'typescript',
      '-o',
      join(project, 'blue-webhooks.ts'),
    ]);
    assert.equal(generated.code, 0, generated.stderr);

    writeFileSync(
      join(project, 'narrow.ts'),
      `import type { BlueDelivery, DeliveryOf } from './blue-webhooks.js';
export function describe(d: BlueDelivery): string {
  if (d.event === 'TODO_CREATED') {
    const title: string = d.currentValue.title;
    const before: null | undefined = d.previousValue;
    void before;
    return title;
  }
  if (d.event === 'TODO_DELETED') {
    const gone: null = d.currentValue;
    void gone;
    return d.previousValue.todoList.project.company.name;
  }
  if (d.event === 'TODO_LIST_CREATED') {
    const position: number = d.currentValue.position;
    return String(position);
  }
  return d.event;
}
export const position = (d: DeliveryOf<'TODO_MOVED'>): string => d.currentValue.position;
`,
    );
    const ok = await tsc(project, ['--noEmit', 'narrow.ts']);
    assert.equal(ok.code, 0, ok.out);

    writeFileSync(
      join(project, 'misspelt.ts'),
      `import type { BlueDelivery } from './blue-webhooks.js';
export const title = (d: BlueDelivery) => (d.event === 'TODO_CREATED' ? d.currentValue.titel : '');
`,
    );
    const misspelt = await tsc(project, ['--noEmit', 'misspelt.ts']);
    assert.notEqual(misspelt.code, 0);
    assert.match(misspelt.out, /misspelt\.ts.*Property 'titel' does not exist on type 'Todo'/);
    writeFileSync(
      join(project, 'unnarrowed.ts'),
      `import type { BlueDelivery } from './blue-webhooks.js';
export const title = (d: BlueDelivery): string => d.currentValue.title;
`,
    );
    assert.notEqual((await tsc(project, ['--noEmit', 'unnarrowed.ts'])).code, 0, 'not narrowed');

    // The library: parseDelivery and isEvent, compiled and run.
    writeFileSync(
      join(project, 'library.ts'),
      `import { buildPayload, deliveryDrift, isEvent, parseDelivery, sign, type BlueDelivery } from '@bluehook/webhooks';
const body = JSON.stringify(buildPayload('TODO_CREATED', { seed: 1 }));
const d: BlueDelivery = parseDelivery(body, { signature: sign(body, 's')['x-signature'], secret: 's' });
if (isEvent(d, 'TODO_CREATED')) {
  const title: string = d.currentValue.title;
  console.log(title);
}
console.log(JSON.stringify(deliveryDrift(d)), deliveryDrift({ ...d, extra: 1 })?.level);
// @ts-expect-error not one of Blue's events
isEvent(d, 'TODO_CREATD');
`,
    );
    const lib = await tsc(project, ['--outDir', 'out', 'library.ts']);
    assert.equal(lib.code, 0, lib.out);
    const ran = await run(process.execPath, [join(project, 'out', 'library.js')], { cwd: project });
    assert.equal(
      ran.stdout,
      `${(buildPayload('TODO_CREATED', { seed: 1 }).currentValue as { title: string }).title}\nnull info\n`,
    );

    // Every TypeScript example of docs/schema.md, as a receiver would paste it.
    const docs = readFileSync(join(ROOT, 'docs', 'schema.md'), 'utf8');
    const examples = [...docs.matchAll(/```ts\n([\s\S]*?)```/g)].map((m) => m[1]!);
    assert.ok(examples.length >= 3, `docs/schema.md has examples: ${examples.length}`);
    const names = examples.map((code, i) => {
      const name = `doc-example-${i + 1}.ts`;
      writeFileSync(join(project, name), code);
      return name;
    });
    const docsCompiled = await tsc(project, ['--noEmit', ...names]);
    assert.equal(docsCompiled.code, 0, docsCompiled.out);
  } finally {
    dir.cleanup();
  }
});

/** Collects what a stream sends; `until` resolves once a condition holds for it. */
function collect(stream: NodeJS.ReadableStream) {
  let all = '';
  const waiting = new Set<() => void>();
  stream.on('data', (d: Buffer) => {
    all += d.toString();
    for (const w of waiting) w();
  });
  return {
    text: () => all,
    until: (check: (all: string) => boolean, what: string) =>
      new Promise<string>((resolve, reject) => {
        const timer = setTimeout(() => {
          waiting.delete(test);
          reject(new Error(`timed out waiting for ${what}: ${all}`));
        }, 20_000);
        const test = () => {
          if (!check(all)) return;
          clearTimeout(timer);
          waiting.delete(test);
          resolve(all);
        };
        waiting.add(test);
        test();
      }),
  };
}

async function driftRoundTrip(env: Record<string, string>): Promise<void> {
  const listen = spawnCli(['listen', '--port', '0', '--secret', 's'], { env });
  const exited = new Promise<number | null>((r) => listen.on('close', (code) => r(code)));
  const out = collect(listen.stdout!);
  const err = collect(listen.stderr!);
  const stop = async () => {
    listen.kill('SIGINT');
    await exited;
  };
  try {
    const url = /listening on (\S+)/.exec(
      await out.until((all) => /listening on \S+\n/.test(all), 'ready'),
    )![1]!;
    const removed = buildPayload('TODO_CREATED', { seed: 11 });
    delete (removed.currentValue as Record<string, unknown>).title;
    const added = buildPayload('TODO_CREATED', { seed: 12 });
    (added.currentValue as Record<string, unknown>).priority = 'HIGH';
    const clean = buildPayload('TAG_CREATED', { seed: 13 });
    // The added key twice: information is said once per event and path.
    for (const body of [removed, added, added, clean].map((b) => JSON.stringify(b)))
      assert.equal((await post(url, body, { 'x-signature': hmac('s', body) })).status, 200);
    // A forged copy is never compared with the schema (nothing about Blue in it).
    const forged = JSON.stringify(removed);
    assert.equal((await post(url, forged, { 'x-signature': hmac('wrong', forged) })).status, 401);
    // The forgery's line is the fifth: every delivery before it has been handled.
    await out.until((all) => (all.match(/TODO_CREATED|TAG_CREATED/g) ?? []).length >= 5, '5 lines');
  } finally {
    await stop();
  }
  const stderr = await err.until((all) => /deliveries received/.test(all), 'the summary');
  const warnings = stderr.split('\n').filter((l) => l.includes('⚠'));
  assert.deepEqual(warnings, ['⚠ drift: TODO_CREATED currentValue.title missing'], stderr);
  assert.deepEqual(
    stderr.split('\n').filter((l) => l.includes('ℹ')),
    [
      'ℹ drift: TODO_CREATED currentValue.priority is new (string): information, Blue sent something bluehook does not know',
    ],
  );
  assert.match(stderr, /5 deliveries received: 4 valid, 1 invalid, 3 drifting from the schema/);

  const list = await runCli(['deliveries', 'list', '--drift', '--json'], { env });
  assert.equal(list.code, 0, list.stderr);
  const drifting = jsonLines(list.stdout);
  assert.deepEqual(
    drifting.map((r) => [r.event, r.drift]),
    [
      ['TODO_CREATED', 'warning'],
      ['TODO_CREATED', 'info'],
      ['TODO_CREATED', 'info'],
    ],
  );
  const all = jsonLines((await runCli(['deliveries', 'list', '--json'], { env })).stdout);
  assert.deepEqual(
    all.map((r) => r.drift),
    ['warning', 'info', 'info', null, null],
    'the clean delivery and the forgery have none',
  );
  const text = await runCli(['deliveries', 'list', '--drift'], { env });
  assert.match(text.stdout, /TODO_CREATED +valid, drifts/);
  assert.match(text.stdout, /TODO_CREATED +valid, new keys/);
  const shown = await runCli(['deliveries', 'show', drifting[0].id], { env });
  assert.match(shown.stdout, /drift +warning: currentValue\.title missing/);
  const record = JSON.parse(
    (await runCli(['deliveries', 'show', drifting[0].id, '--json'], { env })).stdout,
  );
  assert.deepEqual(record.drift, {
    level: 'warning',
    count: 1,
    issues: [{ path: 'currentValue.title', kind: 'missing', expected: 'title' }],
  });
}

test('drift through the built CLI (SQLite, migrated from the schema before the drift column): one warning line for a removed key, information for an added one, deliveries list --drift', {
  timeout: 90_000,
}, async () => {
  const dir = tempDir();
  const env = { BLUEHOOK_HOME: dir.path };
  try {
    assert.equal((await runCli(['deliveries', 'count'], { env })).code, 0);
    // Back to the schema of the release before: no drift or relay_id column, user_version 1.
    const db = new Sqlite(join(dir.path, 'bluehook.db'));
    db.exec(
      'DROP TRIGGER deliveries_search_insert; DROP TRIGGER deliveries_search_delete; DROP TRIGGER deliveries_search_update; DROP TABLE deliveries_search; DROP TABLE deliveries_unindexed; DROP INDEX deliveries_drift; ALTER TABLE deliveries DROP COLUMN drift; DROP INDEX deliveries_relay; ALTER TABLE deliveries DROP COLUMN relay_id; PRAGMA user_version = 1;',
    );
    db.close();
    await driftRoundTrip(env);
    const after = new Sqlite(join(dir.path, 'bluehook.db'), { readonly: true });
    assert.equal(after.pragma('user_version', { simple: true }), SCHEMA_VERSION, 'migrated');
    after.close();

    // deliveries import compares what was recorded without a report (an older bluehook's export).
    const file = join(dir.path, 'all.ndjson');
    assert.equal(
      (await runCli(['deliveries', 'export', '--format', 'ndjson', '-o', file], { env })).code,
      0,
    );
    const unchecked = readFileSync(file, 'utf8')
      .trim()
      .split('\n')
      .map((l) => {
        const { drift: _, ...r } = JSON.parse(l);
        return JSON.stringify(r);
      });
    writeFileSync(file, `${unchecked.join('\n')}\n`);
    const other = tempDir();
    try {
      const imported = await runCli(['deliveries', 'import', file], {
        env: { BLUEHOOK_HOME: other.path },
      });
      assert.match(
        imported.stdout,
        /imported 5 deliveries .*; 3 differ from the schema \(deliveries list --drift\)/,
      );
      const listed = await runCli(['deliveries', 'list', '--drift', '--json'], {
        env: { BLUEHOOK_HOME: other.path },
      });
      assert.deepEqual(
        jsonLines(listed.stdout).map((r) => r.drift),
        ['warning', 'info', 'info'],
      );
    } finally {
      other.cleanup();
    }
  } finally {
    dir.cleanup();
  }
});

test('drift on PostgreSQL (migrated from the schema before the drift column): the same warning, record and filter', {
  timeout: 90_000,
}, async (t) => {
  const db = await postgresDatabase();
  if (db.skip !== undefined) return t.skip(db.skip);
  const dir = tempDir();
  const env = { BLUEHOOK_HOME: dir.path, BLUEHOOK_HISTORY_URL: db.url };
  try {
    assert.equal((await runCli(['deliveries', 'count'], { env })).code, 0);
    const pg = (await import('pg')).default;
    const client = new pg.Client({ connectionString: db.url });
    await client.connect();
    await client.query(
      "DROP INDEX bluehook_deliveries_search; DROP FUNCTION bluehook_body_text; ALTER TABLE bluehook_deliveries DROP COLUMN drift; ALTER TABLE bluehook_deliveries DROP COLUMN relay_id; UPDATE bluehook_meta SET value = '1' WHERE key = 'schema_version'",
    );
    await driftRoundTrip(env);
    const version = await client.query(
      "SELECT value FROM bluehook_meta WHERE key = 'schema_version'",
    );
    assert.equal(version.rows[0].value, '4', 'migrated');
    await client.end();
  } finally {
    await db.drop();
    dir.cleanup();
  }
});
