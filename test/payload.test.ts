import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { EVENTS } from '../src/blue/catalogue.js';
import { buildPayload, serializeBody } from '../src/blue/payload.js';
import { fixtureBody } from '../src/blue/fixtures.js';
import { REFERENCE, ROOT, SHARED } from './helpers.js';

/** The shape of a JSON value: key order, nesting and value types, recursively. */
function keyTree(value: unknown): unknown {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'array'; // element shapes vary with the data (the capture's lists are empty)
  if (typeof value === 'object')
    return Object.entries(value as object).map(([k, v]) => [k, keyTree(v)]);
  return typeof value;
}

const capture = JSON.parse(
  readFileSync(join(REFERENCE, 'blue', 'todo-created.delivery.json'), 'utf8'),
);

test('TODO_CREATED has exactly the key tree of the real capture (with previousValue omitted as in 2022)', () => {
  const body = buildPayload('TODO_CREATED', { seed: 7, omitPrevious: true });
  assert.deepEqual(keyTree(body), keyTree(capture));
});

test('TODO_CREATED by default carries previousValue: null before currentValue', () => {
  const body = buildPayload('TODO_CREATED', { seed: 7 });
  assert.deepEqual(Object.keys(body), ['event', 'webhook', 'previousValue', 'currentValue']);
  assert.equal(body.previousValue, null);
  const { previousValue: _, ...rest } = body;
  assert.deepEqual(keyTree(rest), keyTree(capture));
});

/** Walks every key/value pair of a JSON value. */
function* walk(value: unknown, path = ''): Generator<[string, string, unknown]> {
  if (value && typeof value === 'object') {
    for (const [k, v] of Object.entries(value)) {
      yield [`${path}.${k}`, k, v];
      yield* walk(v, `${path}.${k}`);
    }
  }
}

test('every event: the right top-level keys, cuid ids, 32-hex uids, ISO ms timestamps', () => {
  for (const info of EVENTS) {
    const body = buildPayload(info.name, { seed: 3 });
    assert.equal(body.event, info.name);
    const keys = Object.keys(body);
    if (info.kind === 'health-check') assert.deepEqual(keys, ['event', 'webhook']);
    else assert.deepEqual(keys, ['event', 'webhook', 'previousValue', 'currentValue'], info.name);
    if (info.kind === 'create') assert.equal(body.previousValue, null);
    if (info.kind === 'delete') assert.equal(body.currentValue, null);
    assert.equal((body.webhook as { secret: string }).secret, '');
    assert.deepEqual(Object.keys((body.webhook as { metadata: object }).metadata), [
      'events',
      'projectIds',
    ]);
    for (const [path, key, v] of walk(body)) {
      if ((key === 'id' || key.endsWith('Id')) && typeof v === 'string')
        assert.match(v, /^c[a-z0-9]{24}$/, `${info.name} ${path}`);
      if (key === 'uid') assert.match(String(v), /^[0-9a-f]{32}$/, `${info.name} ${path}`);
      if (key.endsWith('At') && v !== null)
        assert.match(String(v), /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/, `${info.name} ${path}`);
    }
  }
});

test('entities nest as Blue rows do: record -> todoList -> project -> company; item -> checklist -> record', () => {
  const record = buildPayload('TODO_DELETED', { seed: 1 }).previousValue as any;
  assert.equal(typeof record.position, 'string');
  assert.equal(typeof record.todoList.position, 'number');
  assert.equal(record.todoList.project.company.id, record.todoList.project.companyId);
  const item = buildPayload('TODO_CHECKLIST_ITEM_CREATED', { seed: 1 }).currentValue as any;
  assert.equal(item.checklist.id, item.checklistId);
  assert.equal(item.checklist.todo.id, item.checklist.todoId);
  assert.ok(item.checklist.todo.todoList.project.company);
});

/** The top-level keys where two rows differ. */
function changedKeys(a: any, b: any): string[] {
  return Object.keys(b).filter(
    (k) => JSON.stringify(a[k]) !== JSON.stringify(b[k]) && k !== 'updatedAt',
  );
}

