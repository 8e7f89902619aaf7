/**
 * Drift in the inspector, in a real browser (Chromium through playwright-core) over a real
 * `listen --inspect`: a badge on the drifting row, the differences in its detail, the Schema filter;
 * and listen's --json line and --no-drift. Skipped, saying why, where there is no Chromium.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { buildPayload } from '../src/blue/payload.js';
import { hmac, post, startListen, tempDir } from './helpers.js';

const CHROMIUM = process.env.BLUEHOOK_CHROMIUM ?? '/usr/bin/chromium';
const REQUIRE = process.env.BLUEHOOK_REQUIRE_BROWSER === '1';

const bodies = () => {
  const removed = buildPayload('TODO_CREATED', { seed: 21 });
  delete (removed.currentValue as Record<string, unknown>).title;
  const added = buildPayload('TAG_UPDATED', { seed: 22 });
  (added.currentValue as Record<string, unknown>).emoji = '🔥';
  const clean = buildPayload('COMMENT_CREATED', { seed: 23 });
  return [removed, added, clean].map((b) => JSON.stringify(b));
};

test('listen --json puts the drift report in the delivery line; --no-drift leaves it out', async () => {
  for (const [args, expected] of [
    [[], ['warning', 'info', null]],
    [['--no-drift'], [null, null, null]],
  ] as const) {
    const dir = tempDir();
    const listen = await startListen(['--secret', 's', '--no-record', ...args], {
      BLUEHOOK_HOME: dir.path,
    });
    try {
      for (const body of bodies())
        assert.equal(
          (await post(listen.url, body, { 'x-signature': hmac('s', body) })).status,
          200,
        );
    } finally {
      listen.child.kill('SIGINT');
      await listen.exited;
      dir.cleanup();
    }
    const lines = listen.lines().filter((l) => l.type === 'delivery');
    assert.deepEqual(
      lines.map((l) => (l.drift as { level?: string } | null)?.level ?? null),
      expected,
      `listen ${args.join(' ')}`,
    );
    if (!args.length)
      assert.deepEqual((lines[0]!.drift as { issues: unknown[] }).issues, [
        { path: 'currentValue.title', kind: 'missing', expected: 'title' },
      ]);
  }
});

test('the inspector marks a drifting delivery, lists its differences and filters on them, in Chromium', {
  timeout: 120_000,
}, async (t) => {
  if (!existsSync(CHROMIUM)) {
    if (REQUIRE) throw new Error(`no Chromium at ${CHROMIUM}`);
    return t.skip(`no Chromium at ${CHROMIUM}`);
  }
  const dir = tempDir();
  const listen = await startListen(['--secret', 's', '--inspect', '--inspect-port', '0'], {
    BLUEHOOK_HOME: dir.path,
  });
  const { chromium } = await import('playwright-core');
  const b = await chromium.launch({
    executablePath: CHROMIUM,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run'],
  });
  try {
    for (const body of bodies())
      assert.equal((await post(listen.url, body, { 'x-signature': hmac('s', body) })).status, 200);
    const inspectorUrl = String(listen.lines().find((l) => l.type === 'ready')!.inspector);
    const page = await b.newPage({ viewport: { width: 1400, height: 860 } });
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    await page.goto(inspectorUrl);
    await page.waitForSelector('#rows .row >> nth=2');
    const row = (event: string) => page.locator(`#rows .row:has-text("${event}")`);
    assert.equal(await row('TODO_CREATED').locator('.badge.drift-warning').textContent(), 'drift');
    assert.equal(await row('TAG_UPDATED').locator('.badge.drift-info').textContent(), 'new keys');
    assert.equal(await row('COMMENT_CREATED').locator('.badge').count(), 0);

    await row('TODO_CREATED').click();
    await page.waitForSelector('#detail .drift-warning');
    assert.match((await page.textContent('#detail'))!, /drift\s*drift currentValue\.title missing/);

    await page.selectOption('select[name=drift]', 'warning');
    await page.waitForFunction(
      // Runs in the page (this file is compiled without the DOM's types).
      (n) => (globalThis as any).document.querySelectorAll('#rows .row').length === n,
      1,
    );
    assert.match((await page.textContent('#rows'))!, /TODO_CREATED/);
    await page.selectOption('select[name=drift]', 'any');
    await page.waitForFunction(
      // Runs in the page (this file is compiled without the DOM's types).
      (n) => (globalThis as any).document.querySelectorAll('#rows .row').length === n,
      2,
    );
    assert.deepEqual(errors, []);
  } finally {
    await b.close();
    listen.child.kill('SIGINT');
    await listen.exited;
    dir.cleanup();
  }
});
