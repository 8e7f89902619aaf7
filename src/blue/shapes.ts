/**
 * The shape of every row Blue puts in a delivery, declared once. The entity factories lay their
 * rows out by it (exactly these keys, in this order: see `layout`), src/schema/ generates the JSON
 * Schema, TypeScript, OpenAPI and AsyncAPI documents from it, and the drift check compares what a
 * receiver gets with it. Facts from the real capture (fixtures/blue/todo-created.delivery.json) and
 * docs/blue-webhooks.md, section 2: unset values are explicit null, so every key is always sent.
 */
import { internalError } from '../errors.js';

export type Scalar = 'string' | 'number' | 'integer' | 'boolean';
/**
 * cuid: Blue's ids ('c' and 24 lowercase base36, 25 characters); uid: 32 lowercase hex;
 * date-time: ISO-8601 as Blue writes it (milliseconds and Z); decimal: a number written as a string
 * (a record's position); uri, email.
 */
export type Format = 'cuid' | 'uid' | 'date-time' | 'decimal' | 'uri' | 'email';

export type FieldSpec =
  | {
      readonly kind: 'scalar';
      readonly types: readonly Scalar[];
      readonly format?: Format;
      readonly nullable?: boolean;
      readonly description?: string;
    }
  | {
      readonly kind: 'row';
      /** A key of SHAPES (checked when this module loads). */
      readonly shape: string;
      readonly nullable?: boolean;
      readonly description?: string;
    }
  | { readonly kind: 'list'; readonly of: FieldSpec; readonly description?: string }
  /** Any JSON value: Blue has only ever shown null here, so nothing more is claimed. */
  | { readonly kind: 'any'; readonly description?: string };

const scalar = (type: Scalar, format?: Format, description?: string): FieldSpec => ({
  kind: 'scalar',
  types: [type],
  ...(format ? { format } : {}),
  ...(description ? { description } : {}),
});
const str = (description?: string) => scalar('string', undefined, description);
const num = (description?: string) => scalar('number', undefined, description);
const bool = (description?: string) => scalar('boolean', undefined, description);
const cuid = (description?: string) => scalar('string', 'cuid', description);
const uid = () => scalar('string', 'uid');
const time = (description?: string) => scalar('string', 'date-time', description);
const nullable = (f: FieldSpec): FieldSpec => ({ ...f, nullable: true }) as FieldSpec;
const row = (shape: string, description?: string): FieldSpec => ({
  kind: 'row',
  shape,
  ...(description ? { description } : {}),
});
const list = (of: FieldSpec, description?: string): FieldSpec => ({
  kind: 'list',
  of,
  ...(description ? { description } : {}),
});
const any = (description: string): FieldSpec => ({ kind: 'any', description });

export interface Shape {
  readonly description: string;
  readonly fields: Readonly<Record<string, FieldSpec>>;
}

const shape = <F extends Record<string, FieldSpec>>(description: string, fields: F) => ({
  description,
  fields,
});

