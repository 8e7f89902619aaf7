/**
 * An inter-process lock: a lock file created with O_EXCL holding the owner's pid. A lock left
 * by a process that died (kill -9) is taken over once its owner is gone.
 */
import { closeSync, openSync, readFileSync, statSync, unlinkSync, writeSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { storeError } from '../errors.js';

const STALE_MS = 30_000;

function ownerAlive(path: string): boolean {
  try {
    const pid = Number(readFileSync(path, 'utf8').split('\n')[0]);
    if (!Number.isInteger(pid) || pid <= 0) return Date.now() - statSync(path).mtimeMs < STALE_MS;
    process.kill(pid, 0);
    return Date.now() - statSync(path).mtimeMs < 10 * 60_000;
  } catch (e) {
    // EPERM: alive but not ours to signal. ENOENT: released meanwhile (try again).
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

export async function withLock<T>(path: string, fn: () => T | Promise<T>, timeoutMs = 20_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let wait = 2;
  for (;;) {
    try {
      const fd = openSync(path, 'wx', 0o600);
      writeSync(fd, `${process.pid}\n${new Date().toISOString()}\n`);
      closeSync(fd);
      break;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') {
        throw storeError(`cannot create lock ${path}: ${(e as NodeJS.ErrnoException).code}`);
      }
      if (!ownerAlive(path)) {
        try {
          unlinkSync(path);
        } catch {
          // someone else removed it first
        }
        continue;
      }
      if (Date.now() > deadline) throw storeError(`the store is locked (${path}) by another bluehook process`, 'try again, or remove the lock file if no bluehook is running');
      await sleep(wait + Math.random() * wait);
      wait = Math.min(wait * 2, 50);
    }
  }
  try {
    return await fn();
  } finally {
    try {
      unlinkSync(path);
    } catch {
      // already gone: nothing to release
    }
  }
}