test('update events differ exactly where the event says', () => {
  const expected: Record<string, string[]> = {
    TODO_MOVED: ['todoListId', 'todoList'],
    TODO_NAME_CHANGED: ['title'],
    TODO_DONE_STATUS_UPDATED: ['done'],
    TODO_DUE_DATE_ADDED: ['duedAt'],
    TODO_DUE_DATE_UPDATED: ['duedAt'],
    TODO_DUE_DATE_REMOVED: ['duedAt'],
    TODO_ASSIGNEE_ADDED: ['todoUsers'],
    TODO_ASSIGNEE_REMOVED: ['todoUsers'],
    TODO_TAG_ADDED: ['todoTags'],
    TODO_TAG_REMOVED: ['todoTags'],
    TODO_CUSTOM_FIELD_UPDATED: ['todoCustomFields'],
    TODO_CHECKLIST_ITEM_DONE_STATUS_UPDATED: ['done'],
    TODO_CHECKLIST_ITEM_ASSIGNEE_ADDED: ['checklistItemUsers'],
    TAG_UPDATED: ['title', 'color'],
    COMMENT_UPDATED: ['html', 'text'],
    CUSTOM_FIELD_UPDATED: ['name'],
    TODO_LIST_NAME_CHANGED: ['title'],
  };
  for (const info of EVENTS.filter((e) => e.kind === 'update')) {
    const body = buildPayload(info.name, { seed: 11 });
    const changed = changedKeys(body.previousValue, body.currentValue);
    assert.ok(changed.length > 0, `${info.name} changes something`);
    if (expected[info.name]) assert.deepEqual(changed, expected[info.name], info.name);
  }
  const done = buildPayload('TODO_DONE_STATUS_UPDATED', { seed: 1 }) as any;
  assert.equal(done.previousValue.done, false);
  assert.equal(done.currentValue.done, true);
  const removed = buildPayload('TODO_DUE_DATE_REMOVED', { seed: 1 }) as any;
  assert.notEqual(removed.previousValue.duedAt, null);
  assert.equal(removed.currentValue.duedAt, null);
});

test('--seed gives byte-identical bodies; other seeds and no seed give other ids', () => {
  const a = serializeBody(buildPayload('TODO_CREATED', { seed: 1 }));
  assert.equal(serializeBody(buildPayload('TODO_CREATED', { seed: 1 })), a);
  assert.notEqual(serializeBody(buildPayload('TODO_CREATED', { seed: 2 })), a);
  const x = buildPayload('TODO_CREATED') as any;
  const y = buildPayload('TODO_CREATED') as any;
  assert.notEqual(x.currentValue.id, y.currentValue.id);
  assert.ok(Math.abs(Date.parse(x.currentValue.updatedAt) - Date.now()) < 30 * 86_400_000);
});

test('--set overrides fields with JSON values, refuses prototype paths, unknown top-level keys and paths through non-objects', () => {
  const body = buildPayload('TODO_CREATED', {
    seed: 1,
    set: [
      'currentValue.done=true',
      'currentValue.title=Ship it',
      'currentValue.extra.n=3',
      'currentValue.todoTags.0="x"',
      'currentValue.todoTags[1]={"id":"t2"}',
    ],
  }) as any;
  assert.equal(body.currentValue.done, true);
  assert.equal(body.currentValue.title, 'Ship it');
  assert.equal(body.currentValue.extra.n, 3);
  assert.deepEqual(
    body.currentValue.todoTags,
    ['x', { id: 't2' }],
    'a[1] indexes the array, never a key named "a[1]"',
  );
  assert.throws(
    () => buildPayload('TODO_CREATED', { set: ['extra.n=3'] }),
    /starts with "extra", which no delivery body has/,
  );
  assert.throws(
    () => buildPayload('TODO_CREATED', { set: ['currentValue.todoTags[x]=1'] }),
    /malformed/,
  );
  // --unset removes a field or an array item; a path that names nothing is an error.
  const unset = buildPayload('TODO_CREATED', {
    seed: 1,
    set: ['currentValue.todoTags=[1,2,3]'],
    unset: ['currentValue.html', 'currentValue.todoTags[0]'],
  }) as any;
  assert.equal('html' in unset.currentValue, false);
  assert.deepEqual(unset.currentValue.todoTags, [2, 3]);
  assert.throws(
    () => buildPayload('TODO_CREATED', { unset: ['currentValue.nothing.here'] }),
    /nothing at that path/,
  );
  assert.throws(
    () => buildPayload('TODO_CREATED', { set: ['__proto__.polluted=1'] }),
    /not allowed/,
  );
  assert.throws(
    () => buildPayload('TODO_CREATED', { set: ['currentValue.constructor.prototype.x=1'] }),
    /not allowed/,
  );
  assert.throws(
    () => buildPayload('TODO_CREATED', { set: ['event.x=1'] }),
    /"event" is string, not an object/,
  );
  assert.throws(() => buildPayload('TODO_CREATED', { set: ['previousValue.x=1'] }), /is null/);
  assert.throws(() => buildPayload('TODO_CREATED', { set: ['novalue'] }), /path=value/);
  assert.equal(({} as any).polluted, undefined);
});

