import { loadConfig } from '../../config/config.js';
import { ExitCode } from '../../errors.js';
import { LocalWebhookStore } from '../../store/local-store.js';
import { planPush } from '../../store/sync.js';
import { colors } from '../colors.js';
import { openBlueStore } from '../context.js';
import { writeErr, writeJson, writeOut, type GlobalOptions } from '../output.js';
import { webhookJson } from '../render.js';

export async function pull(opts: GlobalOptions): Promise<number> {
  const config = await loadConfig(opts);
  const blue = await openBlueStore(config);
  const remote = await blue.list();
  const { added, updated } = await new LocalWebhookStore(config.values.storeDir).upsert(remote);
  if (opts.json) writeJson({ added, updated, webhooks: remote.map((w) => webhookJson(w)) });
  else writeOut(`pulled ${remote.length} webhook${remote.length === 1 ? '' : 's'} from Blue: ${added} added, ${updated} updated (${remote.filter((w) => w.secret).length} with a known secret)`);
  return ExitCode.ok;
}

export async function push(opts: GlobalOptions & { dryRun?: boolean }): Promise<number> {
  const config = await loadConfig(opts);
  const blue = await openBlueStore(config);
  const local = await new LocalWebhookStore(config.values.storeDir).list();
  const plan = planPush([...local].reverse(), await blue.list());
  const c = colors(opts);
  const results: Array<{ action: string; local: string; remote: string | null; changes: string[]; ok: boolean; detail?: string }> = [];
  for (const step of plan) {
    const label = step.local.name ?? step.local.id;
    if (!opts.json) {
      const mark = step.action === 'create' ? c.green('+ create') : step.action === 'update' ? c.yellow('~ update') : c.dim('= unchanged');
      writeOut(`${mark}  ${label}${step.changes.length && step.action !== 'create' ? `: ${step.changes.join('; ')}` : ''}`);
    }
    if (opts.dryRun || step.action === 'unchanged') {
      results.push({ action: step.action, local: step.local.id, remote: step.remote?.id ?? null, changes: step.changes, ok: true });
      continue;
    }
    if (step.action === 'create') {
      const { name, url, events, projectIds, enabled } = step.local;
      const created = await blue.create({ name, url, events, projectIds, enabled });
      results.push({ action: 'create', local: step.local.id, remote: created.id, changes: step.changes, ok: true });
      if (!opts.json) writeErr(c.dim(`  created ${created.id} in Blue (its secret is kept in the local secret file)`));
    } else {
      const { enabled, ...rest } = step.patch!;
      if (Object.keys(rest).length) await blue.update(step.remote!.id, rest);
      let ok = true;
      let detail: string | undefined;
      if (enabled === true) ({ healthy: ok, detail } = await blue.enable(step.remote!.id));
      if (enabled === false) await blue.disable(step.remote!.id);
      results.push({ action: 'update', local: step.local.id, remote: step.remote!.id, changes: step.changes, ok, detail });
      if (!ok && !opts.json) writeErr(c.red(`  ${label} stays disabled: ${detail}`));
    }
  }
  const counts = { create: 0, update: 0, unchanged: 0 };
  for (const s of plan) counts[s.action]++;
  if (opts.json) writeJson({ dryRun: Boolean(opts.dryRun), counts, steps: results });
  else writeErr(`${opts.dryRun ? 'plan' : 'done'}: ${counts.create} to create, ${counts.update} to update, ${counts.unchanged} unchanged${opts.dryRun ? ' (dry run: nothing changed)' : ''}`);
  return results.every((r) => r.ok) ? ExitCode.ok : ExitCode.checkFailed;
}
