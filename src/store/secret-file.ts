/**
 * Blue returns a webhook's secret only once, at creation. bluehook keeps the secrets of the
 * webhooks it created in `secrets.json` (0600) beside the local store, keyed by webhook id.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { storeError } from '../errors.js';
import { writeFileAtomic } from '../util/fs.js';
import { ensureStoreDir } from './local-store.js';
import { withLock } from './lock.js';

export class SecretFile {
  readonly file: string;

  constructor(readonly dir: string) {
    this.file = join(dir, 'secrets.json');
  }

  read(): Record<string, string> {
    if (!existsSync(this.file)) return {};
    try {
      const data = JSON.parse(readFileSync(this.file, 'utf8')) as unknown;
      if (!data || typeof data !== 'object' || Array.isArray(data)) throw new Error('not an object');
      return data as Record<string, string>;
    } catch (e) {
      throw storeError(`secret file ${this.file} is corrupt (${(e as Error).message}); it was left untouched`, 'move it away; secrets of Blue webhooks cannot be fetched again');
    }
  }

  get(id: string): string | undefined {
    return this.read()[id];
  }

  async set(id: string, secret: string | undefined): Promise<void> {
    ensureStoreDir(this.dir);
    await withLock(join(this.dir, 'secrets.lock'), () => {
      const data = this.read();
      if (secret === undefined) delete data[id];
      else data[id] = secret;
      writeFileAtomic(this.file, `${JSON.stringify(data, null, 2)}\n`, 0o600);
    });
  }
}
