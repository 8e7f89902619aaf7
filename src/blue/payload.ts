/**
 * Builds the exact body Blue would POST for an event: { event, webhook, previousValue, currentValue }.
 * Update events carry two full rows that differ exactly where the event says.
 */
import { resolveEvent, type EntityType, type EventInfo } from './catalogue.js';
import { SampleWorld, webhookRow, type Row, type WebhookRowInput } from './entities.js';
import { SampleRandom } from './random.js';
import { applyAssignment, parseAssignment, removePath } from './set-path.js';

export interface DeliveryBody {
  event: string;
  webhook: Row;
  previousValue?: Row | null;
  currentValue?: Row | null;
  [key: string]: unknown;
}

export interface PayloadOptions {
  /** Same seed, same bytes. Without one: fresh ids and the current time. */
  seed?: string | number;
  /** `path=value` overrides applied last. */
  set?: readonly string[];
  /** Paths removed after the overrides (`currentValue.todoTags[0]`). */
  unset?: readonly string[];
  /** The 2022 capture's form: no previousValue key on create events. */
  omitPrevious?: boolean;
  /** Fields of the embedded webhook row (url, name, id, events, projectIds, ...). */
  webhook?: WebhookRowInput;
  /** The project the entity lives in. */
  projectId?: string;
}

type Change = (row: Row, world: SampleWorld) => void;

const clone = <T>(v: T): T => structuredClone(v);
const later = (row: Row, world: SampleWorld) => {
  row.updatedAt = new Date(world.rnd.now).toISOString();
};

const dueAdded: Change = (row, w) => {
  row.duedAt = w.futureDate();
};
const dueUpdated: Change = (row, w) => {
  let next = w.futureDate();
  while (next === row.duedAt) next = w.futureDate();
  row.duedAt = next;
};
const dueRemoved: Change = (row) => {
  row.duedAt = null;
};
const toggleDone: Change = (row) => {
  row.done = !row.done;
};
const retitle: Change = (row) => {
  row.title = `${String(row.title)} (renamed)`;
};

/** What each update event changes between previousValue and currentValue. */
const CHANGES: Record<string, Change> = {
  TODO_MOVED: (row, w) => {
    // Into another list: another title and another position than the one it leaves.
    const from = row.todoList as Row;
    const list = w.otherList(from);
    row.todoListId = list.id;
    row.todoList = list;
  },
  TODO_NAME_CHANGED: retitle,
  TODO_DONE_STATUS_UPDATED: toggleDone,
  TODO_DUE_DATE_ADDED: dueAdded,
  TODO_DUE_DATE_UPDATED: dueUpdated,
  TODO_DUE_DATE_REMOVED: dueRemoved,
  TODO_ASSIGNEE_ADDED: (row, w) => {
    (row.todoUsers as Row[]).push(w.link(row.id, 'user', w.user()));
  },
  TODO_ASSIGNEE_REMOVED: (row) => {
    (row.todoUsers as Row[]).pop();
  },
  TODO_TAG_ADDED: (row, w) => {
    (row.todoTags as Row[]).push(w.link(row.id, 'tag', w.tag()));
  },
  TODO_TAG_REMOVED: (row) => {
    (row.todoTags as Row[]).pop();
  },
  TODO_CUSTOM_FIELD_UPDATED: (row, w) => {
    const value = (row.todoCustomFields as Row[])[0]!;
    value.value = w.fieldValue((value.customField as Row).type as string, value.value);
  },
  TODO_CHECKLIST_NAME_CHANGED: retitle,
  TODO_CHECKLIST_ITEM_NAME_CHANGED: retitle,
  TODO_CHECKLIST_ITEM_DUE_DATE_ADDED: dueAdded,
  TODO_CHECKLIST_ITEM_DUE_DATE_UPDATED: dueUpdated,
  TODO_CHECKLIST_ITEM_DUE_DATE_REMOVED: dueRemoved,
  TODO_CHECKLIST_ITEM_ASSIGNEE_ADDED: (row, w) => {
    (row.checklistItemUsers as Row[]).push(w.link(row.id, 'user', w.user()));
  },
  TODO_CHECKLIST_ITEM_ASSIGNEE_REMOVED: (row) => {
    (row.checklistItemUsers as Row[]).pop();
  },
  TODO_CHECKLIST_ITEM_DONE_STATUS_UPDATED: toggleDone,
  TODO_LIST_NAME_CHANGED: retitle,
  CUSTOM_FIELD_UPDATED: (row) => {
    row.name = `${String(row.name)} (renamed)`;
  },
  TAG_UPDATED: (row, w) => {
    row.title = `${String(row.title)}-2`;
    row.color = w.rnd.pick(['#000000', '#ffffff', '#795548']);
  },
  COMMENT_UPDATED: (row) => {
    row.text = `${String(row.text)} Edited.`;
    row.html = `<p>${String(row.text)}</p>`;
  },
};