test('webhook and project options fill the embedded webhook and the entity', () => {
  const body = buildPayload('TODO_CREATED', {
    seed: 1,
    projectId: 'cproject0000000000000000p',
    webhook: { url: 'https://r.example/h', name: 'mine' },
  }) as any;
  assert.equal(body.webhook.url, 'https://r.example/h');
  assert.equal(body.webhook.name, 'mine');
  assert.deepEqual(body.webhook.metadata.projectIds, ['cproject0000000000000000p']);
  assert.equal(body.currentValue.todoList.project.id, 'cproject0000000000000000p');
  assert.equal(body.currentValue.todoList.projectId, 'cproject0000000000000000p');
});

test('the checked-in fixtures are exactly what the generator gives today', () => {
  const dir = join(ROOT, 'fixtures', 'deliveries');
  const files = readdirSync(dir).filter((f) => f.endsWith('.json'));
  assert.equal(files.length, EVENTS.length);
  for (const info of EVENTS) {
    assert.equal(
      readFileSync(join(dir, `${info.name}.json`), 'utf8'),
      fixtureBody(info.name),
      `${info.name}: run npm run fixtures`,
    );
  }
});

test("the in-repo copies of the real capture, the signing vectors and Blue's webhook facts match shared/ when it is beside the clone", (t) => {
  if (!existsSync(SHARED)) return t.skip('no shared/ beside this clone');
  for (const file of [join('blue', 'todo-created.delivery.json'), 'signing-vectors.json']) {
    assert.equal(
      readFileSync(join(REFERENCE, file), 'utf8'),
      readFileSync(join(SHARED, file), 'utf8'),
      file,
    );
  }
  // The Blue facts the code cites, vendored so the repository stands on its own; the one difference
  // is where the real capture is (beside the page in shared/, under fixtures/ in the repository).
  const vendored = readFileSync(join(ROOT, 'docs', 'blue-webhooks.md'), 'utf8');
  const inRepository = '`fixtures/blue/todo-created.delivery.json` in the repository';
  assert.ok(vendored.includes(inRepository));
  assert.equal(
    vendored.replace(inRepository, '`blue/todo-created.delivery.json` beside this page'),
    readFileSync(join(SHARED, 'blue-webhooks.md'), 'utf8'),
    'docs/blue-webhooks.md',
  );
});

test('samples are plausible: a move changes list, a custom field update keeps the value of its type', () => {
  const typeOf: Record<string, (v: unknown) => boolean> = {
    NUMBER: (v) => typeof v === 'number',
    CURRENCY: (v) => typeof v === 'number',
    CHECKBOX: (v) => typeof v === 'boolean',
    DATE: (v) => typeof v === 'string' && !Number.isNaN(Date.parse(v)),
    SELECT_SINGLE: (v) => typeof v === 'string',
    TEXT_SINGLE: (v) => typeof v === 'string',
  };
  const seenTypes = new Set<string>();
  for (let seed = 0; seed < 200; seed++) {
    const moved = buildPayload('TODO_MOVED', { seed }) as any;
    const from = moved.previousValue.todoList;
    const to = moved.currentValue.todoList;
    assert.notEqual(to.id, from.id, `seed ${seed}`);
    assert.notEqual(to.title, from.title, `seed ${seed}: another list title`);
    assert.notEqual(to.position, from.position, `seed ${seed}: another position`);
    assert.equal(moved.currentValue.todoListId, to.id);

    const updated = buildPayload('TODO_CUSTOM_FIELD_UPDATED', { seed }) as any;
    const before = updated.previousValue.todoCustomFields[0];
    const after = updated.currentValue.todoCustomFields[0];
    const type = after.customField.type as string;
    seenTypes.add(type);
    assert.ok(typeOf[type], `seed ${seed}: a known field type ${type}`);
    assert.ok(
      typeOf[type]!(before.value) && typeOf[type]!(after.value),
      `seed ${seed}: ${type} holds ${JSON.stringify(before.value)} -> ${JSON.stringify(after.value)}`,
    );
    assert.notDeepEqual(after.value, before.value, `seed ${seed}: the value changed`);
  }
  assert.equal(seenTypes.size, Object.keys(typeOf).length, 'every field type was drawn');
});
