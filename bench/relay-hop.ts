/**
 * The relay hop (issue 21), from the laptop's side: a sender posting to the relay with
 * `listen --relay` forwarding to a local app, against the same sender posting straight to
 * `listen --forward-to` the same app. Added latency (p50, p99: sender's first byte to the app's
 * receipt, one delivery at a time), throughput (a burst, until the app has every one), and the
 * catch-up of deliveries queued while the listener was away. 127.0.0.1 only. Registered in run.ts.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, request, Agent } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { cliStdout, hmac, stopProcess } from '../test/shared.js';
import type { BenchRow } from './relay.js';

const SECRET = 's';
const agent = new Agent({ keepAlive: true, maxSockets: 32 });

const quantile = (xs: number[], q: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(q * s.length))]!;
};
const median = (xs: number[]) => quantile(xs, 0.5);

/** A bluehook process printing JSON lines; resolves with it once `ready(line)` says so. */
function start(
  bin: string,
  args: string[],
  env: Record<string, string>,
  ready: (line: Record<string, unknown>) => boolean,
  onLine?: (line: Record<string, unknown>) => void,
) {
  const child = spawn(process.execPath, [bin, ...args], {
    env: { ...process.env, NO_COLOR: '1', ...env },
    stdio: ['ignore', 'pipe', 'ignore'],
  });
  return new Promise<{ child: ChildProcess; first: Record<string, unknown> }>((resolve, reject) => {
    let rest = '';
    let done = false;
    child.stdout!.setEncoding('utf8');
    child.stdout!.on('data', (d: string) => {
      const lines = (rest + d).split('\n');
      rest = lines.pop()!;
      for (const l of lines) {
        if (!l.startsWith('{')) continue;
        const line = JSON.parse(l) as Record<string, unknown>;
        onLine?.(line);
        if (!done && ready(line)) {
          done = true;
          resolve({ child, first: line });
        }
      }
    });
    child.on('close', () => reject(new Error(`exited before it was ready: ${args.join(' ')}`)));
  });
}

