/** Test helpers: run the built CLI as a user would, temp dirs, free ports, small HTTP servers. */
import { after, type TestContext } from 'node:test';
import type { Readable } from 'node:stream';
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import Sqlite from 'better-sqlite3';
import {
  createServer,
  request as httpRequest,
  type IncomingMessage,
  type Server,
  type ServerResponse,
} from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { DeliveryRecord } from '../src/history/record.js';
import { fromRow, type DeliveryRow } from '../src/history/sql.js';
import { BIN, ROOT } from './shared.js';

export { BIN, hmac, ROOT } from './shared.js';
/** The project's brief material beside the clone (present on developer machines and in CI). */
export const SHARED = resolve(ROOT, '..', 'shared');
/** In-repo copies of the real capture and the published vectors, so tests need nothing outside. */
export const REFERENCE = join(ROOT, 'fixtures');

export interface RunResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

export interface RunOptions {
  input?: string | Buffer;
  env?: Record<string, string | undefined>;
  cwd?: string;
  timeoutMs?: number;
}

/** Runs `bluehook args...` with no TTY and CI unset unless given; resolves when it exits. */
export function runCli(args: string[], options: RunOptions = {}): Promise<RunResult> {
  return new Promise((resolvePromise, reject) => {
    const child = spawnCli(args, options);
    let stdout = '';
    let stderr = '';
    child.stdout!.on('data', (d) => (stdout += d));
    child.stderr!.on('data', (d) => (stderr += d));
    const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs ?? 60_000);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolvePromise({ code, stdout, stderr });
    });
    child.stdin!.end(options.input ?? '');
  });
}

// Every process a test starts is killed when its file's tests are over, even when an assertion
// failed before the test's own cleanup: a leaked listener would keep the test file from exiting.
const children = new Set<ChildProcess>();
after(() => {
  for (const child of children)
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
});

