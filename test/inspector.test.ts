/**
 * The inspector in a real browser (Debian's Chromium driven by playwright-core), over a real
 * `listen --inspect`: deliveries listed, a new one arriving live, an invalid one's diagnosis, a
 * replay, a JSON syntax error located, keyboard navigation, and cross-site and rebinding requests
 * refused. Skipped, saying why, where there is no Chromium (CI installs it and requires it).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { historyRecords, hmac, tempDir, post, ROOT, runCli, startListen } from './helpers.js';

const CHROMIUM = process.env.BLUEHOOK_CHROMIUM ?? '/usr/bin/chromium';
const REQUIRE = process.env.BLUEHOOK_REQUIRE_BROWSER === '1';

async function browser() {
  const { chromium } = await import('playwright-core');
  return chromium.launch({
    executablePath: CHROMIUM,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-component-update',
      '--no-first-run',
      '--disable-sync',
    ],
  });
}

test('the inspector: live list, diagnosis, replay, syntax errors, keyboard, and refusals, in Chromium', {
  timeout: 120_000,
}, async (t) => {
  if (!existsSync(CHROMIUM)) {
    if (REQUIRE) throw new Error(`no Chromium at ${CHROMIUM}`);
    return t.skip(
      `no Chromium at ${CHROMIUM} (apt-get install -y chromium, or set BLUEHOOK_CHROMIUM)`,
    );
  }
  const dir = tempDir();
  const env = { BLUEHOOK_HOME: dir.path };
  const created = JSON.parse(
    (
      await runCli(
        [
          'create',
          '--name',
          'hook',
          '--url',
          'http://127.0.0.1:9/',
          '--secret',
          'whsec_inspectortestsecret',
          '--json',
        ],
        { env },
      )
    ).stdout,
  );
  const listen = await startListen(['--webhook', 'hook', '--inspect', '--inspect-port', '0'], env);
  const inspectorUrl = String(listen.lines().find((l) => l.type === 'ready')!.inspector);
  const b = await browser();
  const attacker = createServer((_req, res) => {
    // A page on another origin that tries to make the inspector send a request.
    res.writeHead(200, { 'content-type': 'text/html' }).end(`<script>
      fetch(${JSON.stringify(`${inspectorUrl}api/send`)}, { method: 'POST', mode: 'no-cors', headers: { 'content-type': 'text/plain' }, body: JSON.stringify({ url: 'http://127.0.0.1:9/', secret: 'x' }) }).finally(() => document.title = 'tried');
    </script>`);
  });
  try {
    const sign = (body: string) => ({ 'x-signature': hmac('whsec_inspectortestsecret', body) });
    const valid = (await runCli(['payload', 'TODO_CREATED', '--seed', '1'])).stdout.trim();
    const invalid = JSON.stringify({ event: 'TODO_MOVED', n: 2 });
    const broken = '{\n  "event": "COMMENT_CREATED",\n  "text": "oops",\n}';
    assert.equal((await post(listen.url, valid, sign(valid))).status, 200);
    assert.equal(
      (await post(listen.url, invalid, { 'x-signature': hmac('not-the-secret', invalid) })).status,
      401,
    );
    assert.equal((await post(listen.url, broken, sign(broken))).status, 400);

    const page = await b.newPage({ viewport: { width: 1400, height: 860 } });
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    page.on('console', (m) => m.type() === 'error' && errors.push(m.text()));
    await page.goto(inspectorUrl);
    await page.waitForSelector('#rows .row >> nth=2');
    assert.equal(await page.locator('#rows .row').count(), 3);
    await page.waitForSelector('#live.on');

    // Live: a delivery sent now appears without a reload.
    const live = JSON.stringify({ event: 'TAG_CREATED', n: 3 });
    const started = Date.now();
    assert.equal((await post(listen.url, live, sign(live))).status, 200);
    await page.waitForSelector('#rows .row:has-text("TAG_CREATED")', { timeout: 5000 });
    const arrivedMs = Date.now() - started;
    assert.ok(arrivedMs < 3000, `arrived live in ${arrivedMs} ms`);

    // The invalid one: its verdict and the diagnosis in words.
    await page.click('#rows .row:has-text("TODO_MOVED")');
    await page.waitForSelector('#detail .verdict.bad');
    const verdict = await page.textContent('#detail .verdict');
    assert.match(verdict!, /Invalid signature/);
    assert.match(verdict!, /secret is wrong/);
    assert.match(
      (await page.textContent('#detail'))!,
      /update of a record: A record was moved to another list/,
      'the event from the catalogue',
    );

    // Not JSON: the syntax error located.
    await page.click('#rows .row:has-text("(not JSON)")');
    await page.waitForSelector('#detail .json-error');
    assert.match((await page.textContent('#detail .json-error'))!, /line 4, column 1/);

    // Keyboard: j and k move the selection.
    await page.click('#rows .row >> nth=0');
    await page.keyboard.press('j');
    await page.waitForSelector('#rows .row[aria-selected="true"] >> nth=0');
    assert.equal(await page.locator('#rows .row >> nth=1').getAttribute('aria-selected'), 'true');

    // Diff: mark two deliveries (a click on the mark, then x on the selected row) and compare.
    await page.click('#rows .row:has-text("TAG_CREATED") .mark');
    await page.click('#rows .row:has-text("TODO_MOVED")');
    await page.keyboard.press('x');
    await page.click('#diff-open');
    await page.waitForSelector('#diff .dl.changed');
    // Side by side, JSON-aware: the changed paths, each side's value.
    const changed = await page.locator('#diff .dl.changed').allTextContents();
    assert.ok(
      changed.some((l) => /event: "TAG_CREATED"/.test(l) && /event: "TODO_MOVED"/.test(l)),
      changed.join('\n'),
    );
    assert.ok(
      changed.some((l) => /n: 2/.test(l) && /n: 3/.test(l)),
      changed.join('\n'),
    );
    await page.keyboard.press('Escape');
    await page.waitForSelector('#diff', { state: 'detached' });

    // Replay the valid delivery back to the listener: answered, recorded as a replay, shown live.
    await page.click('#rows .row:has-text("TODO_CREATED")');
    await page.waitForSelector('#detail .verdict:not(.bad)');
    await page.screenshot({ path: join(ROOT, 'dist', 'inspector.png') });
    await page.click('#detail button:has-text("Replay")');
    await page.fill('#dialog input[name=to]', listen.url);
    await page.click('#dialog-go');
    await page.waitForSelector('#dialog-result:has-text("answered 200")', { timeout: 10_000 });
    const replayId = /recorded as (d\w+)/.exec((await page.textContent('#dialog-result'))!)![1]!;
    await page.click('#dialog button[value=cancel]');
    await page.waitForSelector(`#rows .row[data-id="${replayId}"]`, { timeout: 5000 });
    const records = historyRecords(dir.path);
    const replay = records.find((r) => r.id === replayId)!;
    assert.equal(replay.direction, 'out');
    assert.ok(replay.replayOf, 'linked to the original');
    assert.equal(Buffer.from(replay.body).toString(), valid, 'the original bytes');
    assert.ok(
      records.some((r) => r.direction === 'in' && r.body === valid && r.id !== replay.replayOf),
      'and the listener received it again',
    );

    // A page on another origin cannot make the inspector act; nor can a rebinding Host name.
    await new Promise<void>((r) => attacker.listen(0, '127.0.0.1', r));
    const before = historyRecords(dir.path).length;
    const evil = await b.newPage();
    await evil.goto(`http://127.0.0.1:${(attacker.address() as AddressInfo).port}/`);
    await evil.waitForFunction('document.title === "tried"');
    await new Promise((r) => setTimeout(r, 500));
    assert.equal(
      historyRecords(dir.path).length,
      before,
      'the cross-site request was refused: nothing sent',
    );
    const crossSite = await post(
      `${inspectorUrl}api/send`,
      JSON.stringify({ url: 'http://127.0.0.1:9/' }),
      { origin: 'http://evil.example', 'content-type': 'application/json' },
    );
    assert.equal(crossSite.status, 403);
    const noToken = await post(`${inspectorUrl}api/replay`, JSON.stringify({ id: replayId }), {
      origin: inspectorUrl.replace(/\/$/, ''),
      'content-type': 'application/json',
    });
    assert.equal(noToken.status, 403, "the right Origin without the run's token is refused too");
    const rebound = await post(
      `${inspectorUrl}api/meta`,
      '',
      { host: `attacker.example:${new URL(inspectorUrl).port}` },
      'GET',
    );
    assert.equal(rebound.status, 403);
    // Secrets never reach the page.
    const meta = await (await fetch(`${inspectorUrl}api/meta`)).text();
    assert.ok(!meta.includes('whsec_inspectortestsecret') && meta.includes(created.id));
    assert.deepEqual(errors, [], 'no error in the page');
  } finally {
    await b.close();
    attacker.close();
    listen.child.kill('SIGKILL');
    dir.cleanup();
  }
});
