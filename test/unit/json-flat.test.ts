/**
 * The inspector page's JSON table (src/inspector/page/json-flat.ts): values are spans of the text
 * (a big number keeps every digit), the tree's rows skip closed subtrees, and the diff names
 * added, removed and changed paths in order.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  diffLeaves,
  keyOf,
  leaves,
  parseFlat,
  pathOf,
  rawOf,
  visibleRows,
} from '../../src/inspector/page/json-flat.js';

test('a parse keeps numbers as written and keys unescaped', async () => {
  const text =
    '{"big":123456789012345678901234567890,"price":1.50,"a\\"b":[true,null,{"x":"y"}],"e":{}}';
  const t = await parseFlat(text);
  const byPath = new Map(leaves(t));
  assert.equal(byPath.get('big'), '123456789012345678901234567890');
  assert.equal(byPath.get('price'), '1.50');
  assert.equal(byPath.get('a"b[1]'), 'null');
  assert.equal(byPath.get('a"b[2].x'), '"y"');
  assert.equal(byPath.get('e'), '{}');
  const x = [...Array(t.size).keys()].find((n) => keyOf(t, n) === 'x')!;
  assert.equal(pathOf(t, x), 'a"b[2].x');
  assert.equal(rawOf(t, x), '"y"');
});

test('the tree shows what is open, in order, skipping closed subtrees', async () => {
  const t = await parseFlat('{"a":[1,2,3],"b":{"c":4}}');
  // Root open only: the root and its two children.
  assert.deepEqual(
    [...visibleRows(t, new Set([0]))].map((n) => keyOf(t, n)),
    [null, 'a', 'b'],
  );
  const a = 1;
  assert.deepEqual(
    [...visibleRows(t, new Set([0, a]))].map((n) => keyOf(t, n)),
    [null, 'a', '0', '1', '2', 'b'],
  );
});

test('a large body parses in slices that give the event loop back', async () => {
  const text = JSON.stringify({ items: Array.from({ length: 50_000 }, (_, n) => ({ n })) });
  let turns = 0;
  const timer = setInterval(() => turns++, 0);
  const t = await parseFlat(text, 1);
  clearInterval(timer);
  assert.equal(t.size, 1 + 1 + 50_000 * 2);
  assert.ok(turns > 0, 'other work ran while it parsed');
});

test('the diff: changed, removed and added paths, the added after the last shared one', () => {
  const lines = diffLeaves(
    [
      ['event', '"TODO_CREATED"'],
      ['title', '"First"'],
      ['gone', '1'],
      ['same', 'true'],
    ],
    [
      ['event', '"TODO_CREATED"'],
      ['title', '"Second"'],
      ['new', '2'],
      ['same', 'true'],
    ],
  );
  assert.deepEqual(
    lines.map((l) => `${l.kind} ${l.path}`),
    ['same event', 'changed title', 'added new', 'removed gone', 'same same'],
  );
});
