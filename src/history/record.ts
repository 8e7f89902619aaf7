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

/** Deepest nesting kept in a field this version does not know (a newer bluehook's). */
export const MAX_UNKNOWN_DEPTH = 32;

type Check = (v: unknown) => boolean;
const isString: Check = (v) => typeof v === 'string';
// A column of its own in the history: PostgreSQL's text holds no NUL character.
const isText: Check = (v) => typeof v === 'string' && !v.includes('\0');
const isInt: Check = (v) => Number.isInteger(v);
const isNumber: Check = (v) => typeof v === 'number' && Number.isFinite(v);
const isBoolean: Check = (v) => typeof v === 'boolean';
const isObject = (v: unknown): v is Record<string, unknown> =>
  !!v && typeof v === 'object' && !Array.isArray(v);
const isStringMap: Check = (v) => isObject(v) && Object.values(v).every(isString);
// Standard base64 with its padding, as the history writes it (Buffer would decode anything).
const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

/** An object's fields against their checks: the first that fails, or undefined. */
function fieldProblem(
  value: Record<string, unknown>,
  fields: Record<string, { check: Check; what: string; required?: boolean }>,
  prefix = '',
): string | undefined {
  for (const [name, { check, what, required }] of Object.entries(fields)) {
    const v = value[name];
    if (v === undefined || (v === null && !required)) {
      if (required) return `${prefix}${name} is missing`;
      continue;
    }
    if (!check(v)) return `${prefix}${name} must be ${what}`;
  }
  return undefined;
}

const ATTEMPT = {
  attempt: { check: isInt, what: 'a whole number', required: true },
  durationMs: { check: isNumber, what: 'a number', required: true },
  status: { check: isInt, what: 'a whole number' },
  error: { check: isString, what: 'a string' },
};
const RESPONSE = {
  status: { check: isInt, what: 'a whole number' },
  headers: { check: isStringMap, what: 'an object of strings' },
  body: { check: isString, what: 'a string' },
  error: { check: isString, what: 'a string' },
};
const VERDICT = {
  valid: { check: isBoolean, what: 'true or false', required: true },
  cause: { check: isString, what: 'a string', required: true },
  message: { check: isString, what: 'a string', required: true },
  webhookId: { check: isString, what: 'a string or null' },
};
const nested =
  (fields: Parameters<typeof fieldProblem>[1], name: string): Check =>
  (v) =>
    isObject(v) && fieldProblem(v, fields, `${name}.`) === undefined;

const FIELDS = {
  id: {
    check: (v: unknown) => isText(v) && (v as string).length > 0,
    what: 'a non-empty string without NUL characters',
    required: true,
  },
  direction: {
    check: (v: unknown) => v === 'in' || v === 'out',
    what: '"in" or "out"',
    required: true,
  },
  time: {
    check: (v: unknown) => isString(v) && Number.isFinite(Date.parse(v as string)),
    what: 'an ISO time',
    required: true,
  },
  event: { check: isText, what: 'a string or null without NUL characters' },
  webhookId: { check: isText, what: 'a string or null without NUL characters' },
  url: { check: isText, what: 'a string without NUL characters', required: true },
  method: { check: isText, what: 'a string without NUL characters', required: true },
  headers: { check: isStringMap, what: 'an object of strings', required: true },
  body: { check: isString, what: 'a string', required: true },
  bodyEncoding: {
    check: (v: unknown) => v === 'utf8' || v === 'base64',
    what: '"utf8" or "base64"',
  },
  attempts: {
    check: (v: unknown) => Array.isArray(v) && v.every(nested(ATTEMPT, 'attempts[].')),
    what: 'an array of attempts ({attempt, durationMs, status?, error?})',
  },
  response: {
    check: nested(RESPONSE, 'response'),
    what: 'an object ({status?, headers?, body?, error?})',
  },
  ok: { check: isBoolean, what: 'true or false' },
  replayOf: { check: isText, what: 'a string without NUL characters' },
  remoteAddress: { check: isString, what: 'a string' },
  verdict: {
    check: nested(VERDICT, 'verdict'),
    what: 'an object ({valid, cause, message, webhookId?})',
  },
  answer: { check: (v: unknown) => isObject(v) && isInt(v.status), what: 'an object ({status})' },
  checkRun: {
    check: (v: unknown) => isObject(v) && isText(v.id) && isText(v.check),
    what: 'an object ({id, check})',
  },
  drift: {
    check: (v: unknown) =>
      isObject(v) &&
      (v.level === 'warning' || v.level === 'info') &&
      Array.isArray(v.issues) &&
      isInt(v.count),
    what: 'an object ({level: "warning" or "info", issues, count})',
  },
};

/** How deep a JSON value nests, counted without recursion (a hostile file nests 100,000 deep). */
function depthOf(value: unknown, limit: number): number {
  let deepest = 0;
  const stack: Array<[unknown, number]> = [[value, 1]];
  while (stack.length) {
    const [v, depth] = stack.pop()!;
    if (!v || typeof v !== 'object') continue;
    deepest = Math.max(deepest, depth);
    if (deepest > limit) return deepest;
    for (const child of Object.values(v)) stack.push([child, depth + 1]);
  }
  return deepest;
}

/**
 * A record read from an untrusted source (an old log, an import file), checked field by field
 * against the record's shape: the record to keep (nulls of optional fields dropped, a missing
 * encoding made utf8), or what is wrong with it in words.
 */
export function parseRecord(
  value: unknown,
): { record: DeliveryRecord; problem?: undefined } | { record?: undefined; problem: string } {
  if (!isObject(value)) return { problem: 'not a JSON object' };
  const problem = fieldProblem(value, FIELDS);
  if (problem) return { problem };
  if (value.bodyEncoding === 'base64' && !BASE64.test(value.body as string))
    return { problem: 'body is marked base64 but is not base64' };
  const record: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) {
    if (k === '__proto__' || (v === null && k !== 'event' && k !== 'webhookId')) continue;
    if (!(k in FIELDS) && depthOf(v, MAX_UNKNOWN_DEPTH) > MAX_UNKNOWN_DEPTH)
      return { problem: `${k} nests deeper than ${MAX_UNKNOWN_DEPTH} levels` };
    record[k] = v;
  }
  record.event ??= null;
  record.bodyEncoding ??= 'utf8';
  return { record: record as unknown as DeliveryRecord };
}

/** Whether a value read from an untrusted source is a whole, well-typed record. */
export const isRecord = (value: unknown): value is DeliveryRecord =>
  parseRecord(value).problem === undefined;
