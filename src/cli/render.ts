/** How webhooks look on a terminal and in --json. */
import type { ChalkInstance } from 'chalk';
import type { Webhook } from '../store/types.js';
import { lineSafe } from '../util/terminal-text.js';
import { maskSecret } from './output.js';
import { table } from './table.js';

/** The webhook for --json: the secret masked unless revealed. */
export function webhookJson(w: Webhook, reveal = false): Webhook {
  return { ...w, secret: reveal ? w.secret : w.secret ? maskSecret(w.secret) : null };
}

const listText = (items: string[], all: string) => (items.length ? items.join(', ') : all);
const status = (w: Webhook, c: ChalkInstance) =>
  w.status === 'HEALTHY' ? c.green(w.status) : c.red(w.status);
const enabled = (w: Webhook, c: ChalkInstance) =>
  w.enabled ? c.green('enabled') : c.yellow('disabled');

/**
 * A webhook as a terminal may show it: every text that came from the store (from Blue's API, or
 * pulled from it) escaped like delivery content, so a name cannot recolour or retitle the terminal.
 */
export function shownWebhook(w: Webhook): Webhook {
  const safe = (text: string) => lineSafe(text);
  return {
    ...w,
    id: safe(w.id),
    uid: safe(w.uid),
    name: w.name === null ? null : safe(w.name),
    url: safe(w.url),
    status: safe(w.status) as Webhook['status'],
    events: w.events.map(safe),
    projectIds: w.projectIds.map(safe),
    secret: w.secret === null ? null : safe(w.secret),
    createdAt: safe(w.createdAt),
    updatedAt: safe(w.updatedAt),
  };
}

/** The flag a hint must carry so that the command it suggests reads the same store. */
export const storeFlag = (kind: 'local' | 'blue') => (kind === 'blue' ? ' --store blue' : '');

export function webhookTable(
  list: readonly Webhook[],
  c: ChalkInstance,
  kind: 'local' | 'blue' = 'local',
): string {
  if (!list.length) return `no webhooks (create one with \`bluehook${storeFlag(kind)} create\`)`;
  const rows = [['ID', 'NAME', 'STATE', 'STATUS', 'EVENTS', 'URL'].map((h) => c.bold(h))];
  for (const w of list.map(shownWebhook)) {
    const events = w.events.length
      ? w.events.length === 1
        ? w.events[0]!
        : `${w.events.length} events`
      : 'all';
    rows.push([
      c.cyan(w.id),
      w.name ?? c.dim('(no name)'),
      enabled(w, c),
      status(w, c),
      events,
      w.url,
    ]);
  }
  return table(rows);
}

export function webhookDetails(stored: Webhook, c: ChalkInstance, reveal = false): string {
  const w = shownWebhook(stored);
  const rows: Array<[string, string]> = [
    ['id', c.cyan(w.id)],
    ['uid', w.uid],
    ['name', w.name ?? c.dim('(no name)')],
    ['url', w.url],
    ['state', enabled(w, c)],
    ['status', status(w, c)],
    ['events', listText(w.events, 'all events')],
    ['projects', listText(w.projectIds, 'all projects')],
    [
      'secret',
      w.secret
        ? reveal
          ? w.secret
          : `${maskSecret(w.secret)}  (--reveal-secret to show)`
        : c.dim('(not known here)'),
    ],
    ['created', w.createdAt],
    ['updated', w.updatedAt],
  ];
  return table(rows.map(([k, v]) => [c.bold(k), v]));
}
