import { test } from 'node:test';
import assert from 'node:assert/strict';
import { displayWidth, fitRows, table, truncateCells } from '../../src/cli/table.js';

test('truncateCells cuts by terminal cells with an ellipsis; short text is left alone', () => {
  assert.equal(truncateCells('short', 10), 'short');
  assert.equal(truncateCells('POST / with a long body', 10), 'POST / wi…');
  assert.equal(displayWidth(truncateCells('日本語のテキストです', 9)), 9);
  assert.equal(truncateCells('日本語のテキストです', 9), '日本語の…');
});

test('fitRows: a check table of ~150 cells fits 80 by cutting what was sent and what came back', () => {
  const rows = [
    ['RESULT', 'CHECK', 'SENT', 'GOT'],
    [
      '✔ pass',
      'genuine',
      `38 deliveries, one of every event ${'x'.repeat(30)}`,
      '38 × 200 in p50 3 ms, p99 9 ms',
    ],
    [
      '✘ fail',
      'forged-signature',
      'TODO_CREATED signed with another secret',
      `200 ${'body '.repeat(12)}`,
    ],
  ];
  assert.ok(Math.max(...table(rows).split('\n').map(displayWidth)) > 100);
  const fitted = table(fitRows(rows, 80, [2, 3]));
  for (const line of fitted.split('\n'))
    assert.ok(displayWidth(line) <= 79, `${displayWidth(line)}: ${line}`);
  // The other columns are whole; cut cells say so.
  assert.match(fitted, /forged-signature/);
  assert.match(fitted, /…/);
  // Wide enough already: unchanged.
  assert.deepEqual(fitRows(rows, 400, [2, 3]), rows);
  // Never below the minimum, even if that does not fit.
  const narrow = fitRows(rows, 20, [2, 3], 12);
  assert.ok(narrow.slice(1).every((r) => displayWidth(r[2]!) <= 12 && displayWidth(r[2]!) >= 10));
});
