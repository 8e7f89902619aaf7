/**
 * The one model every schema format is printed from: each event's delivery and each entity row,
 * built from the catalogue (blue/catalogue.ts) and the declared row shapes (blue/shapes.ts).
 * JSON Schema, OpenAPI and AsyncAPI share these definitions (only where a `$ref` points differs);
 * TypeScript prints the same model as interfaces.
 */
import { EVENTS, type EntityType, type EventInfo, resolveEvent } from '../blue/catalogue.js';
import { type FieldSpec, type Format, SHAPES, type Shape, type ShapeName } from '../blue/shapes.js';

/** The entity row each event carries, by the catalogue's entity type. */
export const ENTITY_SHAPE: Record<Exclude<EntityType, 'webhook'>, ShapeName> = {
  record: 'Todo',
  checklist: 'Checklist',
  checklistItem: 'ChecklistItem',
  list: 'TodoList',
  customField: 'CustomField',
  tag: 'Tag',
  comment: 'Comment',
};

/** Patterns for the formats JSON Schema has no name for (true of every id Blue has shown). */
export const FORMAT_PATTERNS: Partial<Record<Format, string>> = {
  cuid: '^c[0-9a-z]{24}$',
  uid: '^[0-9a-f]{32}$',
  decimal: '^-?[0-9]+(\\.[0-9]+)?$',
};
/** Formats JSON Schema names (and validators such as ajv-formats check). */
const NAMED_FORMATS: Partial<Record<Format, string>> = {
  'date-time': 'date-time',
  uri: 'uri',
  email: 'email',
};
const FORMAT_WORDS: Record<Format, string> = {
  cuid: "a cuid (Blue's ids: c and 24 lowercase letters and digits)",
  uid: '32 lowercase hex digits',
  'date-time': 'ISO-8601, UTC, with milliseconds',
  decimal: 'a decimal number written as a string',
  uri: 'a URL',
  email: 'an email address',
};

/** TODO_CREATED -> TodoCreatedDelivery: the name of an event's delivery in every format. */
export const deliveryName = (event: string) =>
  `${event
    .toLowerCase()
    .split('_')
    .map((w) => w.charAt(0).toUpperCase() + w.slice(1))
    .join('')}Delivery`;

export type JsonSchema = Record<string, unknown>;

/** What a field's description says, its format's words included. */
export function fieldDescription(field: FieldSpec): string | undefined {
  const parts: string[] = [];
  if (field.description) parts.push(field.description);
  if (field.kind === 'scalar' && field.format) parts.push(FORMAT_WORDS[field.format]);
  return parts.length ? parts.join('; ') : undefined;
}

/**
 * Options for the JSON Schema forms: where a `$ref` points (`#/$defs/`, `#/components/schemas/`),
 * and whether unknown keys are refused (`strict`: for a receiver's own tests, never for
 * production: Blue may add a field at any time).
 */
export interface SchemaStyle {
  refPrefix: string;
  strict?: boolean;
}

function fieldSchema(field: FieldSpec, style: SchemaStyle): JsonSchema {
  const description = fieldDescription(field);
  const withDescription = (s: JsonSchema) => (description ? { description, ...s } : s);
  switch (field.kind) {
    case 'scalar': {
      const types: string[] = [...field.types];
      if (field.nullable) types.push('null');
      const s: JsonSchema = { type: types.length === 1 ? types[0] : types };
      if (field.format && NAMED_FORMATS[field.format]) s.format = NAMED_FORMATS[field.format];
      if (field.format && FORMAT_PATTERNS[field.format]) s.pattern = FORMAT_PATTERNS[field.format];
      return withDescription(s);
    }
    case 'row': {
      const ref = { $ref: `${style.refPrefix}${field.shape}` };
      return field.nullable
        ? withDescription({ anyOf: [ref, { type: 'null' }] })
        : description
          ? { description, ...ref }
          : ref;
    }
    case 'list':
      return withDescription({ type: 'array', items: fieldSchema(field.of, style) });
    case 'any':
      return withDescription({});
  }
}

export function shapeSchema(name: ShapeName, style: SchemaStyle): JsonSchema {
  const shape: Shape = SHAPES[name];
  const properties: Record<string, JsonSchema> = {};
  for (const [key, field] of Object.entries(shape.fields))
    properties[key] = fieldSchema(field, style);
  return {
    type: 'object',
    title: name,
    description: shape.description,
    properties,
    // Blue sends every key of a row, null when unset (the real capture): all are required.
    required: Object.keys(shape.fields),
    ...(style.strict ? { additionalProperties: false } : {}),
  };
}

/** What a delivery of `info` carries: the entity before and after, or null, by the event's kind. */
export function deliverySchema(info: EventInfo, style: SchemaStyle): JsonSchema {
  const properties: Record<string, JsonSchema> = {
    event: { const: info.name },
    webhook: { $ref: `${style.refPrefix}DeliveryWebhook` },
  };
  const required = ['event', 'webhook'];
  if (info.kind !== 'health-check') {
    const entity = { $ref: `${style.refPrefix}${ENTITY_SHAPE[info.entity as 'record']}` };
    const none = (why: string) => ({ type: 'null', description: why });
    if (info.kind === 'create') {
      // The current docs send null; the real 2022 capture left the key out: both are Blue's.
      properties.previousValue = none('null on a create (the key may be left out, as in 2022)');
      properties.currentValue = entity;
      required.push('currentValue');
    } else if (info.kind === 'delete') {
      properties.previousValue = entity;
      properties.currentValue = none('null on a delete');
      required.push('previousValue', 'currentValue');
    } else {
      properties.previousValue = entity;
      properties.currentValue = entity;
      required.push('previousValue', 'currentValue');
    }
  }
  return {
    type: 'object',
    title: deliveryName(info.name),
    description: `${info.name}: ${info.description}.`,
    properties,
    required,
    ...(style.strict ? { additionalProperties: false } : {}),
  };
}

/** The events asked for (all when none), sorted by name; unknown names are a usage error. */
export function selectEvents(names: readonly string[] = []): EventInfo[] {
  const chosen = names.length ? names.map((n) => resolveEvent(n)) : [...EVENTS];
  const unique = new Map(chosen.map((e) => [e.name, e]));
  return [...unique.values()].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}

/** The shapes the deliveries of `events` reach, sorted by name. */
export function reachableShapes(events: readonly EventInfo[]): ShapeName[] {
  const seen = new Set<ShapeName>();
  const visit = (name: ShapeName) => {
    if (seen.has(name)) return;
    seen.add(name);
    for (const field of Object.values((SHAPES[name] as Shape).fields)) {
      let f: FieldSpec = field;
      while (f.kind === 'list') f = f.of;
      if (f.kind === 'row') visit(f.shape as ShapeName);
    }
  };
  visit('DeliveryWebhook');
  for (const e of events) if (e.kind !== 'health-check') visit(ENTITY_SHAPE[e.entity as 'record']);
  return [...seen].sort();
}

/** Every definition the deliveries of `events` need, by name, sorted: deliveries and rows. */
export function definitions(
  events: readonly EventInfo[],
  style: SchemaStyle,
): Record<string, JsonSchema> {
  const defs: Record<string, JsonSchema> = {};
  for (const e of events) defs[deliveryName(e.name)] = deliverySchema(e, style);
  for (const s of reachableShapes(events)) defs[s] = shapeSchema(s, style);
  return Object.fromEntries(Object.entries(defs).sort(([a], [b]) => (a < b ? -1 : 1)));
}