export function spawnCli(args: string[], options: RunOptions = {}): ChildProcess {
  const env: Record<string, string | undefined> = {
    ...process.env,
    NO_COLOR: '1',
    FORCE_COLOR: undefined,
    BLUEHOOK_SECRET: undefined,
    CI: undefined,
  };
  for (const [k, v] of Object.entries(options.env ?? {})) env[k] = v;
  for (const k of Object.keys(env)) if (env[k] === undefined) delete env[k];
  const child = spawn(process.execPath, [BIN, ...args], {
    cwd: options.cwd ?? ROOT,
    env: env as NodeJS.ProcessEnv,
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  children.add(child);
  child.on('exit', () => children.delete(child));
  return child;
}

export function tempDir(prefix = 'bluehook-test-'): { path: string; cleanup: () => void } {
  const path = mkdtempSync(join(tmpdir(), prefix));
  return { path, cleanup: () => rmSync(path, { recursive: true, force: true }) };
}

export const readJson = (path: string) => JSON.parse(readFileSync(path, 'utf8')) as unknown;

export interface Received {
  method: string;
  url: string;
  headers: IncomingMessage['headers'];
  body: Buffer;
}

/** A real receiver on 127.0.0.1:<free port>; `respond` decides each answer. */
export async function startReceiver(
  respond: (req: Received, index: number, res: ServerResponse) => unknown = (_r, _i, res) => {
    res.writeHead(200).end('ok');
  },
): Promise<{ url: string; received: Received[]; server: Server; close: () => Promise<void> }> {
  const received: Received[] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const entry = {
        method: req.method!,
        url: req.url!,
        headers: req.headers,
        body: Buffer.concat(chunks),
      };
      received.push(entry);
      void respond(entry, received.length - 1, res);
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/hook`,
    received,
    server,
    close: () =>
      new Promise<void>((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
}

/** A port that was free a moment ago and now has nobody listening: a dead URL. */
export async function deadPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((r) => server.close(() => r()));
  return port;
}

/** One step of a terminal session: when `when` has appeared on screen, type `keys` (one write each). */
export interface PtyStep {
  when: RegExp;
  keys: string[];
}

export const KEY = { enter: '\r', down: '\x1b[B', space: ' ', clearLine: '\x15' } as const;

/**
 * Runs the CLI in a real pseudo-terminal (util-linux `script`) and answers its prompts as a person
 * would. Resolves with the exit code, the whole screen output, and how many steps were never reached.
 */
export function runInPty(
  args: string[],
  steps: PtyStep[],
  env: Record<string, string> = {},
  columns = 120,
): Promise<{ code: number | null; screen: string; pending: number }> {
  // A terminal of a real size: 120 columns, as a person's would be.
  const quoted = `stty cols ${columns} rows 40 2>/dev/null; ${[process.execPath, BIN, ...args].map((a) => `'${a.replace(/'/g, `'\\''`)}'`).join(' ')}`;
  const childEnv: Record<string, string | undefined> = {
    ...process.env,
    TERM: 'xterm',
    NO_COLOR: '1',
  };
  delete childEnv.CI; // a terminal user, unless the test says CI
  Object.assign(childEnv, env);
  const child = spawn('script', ['-qfec', quoted, '/dev/null'], {
    cwd: ROOT,
    env: childEnv as NodeJS.ProcessEnv,
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  const queue = [...steps];
  let screen = '';
  let sinceStep = '';
  let typing = false;
  return new Promise((resolvePromise) => {
    const timer = setTimeout(() => child.kill('SIGKILL'), 30_000);
    const advance = async (): Promise<void> => {
      if (typing || !queue.length || !queue[0]!.when.test(sinceStep)) return;
      typing = true;
      const step = queue.shift()!;
      sinceStep = '';
      for (const k of step.keys) {
        await new Promise((r) => setTimeout(r, 60));
        child.stdin!.write(k);
      }
      typing = false;
      await advance(); // the next prompt may already be on screen
    };
    child.stdout!.on('data', (d: Buffer) => {
      screen += d;
      sinceStep += d;
      void advance();
    });
    child.on('close', (code) => {
      clearTimeout(timer);
      resolvePromise({ code, screen, pending: queue.length });
    });
  });
}

export interface ReadyProcess {
  child: ChildProcess;
  url: string;
  lines: () => Array<Record<string, unknown>>;
  exited: Promise<number | null>;
  stderr: () => string;
  /**
   * Resolves once `check` holds, checked again at every chunk the process writes (stdout or
   * stderr): a wait on what it says, not on time. Fails after `timeout` ms, or when it exits first.
   */
  until: <T>(check: () => T | undefined | false, options?: { timeout?: number }) => Promise<T>;
}

/** Starts `bluehook listen ... --json` and resolves once its ready line has arrived. */
export const startListen = (args: string[], env: Record<string, string> = {}) =>
  startReady(['listen', '--port', '0', ...args], env);

/** Starts a long-running `bluehook ... --json` command and waits for its {"type":"ready"} line. */
export async function startReady(
  args: string[],
  env: Record<string, string> = {},
): Promise<ReadyProcess> {
  const child = spawnCli([...args, '--json'], { env });
  let out = '';
  let err = '';
  child.stderr!.on('data', (d) => (err += d));
  const exited = new Promise<number | null>((r) =>
    child.on('close', (code, signal) => r(code ?? (signal ? -1 : null))),
  );
  const url = await new Promise<string>((resolvePromise, reject) => {
    const timer = setTimeout(() => reject(new Error(`listen did not start: ${err}`)), 15_000);
    child.stdout!.on('data', (d) => {
      out += d;
      const m = /\{"type":"ready","url":"([^"]+)"/.exec(out);
      if (m) {
        clearTimeout(timer);
        resolvePromise(m[1]!);
      }
    });
    void exited.then(() => reject(new Error(`listen exited early: ${err}`)));
  });
  const lines = () =>
    out
      .trim()
      .split('\n')
      .filter(Boolean)
      .map((l) => JSON.parse(l) as Record<string, unknown>);
  const waiting = new Set<() => void>();
  const recheck = () => {
    for (const check of waiting) check();
  };
  // Registered after the readers above, so a check sees the chunk that woke it.
  child.stdout!.on('data', recheck);
  child.stderr!.on('data', recheck);
  const until = <T>(check: () => T | undefined | false, { timeout = 30_000 } = {}) =>
    new Promise<T>((resolvePromise, reject) => {
      const settle = (error?: Error, value?: T) => {
        waiting.delete(attempt);
        clearTimeout(timer);
        if (error) reject(error);
        else resolvePromise(value as T);
      };
      const attempt = () => {
        const value = check();
        if (value) settle(undefined, value);
      };
      const timer = setTimeout(
        () => settle(new Error(`not seen within ${timeout} ms; stderr:\n${err}`)),
        timeout,
      );
      void exited.then(() => {
        attempt();
        if (waiting.has(attempt)) settle(new Error(`exited before it was seen; stderr:\n${err}`));
      });
      waiting.add(attempt);
      attempt();
    });
  return { child, url, lines, exited, stderr: () => err, until };
}

/** A raw request with exact bytes and headers (node:http, so a dying server fails it promptly). */
export function post(
  url: string,
  body: Buffer | string,
  headers: Record<string, string> = {},
  method = 'POST',
): Promise<{ status: number; text: string }> {
  return new Promise((resolvePromise, reject) => {
    const req = httpRequest(
      url,
      { method, headers: { 'content-type': 'application/json', ...headers }, timeout: 15_000 },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () =>
          resolvePromise({ status: res.statusCode!, text: Buffer.concat(chunks).toString() }),
        );
        res.on('error', reject);
      },
    );
    req.on('timeout', () => req.destroy(new Error('timed out')));
    req.on('error', reject);
    req.end(method === 'GET' ? undefined : body);
  });
}

/** Every recorded delivery in a store directory's database, oldest first (read with a separate, read-only connection). */
export function historyRecords(dir: string): DeliveryRecord[] {
  const file = join(dir, 'bluehook.db');
  if (!existsSync(file)) return [];
  const db = new Sqlite(file, { readonly: true, fileMustExist: true });
  try {
    return (db.prepare('SELECT * FROM deliveries ORDER BY seq').all() as DeliveryRow[]).map(
      fromRow,
    );
  } finally {
    db.close();
  }
}

/** The webhook rows of a store directory's database, oldest first. */
export function storedWebhooks(dir: string): Array<{
  id: string;
  name: string | null;
  url: string;
  events: string[];
  secret: string | null;
}> {
  const db = new Sqlite(join(dir, 'bluehook.db'), { readonly: true, fileMustExist: true });
  try {
    return (
      db.prepare('SELECT row FROM webhooks ORDER BY seq').all() as Array<{ row: string }>
    ).map((r) => JSON.parse(r.row));
  } finally {
    db.close();
  }
}

export const POSTGRES_URL =
  process.env.BLUEHOOK_TEST_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
/** CI sets this: a PostgreSQL test that cannot reach its server fails instead of skipping. */
const REQUIRE_POSTGRES = process.env.BLUEHOOK_REQUIRE_POSTGRES === '1';

/**
 * A fresh database of its own on the test PostgreSQL server, dropped by `drop`. Resolves with
 * `skip` (the reason) when no server answers and CI did not require one.
 */
export async function postgresDatabase(): Promise<
  { url: string; drop: () => Promise<void>; skip?: undefined } | { skip: string }
> {
  const pg = (await import('pg')).default;
  const admin = new pg.Client({ connectionString: POSTGRES_URL, connectionTimeoutMillis: 3000 });
  try {
    await admin.connect();
  } catch (e) {
    const why = `no PostgreSQL at ${POSTGRES_URL} (${(e as Error).message}); set BLUEHOOK_TEST_POSTGRES_URL to run these tests`;
    if (REQUIRE_POSTGRES) throw new Error(why);
    return { skip: why };
  }
  const name = `bluehook_test_${process.pid}_${Math.random().toString(36).slice(2, 8)}`;
  await admin.query(`CREATE DATABASE ${name}`);
  const url = new URL(POSTGRES_URL);
  url.pathname = `/${name}`;
  let dropped = false;
  return {
    url: url.toString(),
    drop: async () => {
      if (dropped) return;
      dropped = true;
      await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await admin.end();
    },
  };
}

/** Every byte the store directory holds (database, WAL and all), for "never stored" checks. */
export function storeBytes(dir: string): string {
  return readdirSync(dir)
    .filter((f) => statSync(join(dir, f)).isFile())
    .map((f) => readFileSync(join(dir, f)).toString('latin1'))
    .join('\n');
}

/** The JSON values of an NDJSON text (a `--json` stream), blank lines skipped. */
export const jsonLines = (text: string) =>
  text
    .trim()
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l));

/** A store directory for one test, removed when the test ends. */
export function testHome(t: TestContext): { path: string; env: { BLUEHOOK_HOME: string } } {
  const dir = tempDir();
  t.after(() => dir.cleanup());
  return { path: dir.path, env: { BLUEHOOK_HOME: dir.path } };
}

/** `bluehook listen --port 0 … --json` for one test: ready when it returns, killed when the test ends. */
export async function startListener(
  t: TestContext,
  args: string[],
  env: Record<string, string> = {},
): Promise<ReadyProcess> {
  const listener = await startListen(args, env);
  t.after(() => {
    listener.child.kill('SIGKILL');
  });
  return listener;
}

/**
 * What a stream has said so far, and a wait for what it will say: `waitFor` resolves with the
 * first line matching `pattern` (already read or still to come), or fails after `timeout` ms with
 * everything read, so a test waits on the event itself instead of sleeping.
 */
export function watchLines(stream: Readable): {
  text: () => string;
  waitFor: (pattern: RegExp, options?: { timeout?: number }) => Promise<string>;
} {
  let text = '';
  const waiting = new Set<() => void>();
  stream.setEncoding('utf8');
  stream.on('data', (d: string) => {
    text += d;
    for (const check of waiting) check();
  });
  const waitFor = (pattern: RegExp, { timeout = 15_000 } = {}) =>
    new Promise<string>((resolvePromise, reject) => {
      const check = () => {
        const line = text.split('\n').find((l) => pattern.test(l));
        if (line === undefined) return;
        waiting.delete(check);
        clearTimeout(timer);
        resolvePromise(line);
      };
      const timer = setTimeout(() => {
        waiting.delete(check);
        reject(new Error(`no line matching ${pattern} within ${timeout} ms; read:\n${text}`));
      }, timeout);
      waiting.add(check);
      check();
    });
  return { text: () => text, waitFor };
}

/** The first line `stream` says from now on that matches `pattern`; fails after `timeout` ms. */
export function waitForLine(
  stream: Readable,
  pattern: RegExp,
  options: { timeout?: number } = {},
): Promise<string> {
  return watchLines(stream).waitFor(pattern, options);
}
