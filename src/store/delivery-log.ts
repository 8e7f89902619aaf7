/**
 * The delivery log: one JSON object per line in `deliveries.ndjson`, append-only, in arrival
 * order. Writes are grouped: every record queued in one turn of the event loop goes out in a
 * single append (O_APPEND, so several processes can share the log without interleaving lines),
 * and each caller's promise resolves only after that write has reached the OS, so
 * a process killed afterwards (kill -9) loses nothing it acknowledged. A torn last line (a crash
 * mid-write) is skipped on read and sealed off with a newline before the next append.
 */
import { isUtf8 } from 'node:buffer';
import { randomBytes } from 'node:crypto';
import { closeSync, constants, createReadStream, existsSync, fstatSync, fsyncSync, openSync, readSync, renameSync, unlinkSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { storeError, usageError } from '../errors.js';
import { fsyncDir } from '../util/fs.js';
import { ensureStoreDir } from './local-store.js';
import { withLock } from './lock.js';
import { Ring } from '../util/ring.js';

export interface AttemptRecord {
  attempt: number;
  status?: number;
  durationMs: number;
  error?: string;
}

export interface DeliveryRecord {
  id: string;
  direction: 'out' | 'in';
  /** ISO time the delivery was sent or received. */
  time: string;
  event: string | null;
  webhookId?: string | null;
  /** Where it was sent (out) or the path it arrived on (in). */
  url: string;
  method: string;
  headers: Record<string, string>;
  /** The body byte-exact: UTF-8 text when it round-trips, else base64. */
  body: string;
  bodyEncoding: 'utf8' | 'base64';
  // Outgoing deliveries.
  attempts?: AttemptRecord[];
  response?: { status?: number; headers?: Record<string, string>; body?: string; error?: string };
  ok?: boolean;
  replayOf?: string;
  // Incoming deliveries.
  remoteAddress?: string;
  verdict?: { valid: boolean; cause: string; message: string; webhookId?: string | null };
  answer?: { status: number };
}

// Unique across processes (a random tag per process) and within one (a counter): no syscall per id.
const processTag = randomBytes(3).toString('hex');
let idCounter = 0;

/** Sortable by time, unique, short: 'd' + time in base36 + process tag + counter. */
export const newDeliveryId = () => `d${Date.now().toString(36)}${processTag}${(idCounter++ % 1_679_616).toString(36).padStart(4, '0')}`;

export function encodeBody(body: Buffer): Pick<DeliveryRecord, 'body' | 'bodyEncoding'> {
  return isUtf8(body) ? { body: body.toString('utf8'), bodyEncoding: 'utf8' } : { body: body.toString('base64'), bodyEncoding: 'base64' };
}

export const decodeBody = (r: Pick<DeliveryRecord, 'body' | 'bodyEncoding'>): Buffer => Buffer.from(r.body, r.bodyEncoding === 'base64' ? 'base64' : 'utf8');

export interface ReadStats {
  records: number;
  skipped: number;
}

export class DeliveryLog {
  readonly file: string;
  private fd: number | undefined;
  private queue: Array<{ line: string; resolve: () => void; reject: (e: Error) => void }> = [];
  private scheduled = false;

  constructor(readonly dir: string) {
    this.file = join(dir, 'deliveries.ndjson');
  }

  private open(): number {
    if (this.fd !== undefined) return this.fd;
    ensureStoreDir(this.dir);
    try {
      // O_NOFOLLOW: a symlink planted in the store must not redirect appends to another file.
      this.fd = openSync(this.file, constants.O_RDWR | constants.O_APPEND | constants.O_CREAT | constants.O_NOFOLLOW, 0o600);
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if (code === 'ELOOP') throw storeError(`delivery log ${this.file} is a symbolic link; bluehook does not follow it`, 'replace it with a regular file');
      throw storeError(`cannot open delivery log ${this.file}: ${code}`);
    }
    // Seal off a torn last line so the next record starts on a line of its own.
    const size = fstatSync(this.fd).size;
    if (size > 0) {
      const last = Buffer.alloc(1);
      readSync(this.fd, last, 0, 1, size - 1);
      if (last[0] !== 0x0a) writeSync(this.fd, '\n');
    }
    return this.fd;
  }

  /**
   * Queues a record; resolves once the batch holding it has been written. `bodyJson`, when the
   * caller already has the body as a JSON string literal, saves escaping it again.
   */
  append(record: DeliveryRecord, bodyJson?: string): Promise<void> {
    const fd = this.open();
    const line = bodyJson === undefined ? JSON.stringify(record) : `${JSON.stringify({ ...record, body: undefined }).slice(0, -1)},"body":${bodyJson}}`;
    return new Promise((resolve, reject) => {
      this.queue.push({ line: `${line}\n`, resolve, reject });
      if (!this.scheduled) {
        this.scheduled = true;
        setImmediate(() => this.flush(fd));
      }
    });
  }

  private flush(fd: number): void {
    this.scheduled = false;
    const batch = this.queue;
    if (!batch.length) return;
    this.queue = [];
    const data = Buffer.from(batch.map((b) => b.line).join(''));
    // A synchronous append of one batch lands in the page cache in microseconds; going through the
    // thread pool would add a round trip to every acknowledgement.
    let error: Error | null = null;
    try {
      for (let offset = 0; offset < data.length; ) offset += writeSync(fd, data, offset, data.length - offset);
    } catch (e) {
      error = e as Error;
    }
    for (const b of batch) (error ? b.reject(storeError(`cannot write delivery log ${this.file}: ${(error as NodeJS.ErrnoException).code ?? error.message}`)) : b.resolve());
  }

  /** Waits for queued records to be written. */
  async drain(): Promise<void> {
    while (this.queue.length || this.scheduled) await new Promise((r) => setImmediate(r));
  }

  close(): void {
    if (this.fd !== undefined) closeSync(this.fd);
    this.fd = undefined;
  }

  /**
   * Streams records oldest first in constant memory; torn or garbage lines are counted and
   * skipped. With `last`, only the last `last` lines are parsed (the rest are only counted).
   */
  async *records(stats: ReadStats = { records: 0, skipped: 0 }, last?: number): AsyncGenerator<DeliveryRecord> {
    if (!existsSync(this.file)) return;
    const lines = createInterface({ input: createReadStream(this.file), crlfDelay: Infinity });
    let source: AsyncIterable<string> = lines;
    if (last !== undefined) {
      const tail = new Ring<string>(last);
      for await (const line of lines) if (line) tail.push(line);
      source = (async function* () {
        yield* tail.toArray();
      })();
    }
    for await (const line of source) {
      if (!line) continue;
      let record: DeliveryRecord;
      try {
        record = JSON.parse(line) as DeliveryRecord;
      } catch {
        // A crash mid-write can leave a torn fragment with the next record glued on: keep that record.
        const glued = line.lastIndexOf('{"id":"d');
        try {
          if (glued <= 0) throw new Error('torn');
          record = JSON.parse(line.slice(glued)) as DeliveryRecord;
          stats.skipped++;
        } catch {
          stats.skipped++;
          continue;
        }
      }
      if (!record || typeof record.id !== 'string' || typeof record.body !== 'string') {
        stats.skipped++;
        continue;
      }
      stats.records++;
      yield record;
    }
  }

  /** Finds records by exact id or unique prefix. */
  async find(refs: readonly string[]): Promise<DeliveryRecord[]> {
    const wanted = new Map(refs.map((r) => [r, [] as DeliveryRecord[]]));
    for await (const r of this.records()) for (const [ref, hits] of wanted) if (r.id === ref || r.id.startsWith(ref)) hits.push(r);
    return refs.map((ref) => {
      const hits = wanted.get(ref)!;
      const exact = hits.find((h) => h.id === ref);
      if (exact) return exact;
      if (hits.length === 1) return hits[0]!;
      throw usageError(hits.length ? `delivery "${ref}" is ambiguous (${hits.length} matches); use more of the id` : `no recorded delivery "${ref}"`, 'see `bluehook deliveries list`');
    });
  }

  /** Rewrites the log without the records `drop` selects (streamed, atomic); returns how many were removed. */
  async remove(drop: (r: DeliveryRecord) => boolean): Promise<number> {
    if (!existsSync(this.file)) return 0;
    return withLock(join(this.dir, 'deliveries.lock'), async () => {
      const tmp = `${this.file}.${process.pid}.tmp`;
      const out = openSync(tmp, 'w', 0o600);
      let removed = 0;
      let pending: string[] = [];
      const spill = () => {
        if (pending.length) writeSync(out, pending.join(''));
        pending = [];
      };
      try {
        for await (const r of this.records()) {
          if (drop(r)) removed++;
          else pending.push(`${JSON.stringify(r)}\n`);
          if (pending.length >= 1000) spill();
        }
        spill();
        fsyncSync(out);
      } finally {
        closeSync(out);
      }
      if (removed) renameSync(tmp, this.file);
      else unlinkSync(tmp);
      fsyncDir(this.dir);
      return removed;
    });
  }
}
