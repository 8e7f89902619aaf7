/** Config as code: the plan that makes Blue's webhooks match the local store's. */
import type { UpdateWebhookInput, Webhook } from './types.js';

export interface PlanStep {
  action: 'create' | 'update' | 'unchanged';
  local: Webhook;
  remote?: Webhook;
  /** For updates: the fields to send. */
  patch?: UpdateWebhookInput;
  changes: string[];
}

const sameList = (a: readonly string[], b: readonly string[]) => a.length === b.length && [...a].sort().join('\n') === [...b].sort().join('\n');

/** Matches each local webhook to a remote one by id, then by name; unmatched ones are created. */
export function planPush(local: readonly Webhook[], remote: readonly Webhook[]): PlanStep[] {
  const byId = new Map(remote.map((w) => [w.id, w]));
  const byName = new Map(remote.filter((w) => w.name).map((w) => [w.name!, w]));
  return local.map((l) => {
    const r = byId.get(l.id) ?? (l.name ? byName.get(l.name) : undefined);
    if (!r) return { action: 'create', local: l, changes: ['new webhook'] };
    const patch: UpdateWebhookInput = {};
    const changes: string[] = [];
    if (l.name !== r.name) (patch.name = l.name), changes.push(`name ${JSON.stringify(r.name)} → ${JSON.stringify(l.name)}`);
    if (l.url !== r.url) (patch.url = l.url), changes.push(`url ${r.url} → ${l.url}`);
    if (!sameList(l.events, r.events)) (patch.events = l.events), changes.push(`events [${r.events.join(',') || 'all'}] → [${l.events.join(',') || 'all'}]`);
    if (!sameList(l.projectIds, r.projectIds)) (patch.projectIds = l.projectIds), changes.push(`projects [${r.projectIds.join(',') || 'all'}] → [${l.projectIds.join(',') || 'all'}]`);
    if (l.enabled !== r.enabled) (patch.enabled = l.enabled), changes.push(l.enabled ? 'enable (Blue runs its health check)' : 'disable');
    return changes.length ? { action: 'update', local: l, remote: r, patch, changes } : { action: 'unchanged', local: l, remote: r, changes };
  });
}
