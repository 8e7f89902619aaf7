/**
 * Terminal conventions shared by every command: data on stdout, diagnostics on stderr,
 * one line per expected error, colour only where wanted.
 */
import { BluehookError, type ErrorCategory } from '../errors.js';
import { ExitCode, exitCodeFor } from '../exit-codes.js';
import { blockSafe } from '../util/terminal-text.js';
import { hintFor } from './hints.js';

export interface GlobalOptions {
  json?: boolean;
  color?: boolean;
  quiet?: boolean;
  config?: string;
  storeDir?: string;
  store?: string;
}

export const isCI = () =>
  Boolean(process.env.CI && process.env.CI !== 'false' && process.env.CI !== '0');

/** Prompts and spinners only for a person at a terminal. */
export const canPrompt = () => Boolean(process.stdin.isTTY && process.stdout.isTTY) && !isCI();
// A terminal that reports no width (some ptys) would make a spinner redraw without end.
export const canSpin = (opts: GlobalOptions) =>
  Boolean(process.stderr.isTTY) && (process.stderr.columns ?? 0) > 0 && !opts.json && !isCI();

export function wantColor(opts: GlobalOptions = {}): boolean {
  if (opts.color === false) return false;
  const force = process.env.FORCE_COLOR;
  if (force !== undefined) return force !== '0' && force !== 'false';
  if (process.env.NO_COLOR) return false;
  return Boolean(process.stdout.isTTY);
}

export const writeOut = (text: string) =>
  process.stdout.write(text.endsWith('\n') ? text : `${text}\n`);
export const writeErr = (text: string) =>
  process.stderr.write(text.endsWith('\n') ? text : `${text}\n`);
export const writeJson = (value: unknown) => writeOut(JSON.stringify(value, null, 2));
/**
 * Lines for streams (listen, load-mode send): gathered within one turn of the event loop and
 * written together, so a burst of deliveries costs a few writes instead of one each. When nobody
 * reads stdout (a script that read the ready line and stopped), lines are dropped beyond a bounded
 * buffer instead of piling up in memory, and a line says how many once the reader is back.
 */
const MAX_UNREAD_BYTES = 1024 * 1024;
let pendingLines: string[] = [];
let dropped = 0;
let droppingSince: string | undefined;
let jsonStream = false;

/** Whether dropped-line notices are JSON (`{"type":"dropped",…}`) or text. */
export function streamIsJson(json: boolean): void {
  jsonStream = json;
}

export function writeStreamLine(line: string): void {
  if (pendingLines.length === 0) setImmediate(flushStreamLines);
  pendingLines.push(line);
}

export function flushStreamLines(): void {
  if (!pendingLines.length) return;
  const lines = pendingLines;
  pendingLines = [];
  if (process.stdout.writableLength > MAX_UNREAD_BYTES) {
    if (!dropped) {
      droppingSince = new Date().toISOString();
      process.stdout.once('drain', reportDropped);
    }
    dropped += lines.length;
    return;
  }
  process.stdout.write(`${lines.join('\n')}\n`);
}

function reportDropped(): void {
  const count = dropped;
  dropped = 0;
  const notice = jsonStream
    ? JSON.stringify({
        type: 'dropped',
        lines: count,
        since: droppingSince,
        reason: 'stdout was not read',
      })
    : `(${count} output line${count === 1 ? '' : 's'} dropped since ${droppingSince}: stdout was not read; nothing was lost from the history)`;
  process.stdout.write(`${notice}\n`);
}

/** One compact JSON document per line, for streams. */
export const writeJsonLine = (value: unknown) => writeStreamLine(JSON.stringify(value));

/**
 * Where a command writes: handed to every handler, so a handler can run against the process's
 * streams (the CLI) or captured ones (a test). Data goes to `out`, diagnostics to `err`.
 */
export interface Io {
  /** A line of data on stdout. */
  out(text: string): void;
  /** A line of diagnostics on stderr. */
  err(text: string): void;
  /** A JSON document on stdout, indented. */
  json(value: unknown): void;
  /** One line of a stream (listen, load-mode send, follow): batched, bounded when unread. */
  line(text: string): void;
  /** One compact JSON line of a stream. */
  jsonLine(value: unknown): void;
  /** The streams themselves, for exact bytes (payload bodies, exports) and back-pressure. */
  stdout: NodeJS.WritableStream;
  stderr: NodeJS.WritableStream;
  isTTY: { stdin: boolean; stdout: boolean; stderr: boolean };
}

/** The process's own streams. */
export const processIo: Io = {
  out: writeOut,
  err: writeErr,
  json: writeJson,
  line: writeStreamLine,
  jsonLine: writeJsonLine,
  stdout: process.stdout,
  stderr: process.stderr,
  // Each one read when asked: reading process.stdin creates the stream (~3 ms of a command that
  // never reads its input).
  isTTY: {
    get stdin() {
      return Boolean(process.stdin.isTTY);
    },
    get stdout() {
      return Boolean(process.stdout.isTTY);
    },
    get stderr() {
      return Boolean(process.stderr.isTTY);
    },
  },
};

/**
 * Turns any failure into one stderr line and an exit code (from its category; see exit-codes.ts);
 * stacks only with BLUEHOOK_DEBUG. Under `--json` the line is JSON too:
 * {"error":{"message","hint","code","category","exitCode"}}.
 */
export function reportError(error: unknown, json = false): number {
  const say = (message: string, category: ErrorCategory, code: string, hint?: string) => {
    const exitCode = exitCodeFor(category);
    if (json)
      writeErr(
        JSON.stringify({ error: { message, hint: hint ?? null, code, category, exitCode } }),
      );
    // Messages carry what others wrote (Blue's GraphQL errors, names, paths): escaped like a body.
    else writeErr(blockSafe(`bluehook: ${message}${hint ? ` (${hint})` : ''}`));
    return exitCode;
  };
  if (error instanceof BluehookError)
    return say(error.message, error.category, error.code, hintFor(error));
  const err = error as NodeJS.ErrnoException;
  if (err?.name === 'ExitPromptError' || err?.name === 'AbortPromptError') {
    if (json)
      writeErr(
        JSON.stringify({
          error: {
            message: 'cancelled',
            hint: null,
            code: 'cancelled',
            category: 'usage',
            exitCode: ExitCode.interrupted,
          },
        }),
      );
    else writeErr('bluehook: cancelled');
    return ExitCode.interrupted;
  }
  if (err?.code === 'EPIPE') return ExitCode.ok; // the reader went away (e.g. `| head`): not our failure
  const code = say(
    `unexpected error: ${err?.message ?? String(error)}`,
    'internal',
    'internal',
    'this is a bug; BLUEHOOK_DEBUG=1 shows the stack',
  );
  if (process.env.BLUEHOOK_DEBUG) writeErr(String(err?.stack));
  return code;
}

/** Shows the first and last few characters of a secret, never the whole. */
export function maskSecret(secret: string | null | undefined): string {
  if (!secret) return '(none)';
  if (secret.length <= 8) return '*'.repeat(secret.length);
  const head = secret.startsWith('whsec_') ? 10 : 4;
  return `${secret.slice(0, head)}…${'*'.repeat(4)}${secret.slice(-2)}`;
}

/** Canonical display form of a lower-cased header name (X-Signature, webhook-id). */
export const displayHeaderName = (name: string) =>
  name.startsWith('x-') || name === 'content-type' || name === 'user-agent'
    ? name.replace(/(^|-)([a-z])/g, (_, dash: string, c: string) => dash + c.toUpperCase())
    : name;