/** The rows, by the name their TypeScript interface and JSON Schema definition carry. */
export const SHAPES = {
  Company: shape('The organisation (company) a project belongs to, as its database row.', {
    id: cuid(),
    uid: uid(),
    slug: str(),
    name: str(),
    description: nullable(str()),
    createdAt: time(),
    updatedAt: time(),
    freeTrialExpiredAt: nullable(time()),
    freeTrialStartedAt: nullable(time()),
    subscribedAt: nullable(time()),
    imageId: nullable(str()),
    subscriptionPlanId: nullable(cuid()),
    freeTrialExtendedById: nullable(str()),
    freeTrialExtendedAt: nullable(time()),
  }),
  Project: shape('A project (workspace), with its company expanded.', {
    id: cuid(),
    uid: uid(),
    slug: str(),
    name: str(),
    description: nullable(str()),
    archived: bool(),
    createdAt: time(),
    updatedAt: time(),
    isTemplate: bool(),
    isOfficialTemplate: bool(),
    category: str('GENERAL in every delivery seen'),
    companyId: cuid(),
    imageId: nullable(str()),
    hideEmailFromRoles: any('null in every delivery seen; its other form is not documented'),
    company: row('Company'),
  }),
  TodoList: shape('A list of records, with its project expanded.', {
    id: cuid(),
    uid: uid(),
    createdAt: time(),
    updatedAt: time(),
    title: str(),
    position: num("a number (a record's position is a string)"),
    createdById: cuid(),
    projectId: cuid(),
    project: row('Project'),
  }),
  User: shape('A user, as expanded in an assignee row.', {
    id: cuid(),
    uid: uid(),
    username: str(),
    email: scalar('string', 'email'),
    firstName: str(),
    lastName: str(),
    fullName: str(),
    imageId: nullable(str()),
    createdAt: time(),
    updatedAt: time(),
  }),
  TodoUser: shape('An assignee: the row linking a record (or checklist item) to a user.', {
    id: cuid(),
    todoId: cuid('the record (or checklist item) assigned'),
    userId: cuid(),
    createdAt: time(),
    updatedAt: time(),
    user: row('User'),
  }),
  Tag: shape('A tag of a project.', {
    id: cuid(),
    uid: uid(),
    title: str(),
    color: str('a CSS colour such as #ff5757'),
    projectId: cuid(),
    createdById: cuid(),
    createdAt: time(),
    updatedAt: time(),
    project: row('Project'),
  }),
  TodoTag: shape('The row linking a record to a tag.', {
    id: cuid(),
    todoId: cuid(),
    tagId: cuid(),
    createdAt: time(),
    updatedAt: time(),
    tag: row('Tag'),
  }),
  CustomField: shape("A custom field's definition in a project.", {
    id: cuid(),
    uid: uid(),
    name: str(),
    type: str('TEXT_SINGLE, NUMBER, SELECT_SINGLE, CURRENCY, CHECKBOX, DATE, ...'),
    position: num(),
    description: nullable(str()),
    min: nullable(num()),
    max: nullable(num()),
    currency: nullable(str()),
    prefix: nullable(str()),
    projectId: cuid(),
    createdById: cuid(),
    createdAt: time(),
    updatedAt: time(),
    project: row('Project'),
  }),
  TodoCustomField: shape("A record's value of a custom field.", {
    id: cuid(),
    todoId: cuid(),
    customFieldId: cuid(),
    value: {
      kind: 'scalar',
      types: ['string', 'number', 'boolean'],
      nullable: true,
      description:
        "of the field's type: text, a number or amount, a checkbox's boolean, a date (ISO-8601), an option",
    },
    createdAt: time(),
    updatedAt: time(),
    customField: row('CustomField'),
  }),
  Todo: shape(
    'A record (todo), as its database row with its related rows expanded (the real capture).',
    {
      id: cuid(),
      uid: uid(),
      title: str(),
      html: nullable(str()),
      text: nullable(str()),
      position: scalar('string', 'decimal', 'as in "32767.5"'),
      archived: bool(),
      done: bool(),
      startedAt: nullable(time()),
      duedAt: nullable(time()),
      timezone: nullable(str()),
      createdAt: time(),
      updatedAt: time(),
      createdById: cuid(),
      todoListId: cuid(),
      todoCustomFields: list(row('TodoCustomField')),
      todoUsers: list(row('TodoUser')),
      todoTags: list(row('TodoTag')),
      todoList: row('TodoList'),
    },
  ),
  Checklist: shape('A checklist of a record, with the record expanded.', {
    id: cuid(),
    uid: uid(),
    title: str(),
    position: num(),
    createdAt: time(),
    updatedAt: time(),
    createdById: cuid(),
    todoId: cuid(),
    todo: row('Todo'),
  }),
  ChecklistItem: shape('An item of a checklist, with the checklist expanded.', {
    id: cuid(),
    uid: uid(),
    title: str(),
    position: num(),
    done: bool(),
    startedAt: nullable(time()),
    duedAt: nullable(time()),
    createdAt: time(),
    updatedAt: time(),
    createdById: cuid(),
    checklistId: cuid(),
    checklistItemUsers: list(row('TodoUser')),
    checklist: row('Checklist'),
  }),
  Comment: shape('A comment on a record, with the record expanded.', {
    id: cuid(),
    uid: uid(),
    html: str(),
    text: str(),
    category: str('TODO: a comment on a record'),
    categoryId: cuid('the record commented on'),
    userId: cuid(),
    deletedAt: nullable(time()),
    deletedById: nullable(cuid()),
    createdAt: time(),
    updatedAt: time(),
    todo: row('Todo'),
  }),
  WebhookMetadata: shape("The webhook's subscription: empty lists mean all.", {
    events: list(str(), 'the events subscribed to (empty: all)'),
    projectIds: list(cuid(), 'the projects subscribed to (empty: all)'),
  }),
  DeliveryWebhook: shape(
    "The webhook's stored row as Blue embeds it in every delivery (not the GraphQL Webhook type).",
    {
      id: cuid(),
      uid: uid(),
      name: nullable(str()),
      url: scalar('string', 'uri'),
      secret: str('always the empty string in a delivery'),
      status: str('HEALTHY or UNHEALTHY'),
      enabled: bool(),
      metadata: row('WebhookMetadata'),
      createdById: cuid(),
      createdAt: time(),
      updatedAt: time(),
    },
  ),
} as const satisfies Record<string, Shape>;

export type ShapeName = keyof typeof SHAPES;

/** The values of a row of `N`: exactly its keys (a missing or extra key does not compile). */
export type RowValues<N extends ShapeName> = { [K in keyof (typeof SHAPES)[N]['fields']]: unknown };

const KEYS = Object.fromEntries(
  Object.entries(SHAPES as Record<string, Shape>).map(([name, s]) => [name, Object.keys(s.fields)]),
) as unknown as Record<ShapeName, readonly string[]>;

/** The shape a field refers to, if any (through a list too). */
export function shapeOf(field: FieldSpec): ShapeName | undefined {
  if (field.kind === 'row') return field.shape as ShapeName;
  if (field.kind === 'list') return shapeOf(field.of);
  return undefined;
}

for (const [name, s] of Object.entries(SHAPES as Record<string, Shape>))
  for (const [key, field] of Object.entries(s.fields)) {
    const ref = shapeOf(field);
    if (ref !== undefined && !(ref in SHAPES))
      throw internalError(`${name}.${key} refers to an unknown shape ${ref}`);
  }

/** The keys of a row of `name`, in the order Blue sends them. */
export const shapeKeys = (name: ShapeName): readonly string[] => KEYS[name];

/** A row of `name` with its keys in Blue's order; a key left undefined is a bug here, not input. */
export function layout<N extends ShapeName>(
  name: N,
  values: RowValues<N>,
): Record<string, unknown> {
  const source = values as Record<string, unknown>;
  const out: Record<string, unknown> = {};
  for (const key of KEYS[name]) {
    const value = source[key];
    if (value === undefined) throw internalError(`${name}.${key} has no value`);
    out[key] = value;
  }
  return out;
}
