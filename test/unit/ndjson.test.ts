/** Unit tests of reading NDJSON: lines across chunk boundaries, and lines too long to read at all. */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { linesOf, readNdjson, type ImportStats } from '../../src/history/ndjson.js';

async function* chunks(text: string, size: number) {
  const bytes = Buffer.from(text);
  for (let i = 0; i < bytes.length; i += size) yield bytes.subarray(i, i + size);
}
async function collect<T>(source: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const item of source) out.push(item);
  return out;
}

test('lines split across any chunk size come out whole; an overlong one is dropped unread', async () => {
  const text = `a\nbb\n${'x'.repeat(50)}\nccc\nlast`;
  for (const size of [1, 2, 3, 7, 64, 1000]) {
    assert.deepEqual(
      await collect(linesOf(chunks(text, size), 10)),
      ['a', 'bb', null, 'ccc', 'last'],
      `chunks of ${size}`,
    );
  }
  assert.deepEqual(
    await collect(linesOf(chunks('é\n', 1), 10)),
    ['é'],
    'a character split across chunks',
  );
  assert.deepEqual(
    await collect(linesOf(chunks(`${'y'.repeat(20)}`, 4), 10)),
    [null],
    'an overlong last line',
  );
});

test('an import skips lines it cannot use and counts them; the records around them are read', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'bluehook-ndjson-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const record = (id: string) =>
    JSON.stringify({
      id,
      direction: 'in',
      time: '2026-01-01T00:00:00.000Z',
      event: 'TODO_CREATED',
      method: 'POST',
      url: '/',
      headers: {},
      body: '{}',
      bodyEncoding: 'utf8',
    });
  const file = join(dir, 'log.ndjson');
  writeFileSync(
    file,
    [
      record('d1'),
      `{"id":"huge","pad":"${'z'.repeat(5000)}"}`,
      'garbage',
      record('d2'),
      '{"id":"no-time"}',
      '',
    ].join('\r\n'),
  );
  const stats: ImportStats = { read: 0, added: 0, skipped: 0, problems: [] };
  const ids = (await collect(readNdjson(file, stats, 1024))).map((r) => r.id);
  assert.deepEqual(ids, ['d1', 'd2']);
  assert.deepEqual(stats, {
    read: 2,
    added: 0,
    skipped: 3,
    problems: [
      { line: 2, reason: 'longer than 1024 bytes' },
      { line: 3, reason: 'not JSON (a torn or garbled line)' },
      { line: 5, reason: 'direction is missing' },
    ],
  });
});
