/**
 * `bluehook schema`'s documents: JSON Schema 2020-12, TypeScript, OpenAPI 3.1 and AsyncAPI 3, all
 * printed from one model (model.ts). Stable: definitions and events sorted by name, each row's
 * properties in the order Blue sends them, no dates, so the same bluehook prints the same bytes.
 */
import { type EventInfo, EVENT_GROUPS } from '../blue/catalogue.js';
import { type FieldSpec, SHAPES, type Shape } from '../blue/shapes.js';
import { usageError } from '../errors.js';
import {
  definitions,
  deliveryName,
  deliverySchema,
  fieldDescription,
  type JsonSchema,
  reachableShapes,
  selectEvents,
} from './model.js';

export const SCHEMA_FORMATS = ['json-schema', 'typescript', 'openapi', 'asyncapi'] as const;
export type SchemaFormat = (typeof SCHEMA_FORMATS)[number];

/** The version of this description of Blue's deliveries (raised when a shape changes). */
export const SCHEMA_VERSION = '1.0.0';

export interface SchemaOptions {
  /** Only these events (all when empty). */
  events?: readonly string[];
  /** additionalProperties: false everywhere (JSON Schema forms): for tests, never production. */
  strict?: boolean;
}

const TITLE = "Blue's webhook deliveries";
const ABOUT =
  "The bodies Blue (blue.cc) POSTs to a webhook's URL, one per event, signed with X-Signature. " +
  'Every row is sent with all its keys (null when unset). Blue may add fields at any time: ' +
  'receivers should ignore keys they do not know and tolerate event names they do not know.';

const SIGNATURE_DESCRIPTION =
  "Lowercase hex HMAC-SHA256 of the raw body bytes, keyed with the webhook's secret as UTF-8: " +
  '64 characters, no prefix, no timestamp. Verify against the exact bytes received (never a ' +
  're-serialised body), in constant time.';
const SIGNATURE_SCHEMA = { type: 'string', pattern: '^[0-9a-f]{64}$' };

const json = (doc: unknown) => `${JSON.stringify(doc, null, 2)}\n`;

export function generateSchema(format: string, options: SchemaOptions = {}): string {
  const events = selectEvents(options.events);
  switch (format) {
    case 'json-schema':
      return json(jsonSchemaDocument(events, options.strict));
    case 'typescript':
      return typescriptDeclarations(events);
    case 'openapi':
      return json(openApiDocument(events, options.strict));
    case 'asyncapi':
      return json(asyncApiDocument(events, options.strict));
    default:
      throw usageError(`unknown schema format "${format}": choose ${SCHEMA_FORMATS.join(', ')}`);
  }
}

/**
 * One document for a delivery of any of the events: a `oneOf` of one definition per event, each
 * fixing `event` with `const` (one event: a `$ref` to its definition).
 */
export function jsonSchemaDocument(events: readonly EventInfo[], strict = false): JsonSchema {
  const style = { refPrefix: '#/$defs/', strict };
  const refs = events.map((e) => ({ $ref: `#/$defs/${deliveryName(e.name)}` }));
  return {
    $schema: 'https://json-schema.org/draft/2020-12/schema',
    title: events.length === 1 ? `${TITLE}: ${events[0]!.name}` : TITLE,
    description: ABOUT,
    ...(refs.length === 1 ? refs[0] : { oneOf: refs }),
    $defs: definitions(events, style),
  };
}

export function openApiDocument(events: readonly EventInfo[], strict = false): JsonSchema {
  const style = { refPrefix: '#/components/schemas/', strict };
  const schemas: Record<string, JsonSchema> = {
    BlueDelivery: {
      description: 'A delivery of any of these events, told apart by `event`.',
      oneOf: events.map((e) => ({ $ref: `#/components/schemas/${deliveryName(e.name)}` })),
      discriminator: {
        propertyName: 'event',
        mapping: Object.fromEntries(
          events.map((e) => [e.name, `#/components/schemas/${deliveryName(e.name)}`]),
        ),
      },
    },
    ...definitions(events, style),
  };
  const webhooks: Record<string, JsonSchema> = {};
  for (const e of events)
    webhooks[e.name] = {
      post: {
        operationId: camel(e.name),
        summary: e.description,
        description:
          (e.subscribable
            ? `Sent for ${e.name} to every enabled webhook subscribed to it. `
            : 'Sent when a webhook is enabled (updateWebhook with enabled: true); it cannot be subscribed to. ') +
          'Blue waits 7 s for an answer; any 2xx is success, anything else is retried (5 attempts in all), after which the webhook is disabled.',
        tags: [e.group],
        parameters: [{ $ref: '#/components/parameters/XSignature' }],
        requestBody: {
          required: true,
          content: {
            'application/json': {
              schema: { $ref: `#/components/schemas/${deliveryName(e.name)}` },
            },
          },
        },
        responses: {
          '2XX': { description: 'Received: any 2xx answer within 7 s.' },
          default: { description: 'Any other answer, or none in 7 s: Blue retries.' },
        },
      },
    };
  const groups = EVENT_GROUPS.filter((g) => events.some((e) => e.group === g)).sort();
  return {
    openapi: '3.1.0',
    info: { title: TITLE, version: SCHEMA_VERSION, description: ABOUT },
    tags: groups.map((g) => ({ name: g })),
    webhooks,
    components: {
      schemas,
      parameters: {
        XSignature: {
          name: 'X-Signature',
          in: 'header',
          required: true,
          description: SIGNATURE_DESCRIPTION,
          schema: SIGNATURE_SCHEMA,
        },
      },
    },
  };
}

