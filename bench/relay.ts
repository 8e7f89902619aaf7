/**
 * The relay's figures (issue 21): its accept rate against `listen`'s on the same host (both verify
 * and commit to SQLite before answering), and its resident memory while it holds 1,000 idle
 * subscriber streams. Registered in run.ts's sections as `relay`. Load goes to 127.0.0.1 only.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildPayload, serializeBody } from '../src/blue/payload.js';
import { cliStdout, hmac, median, stopProcess } from '../test/shared.js';

export interface BenchRow {
  what: string;
  measured: string;
  reference: string;
  ratio: number | null;
  spread: string;
  target: string;
  met: boolean | null;
  note?: string;
}

function startProcess(bin: string, args: string[], env: Record<string, string>) {
  const child = spawn(process.execPath, [bin, ...args], {
    env: { ...process.env, NO_COLOR: '1', ...env },
    stdio: ['ignore', 'pipe', 'ignore'],
  });
  return new Promise<{ child: ChildProcess; url: string }>((resolve, reject) => {
    let out = '';
    const onData = (d: Buffer) => {
      out += d;
      const m = /"url":"([^"]+)"/.exec(out);
      if (m) {
        child.stdout!.off('data', onData);
        child.stdout!.resume(); // drained and dropped: holding it would load this process
        resolve({ child, url: m[1]! });
      }
    };
    child.stdout!.on('data', onData);
    child.on('close', () => reject(new Error(`exited before it was ready: ${args.join(' ')}`)));
  });
}

const body = Buffer.from(serializeBody(buildPayload('TODO_CREATED', { seed: 'bench' })));
const signature = hmac('s', body);

async function accepted(url: string, amount: number): Promise<{ rps: number; ok: number }> {
  const { default: ac } = await import('autocannon');
  const started = performance.now();
  let last = started;
  let responses = 0;
  const instance = ac({
    url,
    method: 'POST',
    body,
    headers: { 'content-type': 'application/json', 'x-signature': signature },
    connections: 50,
    amount,
  });
  instance.on('response', () => {
    responses++;
    last = performance.now();
  });
  const result = await instance;
  return {
    rps: responses / ((last - started) / 1000),
    ok: result.statusCodeStats['200']?.count ?? 0,
  };
}

const rssKiB = (pid: number) =>
  Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? Number.NaN);

/** Opens an SSE stream and resolves once its `live` event arrived (the backlog is sent). */
function subscribe(url: string, token: string, subscriber: string) {
  return new Promise<() => void>((resolve, reject) => {
    const req = request(
      `${url}?subscriber=${subscriber}`,
      { headers: { authorization: `Bearer ${token}`, accept: 'text/event-stream' } },
      (res) => {
        if (res.statusCode !== 200) return reject(new Error(`stream answered ${res.statusCode}`));
        let text = '';
        res.on('data', (d) => {
          text += d;
          if (text.includes('event: live')) {
            text = '';
            resolve(() => req.destroy());
          }
        });
      },
    );
    req.on('error', reject);
    req.end();
  });
}

