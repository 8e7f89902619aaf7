/** Durable file writes: temp file in the same directory, fsync, rename, fsync the directory. */
import { closeSync, fsyncSync, openSync, renameSync, unlinkSync, writeSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';

export function writeFileAtomic(path: string, data: string | Buffer, mode = 0o644): void {
  // A name no other writer picks (pid, random); 'wx' refuses one that exists, a link included, so
  // it need not be unguessable (node:crypto would cost every command that writes a file ~5 ms).
  const tmp = join(dirname(path), `.${basename(path)}.${process.pid}.${randomSuffix()}.tmp`);
  const fd = openSync(tmp, 'wx', mode);
  try {
    writeSync(fd, typeof data === 'string' ? Buffer.from(data) : data);
    fsyncSync(fd);
  } catch (e) {
    closeSync(fd);
    unlinkSync(tmp);
    throw e;
  }
  closeSync(fd);
  renameSync(tmp, path);
  fsyncDir(dirname(path));
}

const randomSuffix = () => ((Math.random() * 0x100000000) >>> 0).toString(16).padStart(8, '0');

export function fsyncDir(dir: string): void {
  try {
    const fd = openSync(dir, 'r');
    try {
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
  } catch {
    // Some file systems refuse fsync on a directory; the rename itself is still atomic.
  }
}
