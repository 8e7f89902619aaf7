/**
 * The inspector in a real browser (Debian's Chromium driven by playwright-core), over a real
 * `listen --inspect`: deliveries listed, a new one arriving live, an invalid one's diagnosis, a
 * replay, a JSON syntax error located, keyboard navigation, and cross-site and rebinding requests
 * refused. Skipped, saying why, where there is no Chromium (CI installs it and requires it).
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import {
  historyRecords,
  hmac,
  post,
  type ReadyProcess,
  ROOT,
  runCli,
  startListen,
  tempDir,
} from './helpers.js';

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

// One listener, one browser, one page for the whole file; each test is one feature, in the
// order a person would try them (later ones use what earlier ones recorded).
const missing = !existsSync(CHROMIUM);
if (missing && REQUIRE) throw new Error(`no Chromium at ${CHROMIUM}`);
const skip = missing
  ? `no Chromium at ${CHROMIUM} (apt-get install -y chromium, or set BLUEHOOK_CHROMIUM)`
  : false;

describe('the inspector in Chromium', { skip, timeout: 120_000 }, () => {
  const sign = (body: string) => ({ 'x-signature': hmac('whsec_inspectortestsecret', body) });
  const errors: string[] = [];
  let dir: ReturnType<typeof tempDir>;
  let created: { id: string };
  let listen: ReadyProcess;
  let inspectorUrl: string;
  let b: Browser;
  let attacker: Server;
  let page: Page;
  let valid: string;
  let replayId: string;

  before(async () => {
    dir = tempDir();
    const env = { BLUEHOOK_HOME: dir.path };
    created = JSON.parse(
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
    listen = await startListen(['--webhook', 'hook', '--inspect', '--inspect-port', '0'], env);
    inspectorUrl = String(listen.lines().find((l) => l.type === 'ready')!.inspector);
    b = await browser();
    attacker = createServer((_req, res) => {
      // A page on another origin that tries to make the inspector send a request.
      res.writeHead(200, { 'content-type': 'text/html' }).end(`<script>
        fetch(${JSON.stringify(`${inspectorUrl}api/send`)}, { method: 'POST', mode: 'no-cors', headers: { 'content-type': 'text/plain' }, body: JSON.stringify({ url: 'http://127.0.0.1:9/', secret: 'x' }) }).finally(() => document.title = 'tried');
      </script>`);
    });
  });

  after(async () => {
    await b?.close();
    attacker?.close();
    listen?.child.kill('SIGKILL');
    dir?.cleanup();
  });

  test('lists what was recorded: valid, invalid and not JSON', async () => {
    valid = (await runCli(['payload', 'TODO_CREATED', '--seed', '1'])).stdout.trim();
    const invalid = JSON.stringify({ event: 'TODO_MOVED', n: 2 });
    const broken = '{\n  "event": "COMMENT_CREATED",\n  "text": "oops",\n}';
    assert.equal((await post(listen.url, valid, sign(valid))).status, 200);
    assert.equal(
      (await post(listen.url, invalid, { 'x-signature': hmac('not-the-secret', invalid) })).status,
      401,
    );
    assert.equal((await post(listen.url, broken, sign(broken))).status, 400);

    page = await b.newPage({ viewport: { width: 1400, height: 860 } });
    page.on('pageerror', (e) => errors.push(e.message));
    page.on('console', (m) => m.type() === 'error' && errors.push(m.text()));
    await page.goto(inspectorUrl);
    await page.waitForSelector('#rows .row >> nth=2');
    assert.equal(await page.locator('#rows .row').count(), 3);
    await page.waitForSelector('#live.on');
  });

  test('shows a delivery live, without a reload', async () => {
    // Live: a delivery sent now appears without a reload.
    // What the page asks for meanwhile: the row must come down the open stream, not with a
    // list fetched again (nor a page loaded again).
    const asked: string[] = [];
    const onRequest = (r: import('playwright-core').Request) => {
      if (r.isNavigationRequest() || /\/api\/(deliveries|stream)\?/.test(r.url()))
        asked.push(r.url());
    };
    page.on('request', onRequest);
    const live = JSON.stringify({ event: 'TAG_CREATED', n: 3 });
    assert.equal((await post(listen.url, live, sign(live))).status, 200);
    await page.waitForSelector('#rows .row:has-text("TAG_CREATED")');
    page.off('request', onRequest);
    assert.deepEqual(asked, [], 'no page loaded, no list fetched, no stream opened again');
  });

  test("an invalid delivery's verdict and the diagnosis in words", async () => {
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
  });

  test('a body that is not JSON: the syntax error located', async () => {
    // Not JSON: the syntax error located.
    await page.click('#rows .row:has-text("(not JSON)")');
    await page.waitForSelector('#detail .json-error');
    assert.match((await page.textContent('#detail .json-error'))!, /line 4, column 1/);
  });

  test('keyboard: j and k move the selection', async () => {
    // Keyboard: j and k move the selection.
    await page.click('#rows .row >> nth=0');
    await page.keyboard.press('j');
    await page.waitForSelector('#rows .row[aria-selected="true"] >> nth=0');
    assert.equal(await page.locator('#rows .row >> nth=1').getAttribute('aria-selected'), 'true');
  });

  test('diff of two deliveries', async () => {
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
  });

  test('replay back to the listener: answered, recorded as a replay, shown live', async () => {
    // Replay the valid delivery back to the listener: answered, recorded as a replay, shown live.
    await page.click('#rows .row:has-text("TODO_CREATED")');
    await page.waitForSelector('#detail .verdict:not(.bad)');
    await page.screenshot({ path: join(ROOT, 'dist', 'inspector.png') });
    await page.click('#detail button:has-text("Replay")');
    await page.fill('#dialog input[name=to]', listen.url);
    await page.click('#dialog-go');
    await page.waitForSelector('#dialog-result:has-text("answered 200")');
    replayId = /recorded as (d\w+)/.exec((await page.textContent('#dialog-result'))!)![1]!;
    await page.click('#dialog button[value=cancel]');
    await page.waitForSelector(`#rows .row[data-id="${replayId}"]`);
    const records = historyRecords(dir.path);
    const replay = records.find((r) => r.id === replayId)!;
    assert.equal(replay.direction, 'out');
    assert.ok(replay.replayOf, 'linked to the original');
    assert.equal(Buffer.from(replay.body).toString(), valid, 'the original bytes');
    assert.ok(
      records.some((r) => r.direction === 'in' && r.body === valid && r.id !== replay.replayOf),
      'and the listener received it again',
    );
  });

  test('refusals: cross-site, without the token, a rebinding Host; no secret reaches the page', async () => {
    // A page on another origin cannot make the inspector act; nor can a rebinding Host name.
    await new Promise<void>((r) => attacker.listen(0, '127.0.0.1', r));
    const recordedBefore = historyRecords(dir.path).length;
    const evil = await b.newPage();
    await evil.goto(`http://127.0.0.1:${(attacker.address() as AddressInfo).port}/`);
    // The title is set once the inspector answered the page's request, and the inspector answers
    // a send only after it recorded it: by then anything the request did is in the history.
    await evil.waitForFunction('document.title === "tried"');
    assert.equal(
      historyRecords(dir.path).length,
      recordedBefore,
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
  });

  test('no error in the page', () => {
    assert.deepEqual(errors, [], 'no error in the page');
  });
});
