/**
 * Factories for the raw database rows Blue puts in deliveries. Key order, nesting and value
 * types follow the real TODO_CREATED capture (fixtures/blue/todo-created.delivery.json):
 * a record nests todoList -> project -> company; unset values are explicit null; a record's
 * position is a decimal string while a list's is a number; timestamps are ISO with ms and Z.
 * Each row is laid out by its declared shape (shapes.ts): the keys, their order and their types
 * live there once, for these factories and for the schemas alike.
 */
import { type SampleRandom, iso } from './random.js';
import { layout } from './shapes.js';

export type Row = Record<string, unknown>;

const WORDS = [
  'Launch',
  'Invoice',
  'Review',
  'Onboard',
  'Design',
  'Audit',
  'Migrate',
  'Plan',
  'Ship',
  'Call',
  'Draft',
  'Renew',
];
const OBJECTS = [
  'website',
  'contract',
  'Q3 budget',
  'new hire',
  'landing page',
  'API keys',
  'database',
  'roadmap',
  'release',
  'supplier',
  'brief',
  'licence',
];
const LIST_TITLES = ['Backlog', 'To do', 'In progress', 'Review', 'Done', 'Blocked'];
const PROJECT_NAMES = [
  'Marketing',
  'Engineering',
  'Sales pipeline',
  'Hiring',
  'Operations',
  'Customer success',
];
const COMPANY_NAMES = ['Acme', 'Globex', 'Initech', 'Umbrella', 'Hooli', 'Stark'];
const FIRST = ['Ada', 'Grace', 'Alan', 'Linus', 'Margaret', 'Ken', 'Barbara', 'Dennis'];
const LAST = [
  'Lovelace',
  'Hopper',
  'Turing',
  'Torvalds',
  'Hamilton',
  'Thompson',
  'Liskov',
  'Ritchie',
];
const TAG_TITLES = ['urgent', 'bug', 'client', 'internal', 'blocked', 'quick win'];
const COLOURS = ['#ff5757', '#ffc857', '#4caf50', '#2196f3', '#9c27b0', '#607d8b'];
const FIELD_NAMES = ['Budget', 'Priority', 'Estimate', 'Customer', 'Region', 'Effort'];
const FIELD_TYPES = ['TEXT_SINGLE', 'NUMBER', 'SELECT_SINGLE', 'CURRENCY', 'CHECKBOX', 'DATE'];

const slugify = (s: string) =>
  s
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-|-$/g, '');

/** Shared state for one sample: the same company, project, creator and list across all rows. */
export class SampleWorld {
  readonly creatorId: string;
  readonly company: Row;
  readonly project: Row;
  private listCache?: Row;

  constructor(
    readonly rnd: SampleRandom,
    projectId?: string,
  ) {
    this.creatorId = rnd.cuid(rnd.pastSecond(300, 400));
    this.company = this.makeCompany();
    this.project = this.makeProject(projectId);
  }

  /** created/updated timestamps: created a while ago on a whole second, updated just after. */
  private stamps(minDays: number, maxDays: number): { createdAt: number; updatedAt: number } {
    const createdAt = this.rnd.pastSecond(minDays, maxDays);
    return { createdAt, updatedAt: this.rnd.justAfter(createdAt) };
  }

  private makeCompany(): Row {
    const t = this.stamps(200, 300);
    const name = this.rnd.pick(COMPANY_NAMES);
    const trialStart = t.createdAt - 6000;
    return layout('Company', {
      id: this.rnd.cuid(t.createdAt),
      uid: this.rnd.uid(),
      slug: slugify(name),
      name,
      description: null,
      createdAt: iso(t.createdAt),
      updatedAt: iso(t.updatedAt),
      freeTrialExpiredAt: iso(trialStart + 14 * 86_400_000),
      freeTrialStartedAt: iso(trialStart),
      subscribedAt: null,
      imageId: null,
      subscriptionPlanId: this.rnd.cuid(t.createdAt),
      freeTrialExtendedById: null,
      freeTrialExtendedAt: null,
    });
  }

  private makeProject(projectId?: string): Row {
    const t = this.stamps(100, 200);
    const name = this.rnd.pick(PROJECT_NAMES);
    const id = this.rnd.cuid(t.createdAt);
    return layout('Project', {
      id: projectId ?? id,
      uid: this.rnd.uid(),
      slug: slugify(name),
      name,
      description: '',
      archived: false,
      createdAt: iso(t.createdAt),
      updatedAt: iso(t.updatedAt),
      isTemplate: false,
      isOfficialTemplate: false,
      category: 'GENERAL',
      companyId: this.company.id,
      imageId: null,
      hideEmailFromRoles: null,
      company: this.company,
    });
  }

