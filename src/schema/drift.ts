/**
 * Drift: how a received delivery differs from the shape bluehook knows for its event. A key Blue
 * no longer sends, or a value of another type (or format), is a warning: a receiver reading it
 * breaks. A key bluehook does not know is information: Blue added a field, receivers keep working.
 *
 * The checks are compiled once per shape into closures (no schema interpretation per delivery):
 * `listen` runs one on every valid delivery, on its hot path.
 */
import { EVENTS, type EventInfo } from '../blue/catalogue.js';
import { type FieldSpec, type Format, SHAPES, type Shape, type ShapeName } from '../blue/shapes.js';
import { ENTITY_SHAPE } from './model.js';

export type DriftKind = 'missing' | 'type' | 'format' | 'added' | 'unknown-event';
export type DriftLevel = 'warning' | 'info';

export interface DriftIssue {
  /** Where, from the body's root: `currentValue.todoList.title`, `currentValue.todoTags[0].tag`. */
  path: string;
  kind: DriftKind;
  /** What the schema says (`string`, `cuid`, `string | null`); absent for an added key. */
  expected?: string;
  /** What arrived (`number`, `null`); absent for a missing key. */
  actual?: string;
}

export interface Drift {
  /** warning: a key missing or of another type; info: only keys (or an event) bluehook does not know. */
  level: DriftLevel;
  /** The first issues found (at most MAX_ISSUES), warnings first. */
  issues: DriftIssue[];
  /** How many were found in all. */
  count: number;
}

export const MAX_ISSUES = 20;
const WARNING_KINDS: ReadonlySet<DriftKind> = new Set(['missing', 'type', 'format']);

/**
 * Where a value sits, as a chain built only for rows and list items (a few per delivery); the
 * path's text is made only when an issue is found, never on the way down.
 */
interface Where {
  readonly parent: Where | null;
  readonly key: string | number;
}
const pathOf = (where: Where | null, key: string | number): string => {
  const parts: Array<string | number> = [key];
  for (let w = where; w; w = w.parent) parts.push(w.key);
  let text = '';
  for (let i = parts.length - 1; i >= 0; i--) {
    const p = parts[i]!;
    text += typeof p === 'number' ? `[${p}]` : text ? `.${p}` : p;
  }
  return text;
};

type Check = (value: unknown, where: Where | null, key: string | number, out: DriftIssue[]) => void;

// Formats were most of the check's cost (a delivery holds dozens of ids and timestamps, ~100 ns a
// regular expression here): on the hot path they are told by their landmarks (length, first
// character, separators), which a real change of format (a UUID, a date without milliseconds)
// breaks. The published schema keeps the exact patterns, for validators.
const DATE_TIME = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)$/;
const DECIMAL = /^-?[0-9]+(\.[0-9]+)?$/;
const FORMAT_TESTS: Record<Format, (s: string) => boolean> = {
  cuid: (s) => s.length === 25 && s.charCodeAt(0) === 99, // c
  uid: (s) => s.length === 32,
  // 2022-12-01T11:23:09.241Z, as Blue writes it; any other ISO-8601 form by the full pattern.
  'date-time': (s) =>
    (s.length === 24 &&
      s.charCodeAt(4) === 45 &&
      s.charCodeAt(10) === 84 &&
      s.charCodeAt(19) === 46 &&
      s.charCodeAt(23) === 90) ||
    DATE_TIME.test(s),
  decimal: (s) => DECIMAL.test(s),
  uri: (s) => s.startsWith('https://') || s.startsWith('http://') || URL.canParse(s),
  email: (s) => s.includes('@'),
};

const typeOf = (v: unknown): string =>
  v === null ? 'null' : Array.isArray(v) ? 'array' : typeof v === 'object' ? 'object' : typeof v;

function describe(field: FieldSpec): string {
  switch (field.kind) {
    case 'scalar':
      return [...field.types, ...(field.nullable ? ['null'] : [])].join(' | ');
    case 'row':
      return field.nullable ? `${field.shape} | null` : field.shape;
    case 'list':
      return `array of ${describe(field.of)}`;
    case 'any':
      return 'any';
  }
}

const compiled = new Map<ShapeName, Check>();

function compileField(field: FieldSpec): Check {
  switch (field.kind) {
    case 'any':
      return () => undefined;
    case 'scalar': {
      const nullable = field.nullable === true;
      const format = field.format;
      const test = format ? FORMAT_TESTS[format] : undefined;
      const expected = describe(field);
      const wrong = (
        value: unknown,
        where: Where | null,
        key: string | number,
        out: DriftIssue[],
      ) => out.push({ path: pathOf(where, key), kind: 'type', expected, actual: typeOf(value) });
      if (field.types.length === 1 && field.types[0] !== 'integer') {
        // The common case: one type, checked with one typeof.
        const only = field.types[0]!;
        return (value, where, key, out) => {
          if (typeof value === only) {
            if (test !== undefined && !test(value as string))
              out.push({
                path: pathOf(where, key),
                kind: 'format',
                expected: format,
                actual: 'string',
              });
          } else if (value !== null || !nullable) wrong(value, where, key, out);
        };
      }
      const types = new Set<string>(field.types);
      const integer = types.has('integer');
      if (integer) types.add('number');
      return (value, where, key, out) => {
        if (value === null) {
          if (!nullable) wrong(value, where, key, out);
          return;
        }
        const t = typeof value;
        if (!types.has(t) || (integer && t === 'number' && !Number.isInteger(value)))
          wrong(value, where, key, out);
      };
    }
    case 'row': {
      const name = field.shape as ShapeName;
      const nullable = field.nullable === true;
      return (value, where, key, out) => {
        if (value === null && nullable) return;
        rowCheck(name)(value, where, key, out);
      };
    }
    case 'list': {
      const item = compileField(field.of);
      const expected = describe(field);
      return (value, where, key, out) => {
        if (!Array.isArray(value)) {
          out.push({ path: pathOf(where, key), kind: 'type', expected, actual: typeOf(value) });
          return;
        }
        if (!value.length) return;
        const here: Where = { parent: where, key };
        for (let i = 0; i < value.length; i++) item(value[i], here, i, out);
      };
    }
  }
}

