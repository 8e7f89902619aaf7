/**
 * The arrows of ARCHITECTURE.md, checked against every import in src/ (static, dynamic import()
 * and type imports): no two folders import each other (directly or round about), no two files
 * either, and no import the diagram forbids (the core importing cli/ or inspector/, a command
 * importing another command, the library importing outside itself, the page importing code).
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  ALLOWED,
  describe,
  fileCycles,
  folderCycles,
  folderOf,
  type ImportEdge,
  readImports,
  violations,
} from '../import-graph.js';

const edges = readImports();

test('the import graph is read whole: static, dynamic and type imports', () => {
  assert.ok(edges.length > 300, `only ${edges.length} imports found in src/`);
  const has = (from: string, to: string, kind: ImportEdge['kind']) =>
    edges.some((e) => e.from === from && e.to === to && e.kind === kind);
  assert.ok(has('cli/attach.ts', 'cli/commands/send.ts', 'dynamic'), 'a lazy handler import');
  assert.ok(has('cli/commands/send.ts', 'cli/commands/send.command.ts', 'type'), 'a type import');
  assert.ok(has('cli/program.ts', 'cli/attach.ts', 'static'), 'a static import');
});

test('no two folders of src/ import each other, directly or round about', () => {
  const found = folderCycles(edges);
  const explain = found.map((group) => {
    const inside = edges.filter(
      (e) =>
        group.includes(folderOf(e.from)) &&
        group.includes(folderOf(e.to)) &&
        folderOf(e.from) !== folderOf(e.to),
    );
    return `${group.join(' ⇄ ')}:\n${inside.map((e) => `    ${describe(e)}`).join('\n')}`;
  });
  assert.deepEqual(
    explain,
    [],
    `folders in a cycle (the arrows must run one way):\n${explain.join('\n')}`,
  );
});

test('no two files import each other, directly or round about (type imports count)', () => {
  const found = fileCycles(edges).map((group) => group.join(' ⇄ '));
  assert.deepEqual(
    found,
    [],
    `files in a cycle: ${found.join('; ')}. A handler that takes its option type from its definition is attached in cli/attach.ts, not in the definition`,
  );
});

test('every import is one the diagram allows', () => {
  const broken = violations(edges).map((v) => `${describe(v.edge)}: ${v.rule}`);
  assert.deepEqual(broken, [], `imports the diagram forbids:\n${broken.join('\n')}`);
});

test('every folder of src/ is in the diagram', () => {
  const folders = new Set(edges.flatMap((e) => [folderOf(e.from), folderOf(e.to)]));
  const missing = [...folders].filter((f) => !(f in ALLOWED));
  assert.deepEqual(
    missing,
    [],
    `folders not in ALLOWED (test/import-graph.ts) nor ARCHITECTURE.md: ${missing.join(', ')}`,
  );
});

test('the rules catch what they are for', () => {
  const edge = (from: string, to: string): ImportEdge => ({ from, to, line: 1, kind: 'static' });
  const rulesFor = (from: string, to: string) => violations([edge(from, to)]).map((v) => v.rule);
  assert.match(
    rulesFor('delivery/send.ts', 'cli/output.ts').join(),
    /core must not import an edge \(cli\/\)/,
  );
  assert.match(
    rulesFor('history/open.ts', 'inspector/server.ts').join(),
    /core must not import an edge/,
  );
  assert.match(
    rulesFor('cli/commands/listen.ts', 'cli/commands/inspect.ts').join(),
    /a command imports another command/,
  );
  assert.match(rulesFor('signing/diagnose.ts', 'history/record.ts').join(), /library/);
  assert.match(
    rulesFor('inspector/page/app.ts', 'inspector/service.ts').join(),
    /page runs in the browser/,
  );
  assert.match(
    rulesFor('store/local-store.ts', 'history/record.ts').join(),
    /store → history is not in the diagram/,
  );
  assert.match(rulesFor('newfolder/x.ts', 'util/fs.ts').join(), /not in the diagram: add it/);
  assert.deepEqual(rulesFor('relay/server.ts', 'receiver/server.ts'), []);
  assert.deepEqual(rulesFor('check/run.ts', 'delivery/deliver.ts'), []);
  assert.deepEqual(rulesFor('schema/x.ts', 'blue/catalogue.ts'), []);
  assert.deepEqual(rulesFor('cli/commands/send.ts', 'cli/commands/send.command.ts'), []);
  assert.deepEqual(rulesFor('inspector/page/app.ts', 'history/verdict.ts'), []);
  assert.match(rulesFor('history/types.ts', 'util/fs.ts').join(), /types only/);
  const cycle = fileCycles([edge('a/x.ts', 'b/y.ts'), edge('b/y.ts', 'a/x.ts')]);
  assert.deepEqual(cycle, [['a/x.ts', 'b/y.ts']]);
  assert.deepEqual(folderCycles([edge('a/x.ts', 'b/y.ts'), edge('b/z.ts', 'a/w.ts')]), [
    ['a', 'b'],
  ]);
});