  list(): Row {
    this.listCache ??= this.newList();
    return this.listCache;
  }

  /** A list other than `from`: another title and another position. */
  otherList(from: Row): Row {
    const titles = LIST_TITLES.filter((t) => t !== from.title);
    let list = this.newList(this.rnd.pick(titles));
    while (list.position === from.position)
      list = { ...list, position: this.rnd.int(1, 8) * 65535 };
    return list;
  }

  /**
   * A custom field's value, of its type: text, a number, an amount, a checkbox's boolean, a date,
   * an option. Given the current value, a different one of the same type (an update).
   */
  fieldValue(type: string, current?: unknown): unknown {
    switch (type) {
      case 'NUMBER':
        return typeof current === 'number' ? current + 1 : this.rnd.int(1, 20);
      case 'CURRENCY':
        return typeof current === 'number'
          ? Math.round(current * 110) / 100
          : this.rnd.int(10, 500) * 5;
      case 'CHECKBOX':
        return typeof current === 'boolean' ? !current : false;
      case 'DATE':
        return current === undefined ? this.futureDate() : this.futureDateAfter(String(current));
      case 'SELECT_SINGLE':
        return current === 'Low' ? 'High' : 'Low';
      default:
        return current === undefined ? 'Draft' : 'Final';
    }
  }

  newList(title?: string): Row {
    const t = this.stamps(30, 100);
    return layout('TodoList', {
      id: this.rnd.cuid(t.createdAt),
      uid: this.rnd.uid(),
      createdAt: iso(t.createdAt),
      updatedAt: iso(t.updatedAt),
      title: title ?? this.rnd.pick(LIST_TITLES),
      position: this.rnd.int(1, 8) * 65535,
      createdById: this.creatorId,
      projectId: this.project.id,
      project: this.project,
    });
  }

  record(): Row {
    const t = this.stamps(0.01, 20);
    const list = this.list();
    return layout('Todo', {
      id: this.rnd.cuid(t.createdAt),
      uid: this.rnd.uid(),
      title: `${this.rnd.pick(WORDS)} ${this.rnd.pick(OBJECTS)}`,
      html: null,
      text: null,
      position: (this.rnd.int(1, 1000) * 65535 + 0.5 * this.rnd.int(0, 1)).toString(),
      archived: false,
      done: false,
      startedAt: null,
      duedAt: null,
      timezone: null,
      createdAt: iso(t.createdAt),
      updatedAt: iso(t.updatedAt),
      createdById: this.creatorId,
      todoListId: list.id,
      todoCustomFields: [],
      todoUsers: [],
      todoTags: [],
      todoList: list,
    });
  }

  user(): Row {
    const t = this.stamps(50, 300);
    const first = this.rnd.pick(FIRST);
    const last = this.rnd.pick(LAST);
    return layout('User', {
      id: this.rnd.cuid(t.createdAt),
      uid: this.rnd.uid(),
      username: slugify(`${first}${last}`),
      email: `${slugify(first)}.${slugify(last)}@example.com`,
      firstName: first,
      lastName: last,
      fullName: `${first} ${last}`,
      imageId: null,
      createdAt: iso(t.createdAt),
      updatedAt: iso(t.updatedAt),
    });
  }

  /** A join row linking a record (or checklist item) to a user, a tag or a custom field's value. */
  link(todoId: unknown, key: 'user' | 'tag', related: Row): Row;
  link(todoId: unknown, key: 'customField', related: Row, value: unknown): Row;
  link(todoId: unknown, key: 'user' | 'tag' | 'customField', related: Row, value?: unknown): Row {
    const at = this.rnd.pastSecond(0, 0.01);
    const id = this.rnd.cuid(at); // drawn before the stamps: the seeded bytes stay as they were
    const stamps = { createdAt: iso(at), updatedAt: iso(this.rnd.justAfter(at)) };
    switch (key) {
      case 'user':
        return layout('TodoUser', { id, todoId, userId: related.id, ...stamps, user: related });
      case 'tag':
        return layout('TodoTag', { id, todoId, tagId: related.id, ...stamps, tag: related });
      case 'customField':
        return layout('TodoCustomField', {
          id,
          todoId,
          customFieldId: related.id,
          value,
          ...stamps,
          customField: related,
        });
    }
  }

