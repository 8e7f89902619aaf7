/**
 * Blue's webhook event catalogue: the 37 `WebhookEvent` enum values in schema order,
 * plus the delivery-only WEBHOOK_HEALTH_CHECK (see docs/blue-webhooks.md, section 1).
 */
import { usageError } from '../errors.js';
import { closest } from '../util/suggest.js';

export type EventKind = 'create' | 'update' | 'delete' | 'health-check';
export type EventGroup =
  | 'record'
  | 'checklist'
  | 'list'
  | 'custom field'
  | 'tag'
  | 'comment'
  | 'webhook';
export type EntityType =
  | 'record'
  | 'checklist'
  | 'checklistItem'
  | 'list'
  | 'customField'
  | 'tag'
  | 'comment'
  | 'webhook';

export interface EventInfo {
  name: string;
  group: EventGroup;
  kind: EventKind;
  entity: EntityType;
  description: string;
  /** False only for WEBHOOK_HEALTH_CHECK, which cannot be subscribed to. */
  subscribable: boolean;
}

const ev = <N extends string>(
  name: N,
  group: EventGroup,
  entity: EntityType,
  kind: EventKind,
  description: string,
): EventInfo & { name: N } => ({
  name,
  group,
  entity,
  kind,
  description,
  subscribable: kind !== 'health-check',
});

const CATALOGUE = [
  ev('TODO_CREATED', 'record', 'record', 'create', 'A record (todo) was created'),
  ev('TODO_DELETED', 'record', 'record', 'delete', 'A record was deleted'),
  ev('TODO_MOVED', 'record', 'record', 'update', 'A record was moved to another list'),
  ev('TODO_NAME_CHANGED', 'record', 'record', 'update', "A record's title was changed"),
  ev(
    'TODO_DONE_STATUS_UPDATED',
    'record',
    'record',
    'update',
    'A record was marked done or not done',
  ),
  ev('TODO_DUE_DATE_ADDED', 'record', 'record', 'update', 'A due date was set on a record'),
  ev('TODO_DUE_DATE_UPDATED', 'record', 'record', 'update', "A record's due date was changed"),
  ev('TODO_DUE_DATE_REMOVED', 'record', 'record', 'update', "A record's due date was removed"),
  ev('TODO_ASSIGNEE_ADDED', 'record', 'record', 'update', 'A user was assigned to a record'),
  ev('TODO_ASSIGNEE_REMOVED', 'record', 'record', 'update', 'A user was unassigned from a record'),
  ev('TODO_TAG_ADDED', 'record', 'record', 'update', 'A tag was added to a record'),
  ev('TODO_TAG_REMOVED', 'record', 'record', 'update', 'A tag was removed from a record'),
  ev(
    'TODO_CUSTOM_FIELD_UPDATED',
    'record',
    'record',
    'update',
    "A record's custom field value was changed",
  ),
  ev(
    'TODO_CHECKLIST_CREATED',
    'checklist',
    'checklist',
    'create',
    'A checklist was added to a record',
  ),
  ev(
    'TODO_CHECKLIST_NAME_CHANGED',
    'checklist',
    'checklist',
    'update',
    "A checklist's title was changed",
  ),
  ev('TODO_CHECKLIST_DELETED', 'checklist', 'checklist', 'delete', 'A checklist was deleted'),
  ev(
    'TODO_CHECKLIST_ITEM_CREATED',
    'checklist',
    'checklistItem',
    'create',
    'A checklist item was created',
  ),
  ev(
    'TODO_CHECKLIST_ITEM_NAME_CHANGED',
    'checklist',
    'checklistItem',
    'update',
    "A checklist item's title was changed",
  ),
  ev(
    'TODO_CHECKLIST_ITEM_DELETED',
    'checklist',
    'checklistItem',
    'delete',
    'A checklist item was deleted',
  ),
  ev(
    'TODO_CHECKLIST_ITEM_DUE_DATE_ADDED',
    'checklist',
    'checklistItem',
    'update',
    'A due date was set on a checklist item',
  ),
  ev(
    'TODO_CHECKLIST_ITEM_DUE_DATE_UPDATED',
    'checklist',
    'checklistItem',
    'update',
    "A checklist item's due date was changed",
  ),
  ev(
    'TODO_CHECKLIST_ITEM_DUE_DATE_REMOVED',
    'checklist',
    'checklistItem',
    'update',
    "A checklist item's due date was removed",
  ),
  ev(
    'TODO_CHECKLIST_ITEM_ASSIGNEE_ADDED',
    'checklist',
    'checklistItem',
    'update',
    'A user was assigned to a checklist item',
  ),
  ev(
    'TODO_CHECKLIST_ITEM_ASSIGNEE_REMOVED',
    'checklist',
    'checklistItem',
    'update',
    'A user was unassigned from a checklist item',
  ),
  ev(
    'TODO_CHECKLIST_ITEM_DONE_STATUS_UPDATED',
    'checklist',
    'checklistItem',
    'update',
    'A checklist item was marked done or not done',
  ),
  ev('TODO_LIST_CREATED', 'list', 'list', 'create', 'A list was created in a project'),
  ev('TODO_LIST_DELETED', 'list', 'list', 'delete', 'A list was deleted'),
  ev('TODO_LIST_NAME_CHANGED', 'list', 'list', 'update', "A list's title was changed"),
  ev(
    'CUSTOM_FIELD_CREATED',
    'custom field',
    'customField',
    'create',
    'A custom field was created in a project',
  ),
  ev('CUSTOM_FIELD_DELETED', 'custom field', 'customField', 'delete', 'A custom field was deleted'),
  ev(
    'CUSTOM_FIELD_UPDATED',
    'custom field',
    'customField',
    'update',
    "A custom field's definition was changed",
  ),
  ev('TAG_CREATED', 'tag', 'tag', 'create', 'A tag was created in a project'),
  ev('TAG_DELETED', 'tag', 'tag', 'delete', 'A tag was deleted'),
  ev('TAG_UPDATED', 'tag', 'tag', 'update', "A tag's title or colour was changed"),
  ev('COMMENT_CREATED', 'comment', 'comment', 'create', 'A comment was posted on a record'),
  ev('COMMENT_DELETED', 'comment', 'comment', 'delete', 'A comment was deleted'),
  ev('COMMENT_UPDATED', 'comment', 'comment', 'update', 'A comment was edited'),
  ev(
    'WEBHOOK_HEALTH_CHECK',
    'webhook',
    'webhook',
    'health-check',
    'Sent when a webhook is enabled; not subscribable',
  ),
] as const;