export async function relayBench(options: {
  bin: string;
  smoke: boolean;
  rounds: number;
}): Promise<BenchRow[]> {
  const rows: BenchRow[] = [];
  const amount = options.smoke ? 300 : 20_000;
  const relayRates: number[] = [];
  const listenRates: number[] = [];
  let allOk = true;
  for (let round = 0; round < options.rounds; round++) {
    const listenHome = mkdtempSync(join(tmpdir(), 'bluehook-bench-'));
    const listen = await startProcess(
      options.bin,
      ['listen', '--port', '0', '--secret', 's', '--json'],
      { BLUEHOOK_HOME: listenHome },
    );
    const l = await accepted(listen.url, amount);
    await stopProcess(listen.child);
    rmSync(listenHome, { recursive: true, force: true });
    listenRates.push(l.rps);

    const relayHome = mkdtempSync(join(tmpdir(), 'bluehook-bench-'));
    const env = { BLUEHOOK_HOME: relayHome };
    const channel = JSON.parse(
      await cliStdout(
        options.bin,
        ['relay', 'channel', 'create', 'bench', '--secret', 's', '--json'],
        env,
      ),
    ) as { path: string };
    const relay = await startProcess(
      options.bin,
      [
        'relay',
        '--port',
        '0',
        '--host',
        '127.0.0.1',
        '--json',
        '--rate-per-address',
        '0',
        '--rate-per-channel',
        '0',
      ],
      env,
    );
    const r = await accepted(`${relay.url}${channel.path}`, amount);
    await stopProcess(relay.child);
    rmSync(relayHome, { recursive: true, force: true });
    relayRates.push(r.rps);
    if (r.ok !== amount || l.ok !== amount) allOk = false;
  }
  const ratios = relayRates.map((r, i) => r / listenRates[i]!);
  rows.push({
    what: '`relay` accepted deliveries/s under autocannon (verify + commit to SQLite), against `listen` on the same host',
    measured: `${median(relayRates).toFixed(0)} /s`,
    reference: `${median(listenRates).toFixed(0)} /s`,
    ratio: median(ratios),
    spread: `${Math.min(...ratios).toFixed(2)}..${Math.max(...ratios).toFixed(2)}`,
    target: '>= 0.7x listen',
    met: allOk && median(ratios) >= 0.7,
    note: allOk ? 'every request answered 200 on both' : 'SOME REQUESTS NOT ANSWERED 200',
  });

  // Memory with idle subscribers: 10 channels x 100 streams, each caught up and waiting.
  const subscribers = options.smoke ? 50 : 1000;
  const home = mkdtempSync(join(tmpdir(), 'bluehook-bench-'));
  const env = { BLUEHOOK_HOME: home };
  const channels: Array<{ path: string; token: string }> = [];
  for (let c = 0; c < 10; c++)
    channels.push(
      JSON.parse(
        await cliStdout(options.bin, ['relay', 'channel', 'create', `c${c}`, '--json'], env),
      ) as { path: string; token: string },
    );
  const relay = await startProcess(
    options.bin,
    ['relay', '--port', '0', '--host', '127.0.0.1', '--json', '--rate-per-address', '0'],
    env,
  );
  // Each channel holds a few deliveries, so every stream has sent a backlog before it idles.
  for (const ch of channels)
    for (let i = 0; i < 3; i++)
      await new Promise<void>((resolve, reject) => {
        const req = request(`${relay.url}${ch.path}`, { method: 'POST' }, (res) => {
          res.resume();
          res.on('end', resolve);
        });
        req.on('error', reject);
        req.end(body);
      });
  await new Promise((r) => setTimeout(r, 500));
  const before = rssKiB(relay.child.pid!);
  const closers: Array<() => void> = [];
  for (let i = 0; i < subscribers; i += 50)
    closers.push(
      ...(await Promise.all(
        Array.from({ length: Math.min(50, subscribers - i) }, (_, k) => {
          const ch = channels[(i + k) % channels.length]!;
          return subscribe(`${relay.url}${ch.path}`, ch.token, `s${i + k}`);
        }),
      )),
    );
  await new Promise((r) => setTimeout(r, 1000));
  const held = rssKiB(relay.child.pid!);
  for (const close of closers) close();
  await stopProcess(relay.child);
  rmSync(home, { recursive: true, force: true });
  const perSubscriber = (held - before) / subscribers;
  rows.push({
    what: `\`relay\` resident memory holding ${subscribers} idle subscriber streams (10 channels)`,
    measured: `${(held / 1024).toFixed(1)} MiB`,
    reference: `${(before / 1024).toFixed(1)} MiB (no subscriber)`,
    ratio: held / before,
    spread: '-',
    target: 'report (<= 256 MiB)',
    met: held / 1024 <= 256,
    note: `${perSubscriber.toFixed(1)} KiB a subscriber`,
  });
  return rows;
}
