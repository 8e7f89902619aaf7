/**
 * A recorded delivery, sent (`out`) or received (`in`): the shape `deliveries show --json`, the
 * exports and the NDJSON form print, whichever engine keeps it.
 */
import { isUtf8 } from 'node:buffer';
import { randomBytes } from 'node:crypto';

export type { AttemptRecord, DeliveryRecord } from './types.js';
import type { DeliveryRecord } from './types.js';

// Unique across processes (a random tag per process) and within one (a counter): no syscall per id.
const processTag = randomBytes(3).toString('hex');
let idCounter = 0;

/** Sortable by time, unique, short: 'd' + time in base36 + process tag + counter. */
export const newDeliveryId = () =>
  `d${Date.now().toString(36)}${processTag}${(idCounter++ % 1_679_616).toString(36).padStart(4, '0')}`;

export function encodeBody(body: Uint8Array): Pick<DeliveryRecord, 'body' | 'bodyEncoding'> {
  const bytes = Buffer.from(body.buffer, body.byteOffset, body.byteLength);
  return isUtf8(bytes)
    ? { body: bytes.toString('utf8'), bodyEncoding: 'utf8' }
    : { body: bytes.toString('base64'), bodyEncoding: 'base64' };
}

export const decodeBody = (r: Pick<DeliveryRecord, 'body' | 'bodyEncoding'>): Buffer =>
  Buffer.from(r.body, r.bodyEncoding === 'base64' ? 'base64' : 'utf8');

/** What an answer says of a record: the status it got, and whether it counts as valid/delivered. */
export const statusOf = (r: DeliveryRecord): number | undefined =>
  r.direction === 'out' ? r.response?.status : r.answer?.status;
export const isGood = (r: DeliveryRecord): boolean | undefined =>
  r.direction === 'in' ? r.verdict?.valid : r.ok;

/** A record read from an untrusted source (an old log, an import file) has at least these. */
export function isRecord(value: unknown): value is DeliveryRecord {
  const r = value as DeliveryRecord;
  return (
    !!r &&
    typeof r === 'object' &&
    typeof r.id === 'string' &&
    r.id.length > 0 &&
    (r.direction === 'in' || r.direction === 'out') &&
    typeof r.time === 'string' &&
    Number.isFinite(Date.parse(r.time)) &&
    typeof r.body === 'string' &&
    typeof r.url === 'string' &&
    typeof r.method === 'string' &&
    !!r.headers &&
    typeof r.headers === 'object'
  );
}
