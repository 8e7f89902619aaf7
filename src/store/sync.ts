/** Config as code: the plan that makes Blue's webhooks match the local store's. */
import type { UpdateWebhookInput, Webhook, WebhookStore } from './types.js';

export interface PlanStep {
  action: 'create' | 'update' | 'unchanged';
  local: Webhook;
  remote?: Webhook;
  /** For updates: the fields to send. */
  patch?: UpdateWebhookInput;
  changes: string[];
}

const sameList = (a: readonly string[], b: readonly string[]) =>
  a.length === b.length && [...a].sort().join('\n') === [...b].sort().join('\n');

/** Matches each local webhook to a remote one by id, then by name; unmatched ones are created. */
export function planPush(local: readonly Webhook[], remote: readonly Webhook[]): PlanStep[] {
  const byId = new Map(remote.map((w) => [w.id, w]));
  const byName = new Map(remote.filter((w) => w.name).map((w) => [w.name!, w]));
  return local.map((l) => {
    const r = byId.get(l.id) ?? (l.name ? byName.get(l.name) : undefined);
    if (!r) return { action: 'create', local: l, changes: ['new webhook'] };
    const patch: UpdateWebhookInput = {};
    const changes: string[] = [];
    if (l.name !== r.name) {
      patch.name = l.name;
      changes.push(`name ${JSON.stringify(r.name)} → ${JSON.stringify(l.name)}`);
    }
    if (l.url !== r.url) {
      patch.url = l.url;
      changes.push(`url ${r.url} → ${l.url}`);
    }
    if (!sameList(l.events, r.events)) {
      patch.events = l.events;
      changes.push(`events [${r.events.join(',') || 'all'}] → [${l.events.join(',') || 'all'}]`);
    }
    if (!sameList(l.projectIds, r.projectIds)) {
      patch.projectIds = l.projectIds;
      changes.push(
        `projects [${r.projectIds.join(',') || 'all'}] → [${l.projectIds.join(',') || 'all'}]`,
      );
    }
    if (l.enabled !== r.enabled) {
      patch.enabled = l.enabled;
      changes.push(l.enabled ? 'enable (Blue runs its health check)' : 'disable');
    }
    return changes.length
      ? { action: 'update', local: l, remote: r, patch, changes }
      : { action: 'unchanged', local: l, remote: r, changes };
  });
}

export interface StepResult {
  action: PlanStep['action'];
  local: string;
  remote: string | null;
  changes: string[];
  /** false when Blue refused to enable the webhook (its health check failed). */
  ok: boolean;
  detail?: string;
  /** The local webhook now carries Blue's id (and its secret when known). */
  linked?: boolean;
}

/** Where push records which Blue webhook a local one became (the local store). */
export interface LinkTarget {
  adopt(localId: string, remote: Webhook): Promise<unknown>;
}

export type PushEvent =
  | { type: 'step'; step: PlanStep }
  | { type: 'done'; step: PlanStep; result: StepResult };

/**
 * Carries out a push plan against Blue's store, step by step, in order. A dry run reports each
 * step and changes nothing.
 */
export async function applyPlan(
  plan: readonly PlanStep[],
  blue: WebhookStore,
  options: { dryRun?: boolean; link?: LinkTarget },
  sink: (event: PushEvent) => void = () => undefined,
): Promise<StepResult[]> {
  const results: StepResult[] = [];
  for (const step of plan) {
    sink({ type: 'step', step });
    let result: StepResult;
    if (options.dryRun || step.action === 'unchanged') {
      // Same fields but another id (matched by name): link it, unless this is a dry run.
      const link =
        !options.dryRun && options.link && step.remote && step.local.id !== step.remote.id;
      if (link) await options.link!.adopt(step.local.id, step.remote!);
      result = {
        action: step.action,
        local: step.local.id,
        remote: step.remote?.id ?? null,
        changes: step.changes,
        ok: true,
        linked: Boolean(link),
      };
    } else if (step.action === 'create') {
      const { name, url, events, projectIds, enabled } = step.local;
      const created = await blue.create({ name, url, events, projectIds, enabled });
      // From now on the local webhook is Blue's: its id, and the secret Blue signs with.
      if (options.link) await options.link.adopt(step.local.id, created);
      result = {
        action: 'create',
        local: step.local.id,
        remote: created.id,
        changes: step.changes,
        ok: true,
        linked: Boolean(options.link),
      };
    } else {
      const remoteId = step.remote!.id;
      const { enabled, ...rest } = step.patch!;
      let current = step.remote!;
      if (Object.keys(rest).length) current = await blue.update(remoteId, rest);
      let ok = true;
      let detail: string | undefined;
      if (enabled === true)
        ({ webhook: current, healthy: ok, detail } = await blue.enable(remoteId));
      if (enabled === false) current = await blue.disable(remoteId);
      // Matched by name: the local webhook takes Blue's id (its secret, when kept here).
      const link = options.link && step.local.id !== remoteId;
      if (link) await options.link!.adopt(step.local.id, current);
      result = {
        action: 'update',
        local: step.local.id,
        remote: remoteId,
        changes: step.changes,
        ok,
        detail,
        linked: Boolean(link),
      };
    }
    results.push(result);
    sink({ type: 'done', step, result });
  }
  return results;
}