/** The name of one of Blue's events (or the health check), as a type: a typo does not compile. */
export type EventName = (typeof CATALOGUE)[number]['name'];

export const EVENTS: readonly EventInfo[] = Object.freeze(CATALOGUE);

export const HEALTH_CHECK = 'WEBHOOK_HEALTH_CHECK';
export const SUBSCRIBABLE_EVENTS: readonly string[] = EVENTS.filter((e) => e.subscribable).map(
  (e) => e.name,
);
export const EVENT_GROUPS: readonly EventGroup[] = [...new Set(EVENTS.map((e) => e.group))];

const byName = new Map(EVENTS.map((e) => [e.name, e]));

/** Looks an event up case-insensitively; unknown names are a usage error with suggestions. */
export function resolveEvent(input: string, { subscribableOnly = false } = {}): EventInfo {
  const info = byName.get(input.trim().toUpperCase());
  if (info && (!subscribableOnly || info.subscribable)) return info;
  if (info)
    throw usageError(
      `${info.name} cannot be subscribed to: Blue sends it only when a webhook is enabled`,
      undefined,
      'event-not-subscribable',
    );
  const names = subscribableOnly ? SUBSCRIBABLE_EVENTS : EVENTS.map((e) => e.name);
  const near = closest(input.trim(), names);
  throw usageError(
    `unknown event "${input}"${near.length ? `; did you mean ${near.join(', ')}?` : ''}`,
    undefined,
    'unknown-event',
  );
}

/** Parses an event list such as "todo_created,TODO_DELETED"; an empty result means all events. */
export function resolveEventList(inputs: readonly string[]): string[] {
  const names = inputs
    .flatMap((s) => s.split(','))
    .map((s) => s.trim())
    .filter(Boolean);
  return [...new Set(names.map((n) => resolveEvent(n, { subscribableOnly: true }).name))];
}
