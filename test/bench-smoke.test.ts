import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { ROOT } from './helpers.js';

// Not a timing test: it only keeps the benchmark suite runnable (tiny counts, every measurement once).
test('the benchmark suite runs end to end in smoke mode and reports every row', async () => {
  const { stdout } = await promisify(execFile)(
    process.execPath,
    [join(ROOT, 'dist', 'bench', 'run.js'), '--smoke'],
    { cwd: ROOT, timeout: 180_000 },
  );
  const file = /results: (.+)\n/.exec(stdout)![1]!;
  const results = JSON.parse(readFileSync(file, 'utf8'));
  rmSync(file);
  assert.equal(results.smoke, true);
  const names = results.rows.map((r: { what: string }) => r.what).join('\n');
  for (const what of [
    '--version',
    '--help',
    'payload TODO_CREATED',
    'per second (library)',
    'send --count',
    'listen',
    '`listen --workers 2`',
    'diagnostic: the floor',
    '`listen --no-record`',
    'into PostgreSQL',
    'replay',
    'deliveries show <id>',
    'deliveries list --event',
    'store size per recorded delivery',
    'inspector: first page',
    'inspector: live view',
    'peak memory of `listen`',
    'peak memory of `deliveries list`',
    '`relay` accepted deliveries/s',
    '`relay` resident memory',
  ]) {
    assert.ok(names.includes(what), `row for ${what}`);
  }
  assert.match(stdout, /\| what \| measured \| reference \|/);
  // The load rows say which load generator measured them and where the time went.
  for (const row of results.rows.filter(
    (r: { what: string }) =>
      /^`(listen|send) --?/.test(r.what) || /^`listen` answered/.test(r.what),
  ))
    assert.match(`${row.what} ${row.target}`, /wrk|autocannon/, row.what);
  for (const what of [/^`listen` answered/, /^`send --count/]) {
    const row = results.rows.find((r: { what: string }) => what.test(r.what));
    assert.match(row.note, /profile: [^,]+ \d+%/, row.what);
  }
  // The listen row says what a request cost the server in CPU, beside the floor and the bare server.
  const listenRow = results.rows.find((r: { what: string }) => /^`listen` answered/.test(r.what));
  assert.match(listenRow.note, /CPU a request .*floor .*bare server/);
});