/** The state an entity must be in *before* an update, so that the change is meaningful. */
const BEFORE: Record<string, Change> = {
  TODO_DUE_DATE_UPDATED: dueAdded,
  TODO_DUE_DATE_REMOVED: dueAdded,
  TODO_ASSIGNEE_REMOVED: (row, w) => CHANGES.TODO_ASSIGNEE_ADDED!(row, w),
  TODO_TAG_REMOVED: (row, w) => CHANGES.TODO_TAG_ADDED!(row, w),
  TODO_CUSTOM_FIELD_UPDATED: (row, w) => {
    const field = w.customField();
    (row.todoCustomFields as Row[]).push(
      w.link(row.id, 'customField', field, w.fieldValue(field.type as string)),
    );
  },
  TODO_CHECKLIST_ITEM_DUE_DATE_UPDATED: dueAdded,
  TODO_CHECKLIST_ITEM_DUE_DATE_REMOVED: dueAdded,
  TODO_CHECKLIST_ITEM_ASSIGNEE_REMOVED: (row, w) =>
    CHANGES.TODO_CHECKLIST_ITEM_ASSIGNEE_ADDED!(row, w),
};

function makeEntity(type: EntityType, world: SampleWorld): Row {
  switch (type) {
    case 'record':
      return world.record();
    case 'checklist':
      return world.checklist();
    case 'checklistItem':
      return world.checklistItem();
    case 'list':
      return world.list();
    case 'customField':
      return world.customField();
    case 'tag':
      return world.tag();
    case 'comment':
      return world.comment();
    case 'webhook':
      throw new Error('the health check carries no entity');
  }
}

export function buildPayload(eventName: string, options: PayloadOptions = {}): DeliveryBody {
  const info: EventInfo = resolveEvent(eventName);
  const world = new SampleWorld(new SampleRandom(options.seed), options.projectId);
  const hookInput: WebhookRowInput = {
    events: info.subscribable ? [info.name] : [],
    projectIds: options.projectId ? [options.projectId] : [],
    ...options.webhook,
  };
  const webhook = webhookRow(world, hookInput);
  const body: DeliveryBody = { event: info.name, webhook };

  if (info.kind !== 'health-check') {
    const entity = makeEntity(info.entity, world);
    BEFORE[info.name]?.(entity, world);
    if (info.kind === 'create') {
      if (!options.omitPrevious) body.previousValue = null;
      body.currentValue = entity;
    } else if (info.kind === 'delete') {
      body.previousValue = entity;
      body.currentValue = null;
    } else {
      const current = clone(entity);
      CHANGES[info.name]!(current, world);
      later(current, world);
      body.previousValue = entity;
      body.currentValue = current;
    }
  }
  for (const text of options.set ?? []) applyAssignment(body, parseAssignment(text));
  for (const text of options.unset ?? []) removePath(body, text);
  return body;
}

/** The `event` a body names, when it is JSON with one; null otherwise (a body is sent as it is all the same). */
export function eventNamedIn(body: Uint8Array | string): string | null {
  try {
    const parsed = JSON.parse(
      typeof body === 'string' ? body : Buffer.from(body).toString('utf8'),
    ) as { event?: unknown } | null;
    return parsed && typeof parsed === 'object' && parsed.event != null
      ? String(parsed.event) || null
      : null;
  } catch {
    return null;
  }
}

/** Blue serialises with compact JSON.stringify: these are the bytes that are signed and sent. */
export const serializeBody = (body: unknown): string => JSON.stringify(body);
