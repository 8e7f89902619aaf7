/**
 * The portable form of the history: one JSON record per line (what `deliveries.ndjson` held before
 * the database, and what `deliveries export --format ndjson` writes). Reading skips torn or
 * garbage lines and counts them; importing skips records whose id is already there.
 */
import { createReadStream, existsSync } from 'node:fs';
import { storeError } from '../errors.js';
import { refuseLink } from '../db/legacy.js';
import type { History } from './history.js';
import { isRecord, type DeliveryRecord } from './record.js';

export interface ImportStats {
  /** Lines that held a record. */
  read: number;
  /** Of those, records that were not already in the history. */
  added: number;
  /** Lines that were torn, not JSON, or not a record. */
  skipped: number;
}

/**
 * The longest line read: far beyond any recorded delivery, far below the ~512 MiB where a line can
 * no longer be a JavaScript string at all (readline would take the whole process down with it).
 */
export const MAX_LINE_BYTES = 64 * 1024 * 1024;

/** The lines of a stream; a line longer than `maxBytes` is dropped unread and reported as `null`. */
export async function* linesOf(
  input: AsyncIterable<Buffer>,
  maxBytes: number,
): AsyncGenerator<string | null> {
  let parts: Buffer[] = [];
  let size = 0;
  let overlong = false;
  for await (const chunk of input) {
    let start = 0;
    for (let nl = chunk.indexOf(10); nl !== -1; nl = chunk.indexOf(10, start)) {
      const piece = chunk.subarray(start, nl);
      start = nl + 1;
      if (overlong || size + piece.length > maxBytes) yield null;
      else yield Buffer.concat([...parts, piece]).toString('utf8');
      parts = [];
      size = 0;
      overlong = false;
    }
    const rest = chunk.subarray(start);
    if (overlong || size + rest.length > maxBytes) {
      overlong = true; // keep skipping until the next newline
      parts = [];
      size = 0;
    } else if (rest.length) {
      parts.push(rest);
      size += rest.length;
    }
  }
  if (overlong) yield null;
  else if (size) yield Buffer.concat(parts).toString('utf8');
}

/** Records of an NDJSON file, in order, in constant memory. */
export async function* readNdjson(
  file: string,
  stats: ImportStats,
  maxLineBytes = MAX_LINE_BYTES,
): AsyncGenerator<DeliveryRecord> {
  const input = createReadStream(file);
  const opened = new Promise<void>((resolve, reject) => {
    input.once('open', () => resolve());
    input.once('error', reject);
  });
  try {
    await opened;
  } catch (e) {
    throw storeError(
      `cannot read ${file}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`,
      undefined,
      'file-unreadable',
    );
  }
  for await (const line of linesOf(input as AsyncIterable<Buffer>, maxLineBytes)) {
    if (line === null) {
      stats.skipped++; // longer than any record: not read into memory at all
      continue;
    }
    if (!line.trim()) continue;
    let value: unknown;
    try {
      value = JSON.parse(line);
    } catch {
      // A crash mid-write could leave a torn fragment with the next record glued on: keep that record.
      const glued = line.lastIndexOf('{"id":"');
      try {
        value = glued > 0 ? JSON.parse(line.slice(glued)) : undefined;
      } catch {
        value = undefined;
      }
      stats.skipped++; // the torn fragment
      if (!isRecord(value)) continue;
      stats.read++;
      yield value;
      continue;
    }
    if (!isRecord(value)) {
      stats.skipped++;
      continue;
    }
    stats.read++;
    yield value;
  }
}

/** Imports an NDJSON file into the history in transactions of 1,000 records. */
export async function importNdjson(history: History, file: string): Promise<ImportStats> {
  const stats: ImportStats = { read: 0, added: 0, skipped: 0 };
  let batch: DeliveryRecord[] = [];
  for await (const record of readNdjson(file, stats)) {
    batch.push(record);
    if (batch.length >= 1000) {
      stats.added += await history.importRecords(batch);
      batch = [];
    }
  }
  if (batch.length) stats.added += await history.importRecords(batch);
  return stats;
}

/** The NDJSON line of one record. */
export const ndjsonLine = (r: DeliveryRecord) => `${JSON.stringify(r)}\n`;

/**
 * Imports a store directory's old `deliveries.ndjson` once, then renames it aside (never
 * deleted). Safe when two processes do it at once: ids already there are skipped.
 */
export async function importLegacyLog(
  history: History,
  file: string,
  setAside: (file: string) => string | undefined,
): Promise<string | undefined> {
  if (!existsSync(file)) return undefined;
  refuseLink(file);
  const stats = await importNdjson(history, file);
  const aside = setAside(file);
  if (!aside) return undefined;
  const skipped = stats.skipped
    ? ` (${stats.skipped} unreadable line${stats.skipped === 1 ? '' : 's'} skipped)`
    : '';
  return `imported ${stats.added} recorded deliver${stats.added === 1 ? 'y' : 'ies'} from ${file} into ${history.location}${skipped}; the file is kept as ${aside}`;
}
