/**
 * Hostile clients, limits, words on the terminal (issue 25, items 8–14): each a thing a user or a
 * hostile local program did, run against the built CLI as a user would.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { post, type ReadyProcess, runCli, startReady, tempDir } from './helpers.js';

test('--set: an array index past the limit is one line and exit 2, in the CLI and in the inspector compose', async (t) => {
  // A cap on the child's heap: without the bound, [200000000] grew to 2.3 GB before V8 died.
  const env = { NODE_OPTIONS: '--max-old-space-size=256' };
  for (const index of ['200000000', '99999999999', '10001']) {
    const r = await runCli(
      ['payload', 'TODO_CREATED', '--seed', '1', '--set', `currentValue.todoTags[${index}]=1`],
      { env },
    );
    assert.equal(r.code, 2, `[${index}]: ${r.stderr}`);
    assert.equal(r.stdout, '');
    assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
    assert.match(r.stderr, new RegExp(`index ${index} .*past the limit of 10000`));
  }
  // The same through the dotted form, and in a nested array on the way to a field.
  const nested = await runCli(
    ['payload', 'TODO_CREATED', '--set', 'currentValue.todoTags.50000.title=x'],
    { env },
  );
  assert.equal(nested.code, 2, nested.stderr);
  // At the limit it is allowed: the items before it are null.
  const ok = await runCli(
    ['payload', 'TODO_CREATED', '--seed', '1', '--set', 'currentValue.todoTags[10000]=1'],
    { env },
  );
  assert.equal(ok.code, 0, ok.stderr);
  const tags = JSON.parse(ok.stdout).currentValue.todoTags as unknown[];
  assert.equal(tags.length, 10_001);
  assert.equal(tags[10_000], 1);

  // The page's Compose goes through the same parser: 400, and the inspector keeps answering.
  const dir = tempDir();
  t.after(dir.cleanup);
  const inspect = await startReady(['inspect', '--port', '0'], {
    BLUEHOOK_HOME: dir.path,
    ...env,
  });
  t.after(() => stop(inspect));
  const { token, origin } = await pageToken(inspect.url);
  const composed = await post(
    `${inspect.url}api/send`,
    JSON.stringify({
      event: 'TODO_CREATED',
      set: ['currentValue.todoTags[200000000]=1'],
      url: 'http://127.0.0.1:9/',
      secret: 'k',
    }),
    { origin, 'x-bluehook-token': token },
  );
  assert.equal(composed.status, 400, composed.text);
  assert.match(JSON.parse(composed.text).error, /past the limit of 10000/);
  assert.equal((await fetch(`${inspect.url}api/meta`)).status, 200);
});

async function pageToken(base: string): Promise<{ token: string; origin: string }> {
  const html = await (await fetch(base)).text();
  return {
    token: /name="bluehook-token" content="([^"]+)"/.exec(html)![1]!,
    origin: base.replace(/\/$/, ''),
  };
}

async function stop(p: ReadyProcess): Promise<void> {
  if (p.child.exitCode === null && p.child.signalCode === null) p.child.kill('SIGTERM');
  await p.exited;
}