export function asyncApiDocument(events: readonly EventInfo[], strict = false): JsonSchema {
  const style = { refPrefix: '#/components/schemas/', strict };
  const channels: Record<string, JsonSchema> = {};
  const operations: Record<string, JsonSchema> = {};
  const messages: Record<string, JsonSchema> = {};
  for (const e of events) {
    channels[e.name] = {
      // Every event goes to the webhook's own URL, which each receiver chooses.
      address: null,
      title: e.name,
      description: `${e.description}. POSTed to the webhook's URL.`,
      messages: { [e.name]: { $ref: `#/components/messages/${e.name}` } },
    };
    operations[camel(e.name)] = {
      action: 'receive',
      title: `Receive ${e.name}`,
      summary: e.description,
      channel: { $ref: `#/channels/${e.name}` },
      messages: [{ $ref: `#/channels/${e.name}/messages/${e.name}` }],
    };
    messages[e.name] = {
      name: e.name,
      title: e.name,
      summary: e.description,
      contentType: 'application/json',
      headers: { $ref: '#/components/schemas/SignatureHeaders' },
      payload: { $ref: `#/components/schemas/${deliveryName(e.name)}` },
    };
  }
  return {
    asyncapi: '3.0.0',
    info: { title: TITLE, version: SCHEMA_VERSION, description: ABOUT },
    defaultContentType: 'application/json',
    channels,
    operations,
    components: {
      schemas: {
        SignatureHeaders: {
          type: 'object',
          properties: {
            'X-Signature': { description: SIGNATURE_DESCRIPTION, ...SIGNATURE_SCHEMA },
          },
          required: ['X-Signature'],
        },
        ...definitions(events, style),
      },
      messages,
    },
  };
}

const camel = (event: string) => {
  const pascal = deliveryName(event).replace(/Delivery$/, '');
  return pascal.charAt(0).toLowerCase() + pascal.slice(1);
};

// TypeScript: the same model as declarations, formatted as the project's formatter would.

const WIDTH = 100;

function tsType(field: FieldSpec): string {
  switch (field.kind) {
    case 'scalar': {
      const types = field.types.map((t) => (t === 'integer' ? 'number' : t));
      return [...types, ...(field.nullable ? ['null'] : [])].join(' | ');
    }
    case 'row':
      return field.nullable ? `${field.shape} | null` : field.shape;
    case 'list': {
      const inner = tsType(field.of);
      return inner.includes(' ') ? `Array<${inner}>` : `${inner}[]`;
    }
    case 'any':
      return 'unknown';
  }
}

function doc(text: string | undefined, indent: string): string {
  if (!text) return '';
  const one = `${indent}/** ${text} */`;
  return `${one.length <= WIDTH ? one : `${indent}/**\n${indent} * ${text}\n${indent} */`}\n`;
}

function union(name: string, members: readonly string[], about: string): string {
  const one = `export type ${name} = ${members.join(' | ')};`;
  const body =
    one.length <= WIDTH
      ? one
      : `export type ${name} =\n${members.map((m) => `  | ${m}`).join('\n')};`;
  return `${doc(about, '')}${body}\n`;
}

export function typescriptDeclarations(events: readonly EventInfo[]): string {
  const out: string[] = [
    "// Blue's webhook deliveries as TypeScript types. Generated by `bluehook schema --format typescript`\n" +
      "// from bluehook's catalogue of Blue's events and its declared row shapes: do not edit by hand.\n",
  ];
  out.push(
    union(
      'EventName',
      events.map((e) => `'${e.name}'`),
      "The name of one of Blue's events (or WEBHOOK_HEALTH_CHECK).",
    ),
  );
  out.push(
    union(
      'BlueDelivery',
      events.map((e) => deliveryName(e.name)),
      'A delivery of any event: narrow it on `event`.',
    ),
  );
  out.push(
    `${doc("The delivery of one event: DeliveryOf<'TODO_CREATED'>.", '')}export type DeliveryOf<E extends EventName> = Extract<BlueDelivery, { event: E }>;\n`,
  );
  const style = { refPrefix: '' };
  for (const e of events) {
    const schema = deliverySchema(e, style);
    const properties = schema.properties as Record<string, JsonSchema>;
    const required = new Set(schema.required as string[]);
    const lines = [`${doc(schema.description as string, '')}export interface ${schema.title} {`];
    for (const [key, p] of Object.entries(properties)) {
      const type =
        'const' in p
          ? `'${String(p.const)}'`
          : '$ref' in p
            ? String(p.$ref)
            : p.type === 'null'
              ? 'null'
              : 'unknown';
      lines.push(
        `${doc(p.description as string | undefined, '  ')}  ${key}${required.has(key) ? '' : '?'}: ${type};`,
      );
    }
    lines.push('}\n');
    out.push(lines.join('\n'));
  }
  for (const name of reachableShapes(events)) {
    const shape: Shape = SHAPES[name];
    const lines = [`${doc(shape.description, '')}export interface ${name} {`];
    for (const [key, field] of Object.entries(shape.fields))
      lines.push(`${doc(fieldDescription(field), '  ')}  ${key}: ${tsType(field)};`);
    lines.push('}\n');
    out.push(lines.join('\n'));
  }
  return out.join('\n');
}
