/**
 * Helpers shared by the tests and the bench (bench/*.ts). Kept apart from helpers.ts because that
 * module registers a node:test hook when loaded, which would make the bench print a test report.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createHmac } from 'node:crypto';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The repository root (this runs from dist/test/). */
export const ROOT = resolve(fileURLToPath(new URL('../../', import.meta.url)));
export const BIN = join(ROOT, 'bin', 'bluehook.js');

/** Blue's signature of a body: hex HMAC-SHA256, computed here apart from the code under test. */
export const hmac = (secret: string, body: Buffer | string) =>
  createHmac('sha256', secret).update(body).digest('hex');

/** Sends `signal` to a process (unless it has exited) and resolves once it has closed. */
export const stopProcess = (child: ChildProcess, signal: NodeJS.Signals = 'SIGTERM') =>
  new Promise<void>((r) => {
    if (child.exitCode !== null) return r();
    child.once('close', () => r());
    child.kill(signal);
  });

/** `node <bin> args…` (stderr passed through); resolves with its stdout if it exits 0. */
export function cliStdout(
  bin: string,
  args: string[],
  env: Record<string, string>,
): Promise<string> {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(process.execPath, [bin, ...args], {
      env: { ...process.env, ...env },
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    child.on('close', (code) =>
      code === 0 ? resolvePromise(out) : reject(new Error(args.join(' '))),
    );
  });
}

/** The median of some figures (the mean of the middle two for an even count). */
export const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
};
