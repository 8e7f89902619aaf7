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

type Check = (value: unknown, path: string, out: DriftIssue[]) => void;

const FORMAT_TESTS: Record<Format, (s: string) => boolean> = {
  cuid: (s) => /^c[0-9a-z]{24}$/.test(s),
  uid: (s) => /^[0-9a-f]{32}$/.test(s),
  'date-time': (s) =>
    /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)$/.test(s) &&
    Number.isFinite(Date.parse(s)),
  decimal: (s) => /^-?[0-9]+(\.[0-9]+)?$/.test(s),
  uri: (s) => URL.canParse(s),
  email: (s) => /^[^\s@]+@[^\s@]+$/.test(s),
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
      const types = new Set<string>(field.types);
      const integer = types.has('integer');
      if (integer) types.add('number');
      const nullable = field.nullable === true;
      const format = field.format;
      const test = format ? FORMAT_TESTS[format] : undefined;
      const expected = describe(field);
      return (value, path, out) => {
        if (value === null) {
          if (!nullable) out.push({ path, kind: 'type', expected, actual: 'null' });
          return;
        }
        const t = typeof value;
        if (!types.has(t) || (integer && t === 'number' && !Number.isInteger(value))) {
          out.push({ path, kind: 'type', expected, actual: typeOf(value) });
          return;
        }
        if (test && !test(value as string))
          out.push({ path, kind: 'format', expected: format, actual: 'string' });
      };
    }
    case 'row': {
      const name = field.shape as ShapeName;
      const nullable = field.nullable === true;
      return (value, path, out) => {
        if (value === null && nullable) return;
        rowCheck(name)(value, path, out);
      };
    }
    case 'list': {
      const item = compileField(field.of);
      const expected = describe(field);
      return (value, path, out) => {
        if (!Array.isArray(value)) {
          out.push({ path, kind: 'type', expected, actual: typeOf(value) });
          return;
        }
        for (let i = 0; i < value.length; i++) item(value[i], `${path}[${i}]`, out);
      };
    }
  }
}

/** The check of one row shape, compiled on first use (shapes refer to each other). */
function rowCheck(name: ShapeName): Check {
  const known = compiled.get(name);
  if (known) return known;
  let fields: Array<[string, Check]> | undefined;
  let keys: Set<string> | undefined;
  const check: Check = (value, path, out) => {
    if (!fields) {
      const shape: Shape = SHAPES[name];
      fields = Object.entries(shape.fields).map(([k, f]) => [k, compileField(f)]);
      keys = new Set(Object.keys(shape.fields));
    }
    if (value === null || typeof value !== 'object' || Array.isArray(value)) {
      out.push({ path, kind: 'type', expected: name, actual: typeOf(value) });
      return;
    }
    const row = value as Record<string, unknown>;
    for (const [key, fieldCheck] of fields) {
      const v = row[key];
      if (v === undefined) {
        if (!(key in row)) out.push({ path: `${path}.${key}`, kind: 'missing', expected: key });
        else out.push({ path: `${path}.${key}`, kind: 'type', actual: 'undefined' });
      } else fieldCheck(v, `${path}.${key}`, out);
    }
    for (const key in row)
      if (!keys!.has(key))
        out.push({ path: `${path}.${key}`, kind: 'added', actual: typeOf(row[key]) });
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
  else rowCheck('DeliveryWebhook')(d.webhook, 'webhook', out);
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
      } else entity(v, key, out);
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