  tag(): Row {
    const t = this.stamps(5, 60);
    return layout('Tag', {
      id: this.rnd.cuid(t.createdAt),
      uid: this.rnd.uid(),
      title: this.rnd.pick(TAG_TITLES),
      color: this.rnd.pick(COLOURS),
      projectId: this.project.id,
      createdById: this.creatorId,
      createdAt: iso(t.createdAt),
      updatedAt: iso(t.updatedAt),
      project: this.project,
    });
  }

  customField(): Row {
    const t = this.stamps(5, 60);
    return layout('CustomField', {
      id: this.rnd.cuid(t.createdAt),
      uid: this.rnd.uid(),
      name: this.rnd.pick(FIELD_NAMES),
      type: this.rnd.pick(FIELD_TYPES),
      position: this.rnd.int(1, 20) * 65535,
      description: null,
      min: null,
      max: null,
      currency: null,
      prefix: null,
      projectId: this.project.id,
      createdById: this.creatorId,
      createdAt: iso(t.createdAt),
      updatedAt: iso(t.updatedAt),
      project: this.project,
    });
  }

  checklist(): Row {
    const t = this.stamps(0.01, 5);
    const todo = this.record();
    return layout('Checklist', {
      id: this.rnd.cuid(t.createdAt),
      uid: this.rnd.uid(),
      title: `${this.rnd.pick(WORDS)} checklist`,
      position: this.rnd.int(1, 10) * 65535,
      createdAt: iso(t.createdAt),
      updatedAt: iso(t.updatedAt),
      createdById: this.creatorId,
      todoId: todo.id,
      todo,
    });
  }

  checklistItem(): Row {
    const t = this.stamps(0.001, 1);
    const checklist = this.checklist();
    return layout('ChecklistItem', {
      id: this.rnd.cuid(t.createdAt),
      uid: this.rnd.uid(),
      title: `${this.rnd.pick(WORDS)} ${this.rnd.pick(OBJECTS)}`,
      position: this.rnd.int(1, 10) * 65535,
      done: false,
      startedAt: null,
      duedAt: null,
      createdAt: iso(t.createdAt),
      updatedAt: iso(t.updatedAt),
      createdById: this.creatorId,
      checklistId: checklist.id,
      checklistItemUsers: [],
      checklist,
    });
  }

  comment(): Row {
    const t = this.stamps(0.001, 2);
    const todo = this.record();
    const words = `${this.rnd.pick(WORDS)} the ${this.rnd.pick(OBJECTS)} before Friday, please.`;
    return layout('Comment', {
      id: this.rnd.cuid(t.createdAt),
      uid: this.rnd.uid(),
      html: `<p>${words}</p>`,
      text: words,
      category: 'TODO',
      categoryId: todo.id,
      userId: this.creatorId,
      deletedAt: null,
      deletedById: null,
      createdAt: iso(t.createdAt),
      updatedAt: iso(t.updatedAt),
      todo,
    });
  }

  /** A date a few days after "now", at noon UTC, as Blue stores due dates. */
  futureDate(): string {
    const day = Math.floor(this.rnd.now / 86_400_000) + this.rnd.int(1, 30);
    return iso(day * 86_400_000 + 12 * 3_600_000);
  }

  /** A date some days after `date` (a rescheduled date). */
  futureDateAfter(date: string): string {
    return iso(Date.parse(date) + this.rnd.int(1, 14) * 86_400_000);
  }
}

export interface WebhookRowInput {
  id?: string;
  uid?: string;
  name?: string | null;
  url?: string;
  status?: string;
  enabled?: boolean;
  events?: readonly string[];
  projectIds?: readonly string[];
  createdById?: string;
  createdAt?: string;
  updatedAt?: string;
}

/** The webhook's stored row as Blue embeds it in a delivery: secret always "", lists under metadata. */
export function webhookRow(world: SampleWorld, input: WebhookRowInput): Row {
  const created = world.rnd.pastSecond(1, 30);
  return layout('DeliveryWebhook', {
    id: input.id ?? world.rnd.cuid(created),
    uid: input.uid ?? world.rnd.uid(),
    name: input.name === undefined ? 'bluehook sample webhook' : input.name,
    url: input.url ?? 'https://example.com/webhooks/blue',
    secret: '',
    status: input.status ?? 'HEALTHY',
    enabled: input.enabled ?? true,
    metadata: layout('WebhookMetadata', {
      events: [...(input.events ?? [])],
      projectIds: [...(input.projectIds ?? [])],
    }),
    createdById: input.createdById ?? world.creatorId,
    createdAt: input.createdAt ?? iso(created),
    updatedAt: input.updatedAt ?? iso(world.rnd.justAfter(created)),
  });
}