/** The check of one row shape, compiled on first use (shapes refer to each other). */
function rowCheck(name: ShapeName): Check {
  const known = compiled.get(name);
  if (known) return known;
  let keys: string[] | undefined;
  let checks: Check[] | undefined;
  let known_: Set<string> | undefined;
  const check: Check = (value, where, key, out) => {
    if (!keys) {
      const shape: Shape = SHAPES[name];
      keys = Object.keys(shape.fields);
      checks = keys.map((k) => compileField(shape.fields[k]!));
      known_ = new Set(keys);
    }
    if (value === null || typeof value !== 'object' || Array.isArray(value)) {
      out.push({ path: pathOf(where, key), kind: 'type', expected: name, actual: typeOf(value) });
      return;
    }
    const row = value as Record<string, unknown>;
    const here: Where = { parent: where, key };
    let present = 0;
    for (let i = 0; i < keys.length; i++) {
      const k = keys[i]!;
      const v = row[k];
      if (v === undefined) {
        if (k in row) {
          present++;
          out.push({ path: pathOf(here, k), kind: 'type', actual: 'undefined' });
        } else out.push({ path: pathOf(here, k), kind: 'missing', expected: k });
      } else {
        present++;
        checks![i]!(v, here, k, out);
      }
    }
    // Every known key was there and there are no more keys than that: nothing new (no scan).
    let total = 0;
    for (const _ in row) total++;
    if (total !== present)
      for (const k in row)
        if (!known_!.has(k))
          out.push({ path: pathOf(here, k), kind: 'added', actual: typeOf(row[k]) });
  };
  compiled.set(name, check);
  return check;
}

const BY_NAME = new Map<string, EventInfo>(EVENTS.map((e) => [e.name, e]));
const TOP_KEYS = new Set(['event', 'webhook', 'previousValue', 'currentValue']);

/**
 * How `body` (a parsed delivery) differs from its event's shape; null when it does not. A body that
 * is not an object, or names no event, is not checked (it is not a delivery at all).
 */
export function deliveryDrift(body: unknown): Drift | null {
  if (body === null || typeof body !== 'object' || Array.isArray(body)) return null;
  const d = body as Record<string, unknown>;
  if (typeof d.event !== 'string') return null;
  const out: DriftIssue[] = [];
  const info = BY_NAME.get(d.event);
  if (!info) {
    out.push({ path: 'event', kind: 'unknown-event', actual: d.event });
    return summarise(out);
  }
  if (!('webhook' in d)) out.push({ path: 'webhook', kind: 'missing', expected: 'webhook' });
  else rowCheck('DeliveryWebhook')(d.webhook, null, 'webhook', out);
  if (info.kind !== 'health-check') {
    const entity = rowCheck(ENTITY_SHAPE[info.entity as 'record']);
    const side = (key: 'previousValue' | 'currentValue', expect: 'entity' | 'null') => {
      if (!(key in d)) {
        // A create may leave previousValue out (the real 2022 capture does).
        if (!(key === 'previousValue' && info.kind === 'create'))
          out.push({ path: key, kind: 'missing', expected: key });
        return;
      }
      const v = d[key];
      if (expect === 'null') {
        if (v !== null) out.push({ path: key, kind: 'type', expected: 'null', actual: typeOf(v) });
      } else entity(v, null, key, out);
    };
    side('previousValue', info.kind === 'create' ? 'null' : 'entity');
    side('currentValue', info.kind === 'delete' ? 'null' : 'entity');
  }
  for (const key in d)
    if (
      !TOP_KEYS.has(key) ||
      (info.kind === 'health-check' && key !== 'event' && key !== 'webhook')
    )
      out.push({ path: key, kind: 'added', actual: typeOf(d[key]) });
  return summarise(out);
}

function summarise(issues: DriftIssue[]): Drift | null {
  if (!issues.length) return null;
  const warnings = issues.filter((i) => WARNING_KINDS.has(i.kind));
  const ordered =
    warnings.length === issues.length
      ? issues
      : [...warnings, ...issues.filter((i) => !WARNING_KINDS.has(i.kind))];
  return {
    level: warnings.length ? 'warning' : 'info',
    issues: ordered.slice(0, MAX_ISSUES),
    count: issues.length,
  };
}

/** One line for an issue: `currentValue.todoList.title missing (string)`. */
export function describeIssue(i: DriftIssue): string {
  switch (i.kind) {
    case 'missing':
      return `${i.path} missing`;
    case 'type':
      return `${i.path} is ${i.actual}, expected ${i.expected}`;
    case 'format':
      return `${i.path} is not a ${i.expected}`;
    case 'added':
      return `${i.path} is new (${i.actual})`;
    case 'unknown-event':
      return `event ${i.actual} is not one bluehook knows`;
  }
}