function post(url: string, n: number): Promise<number> {
  const body = JSON.stringify({ event: 'TODO_CREATED', n, data: { title: `todo ${n}` } });
  return new Promise((resolve, reject) => {
    const req = request(
      url,
      {
        method: 'POST',
        agent,
        headers: {
          'content-type': 'application/json',
          'x-signature': hmac(SECRET, body),
        },
      },
      (res) => {
        res.resume();
        res.on('end', () => resolve(res.statusCode!));
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

/** The local app: notes when each delivery (by its `n`) arrived. */
async function startApp() {
  const arrived = new Map<number, number>();
  let waiting: { count: number; resolve: () => void } | undefined;
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const { n } = JSON.parse(Buffer.concat(chunks).toString()) as { n: number };
      arrived.set(n, performance.now());
      res.writeHead(200).end('ok');
      if (waiting && arrived.size >= waiting.count) waiting.resolve();
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`;
  return {
    url,
    arrived,
    /** Resolves once `count` deliveries arrived in all. */
    until: (count: number) =>
      new Promise<void>((resolve) => {
        if (arrived.size >= count) return resolve();
        waiting = { count, resolve };
      }),
    close: () => new Promise<void>((r) => server.close(() => r())),
  };
}

type App = Awaited<ReturnType<typeof startApp>>;

/** One at a time: sender's start to the app's receipt, in ms. */
async function latencies(entry: string, app: App, from: number, count: number): Promise<number[]> {
  const out: number[] = [];
  for (let n = from; n < from + count; n++) {
    const started = performance.now();
    const arrived = app.until(app.arrived.size + 1);
    await post(entry, n);
    await arrived;
    out.push(app.arrived.get(n)! - started);
  }
  return out;
}

/** A burst with 16 in flight; deliveries per second until the app has every one. */
async function burst(entry: string, app: App, from: number, count: number): Promise<number> {
  const started = performance.now();
  const all = app.until(app.arrived.size + count);
  let next = from;
  const worker = async () => {
    while (next < from + count) await post(entry, next++);
  };
  await Promise.all(Array.from({ length: 16 }, worker));
  await all;
  return count / ((performance.now() - started) / 1000);
}

const RELAY_FLAGS = ['--port', '0', '--host', '127.0.0.1', '--json'];
const NO_LIMITS = ['--rate-per-address', '0', '--rate-per-channel', '0'];

async function relayWithChannel(bin: string, home: string) {
  const env = { BLUEHOOK_HOME: home };
  const channel = JSON.parse(
    await cliStdout(bin, ['relay', 'channel', 'create', 'bench', '--json'], env),
  ) as { path: string; token: string };
  const relay = await start(
    bin,
    ['relay', ...RELAY_FLAGS, ...NO_LIMITS],
    env,
    (l) => l.type === 'ready',
  );
  return {
    relay: relay.child,
    url: `${relay.first.url as string}${channel.path}`,
    token: channel.token,
  };
}

export async function relayHopBench(options: { bin: string; smoke: boolean }): Promise<BenchRow[]> {
  const { bin, smoke } = options;
  const rows: BenchRow[] = [];
  const singles = smoke ? 20 : 500;
  const burstSize = smoke ? 100 : 3000;
  const dirs: string[] = [];
  const temp = () => {
    const d = mkdtempSync(join(tmpdir(), 'bluehook-bench-'));
    dirs.push(d);
    return d;
  };
  try {
    // Straight: sender → listen --forward-to app.
    const app = await startApp();
    const direct = await start(
      bin,
      ['listen', '--port', '0', '--secret', SECRET, '--forward-to', app.url, '--json'],
      { BLUEHOOK_HOME: temp() },
      (l) => l.type === 'ready',
    );
    const directUrl = direct.first.url as string;
    await latencies(directUrl, app, 0, 20); // warm-up
    const directLat = await latencies(directUrl, app, 1000, singles);
    const directRate = await burst(directUrl, app, 100_000, burstSize);
    await stopProcess(direct.child);

    // Through the relay: sender → relay → listen --relay --forward-to app.
    const { relay, url, token } = await relayWithChannel(bin, temp());
    const hopHome = temp();
    const hop = await start(
      bin,
      ['listen', '--relay', url, '--secret', SECRET, '--forward-to', app.url, '--json'],
      { BLUEHOOK_HOME: hopHome, BLUEHOOK_RELAY_TOKEN: token },
      (l) => l.type === 'relay' && l.state === 'live',
    );
    await latencies(url, app, 200_000, 20); // warm-up
    const hopLat = await latencies(url, app, 201_000, singles);
    const hopRate = await burst(url, app, 300_000, burstSize);
    await stopProcess(hop.child);
    await app.close();

    const p50 = median(hopLat) - median(directLat);
    const p99 = quantile(hopLat, 0.99) - quantile(directLat, 0.99);
    rows.push({
      what: 'relay hop: added latency p50 / p99 (sender → relay → `listen --relay` → app, against sender → `listen` → app; one at a time)',
      measured: `+${p50.toFixed(2)} / +${p99.toFixed(2)} ms (hop ${median(hopLat).toFixed(2)} / ${quantile(hopLat, 0.99).toFixed(2)} ms)`,
      reference: `direct ${median(directLat).toFixed(2)} / ${quantile(directLat, 0.99).toFixed(2)} ms`,
      ratio: median(hopLat) / median(directLat),
      spread: `${singles} deliveries each`,
      target: 'p99 added <= 5 ms',
      met: p99 <= 5,
    });
    rows.push({
      what: 'relay hop: throughput to the app (16 senders in flight, until the app has every one)',
      measured: `${hopRate.toFixed(0)} /s`,
      reference: `${directRate.toFixed(0)} /s direct`,
      ratio: hopRate / directRate,
      spread: `${burstSize} deliveries each`,
      target: '-',
      met: null,
    });

    // Catch-up: deliveries queued while no listener was connected, then one connects.
    const queued = smoke ? 500 : 10_000;
    let sent = 0;
    const worker = async () => {
      while (sent < queued) await post(url, 400_000 + sent++);
    };
    await Promise.all(Array.from({ length: 16 }, worker));
    // The same listener (subscriber and history) coming back: it resumes after what it acknowledged.
    const total = queued;
    let connectedAt = 0;
    let records = 0;
    let lastAt = 0;
    let allIn: () => void = () => undefined;
    const finished = new Promise<void>((resolve) => (allIn = resolve));
    const catchUp = await start(
      bin,
      ['listen', '--relay', url, '--secret', SECRET, '--json'],
      { BLUEHOOK_HOME: hopHome, BLUEHOOK_RELAY_TOKEN: token },
      (l) => l.type === 'relay' && l.state === 'connected',
      (l) => {
        if (l.type === 'relay' && l.state === 'connected') connectedAt = performance.now();
        if (l.type === 'delivery' && ++records === total) {
          lastAt = performance.now();
          allIn();
        }
      },
    );
    await finished;
    await stopProcess(catchUp.child);
    const rate = records / ((lastAt - connectedAt) / 1000);
    rows.push({
      what: `relay catch-up: deliveries queued while the listener was away, verified and recorded by \`listen --relay\``,
      measured: `${rate.toFixed(0)} /s`,
      reference: `${records} deliveries, recorded to SQLite`,
      ratio: null,
      spread: '-',
      target: '>= 5000 /s',
      met: rate >= 5000,
    });
    await stopProcess(relay);
  } finally {
    agent.destroy();
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  }
  return rows;
}
