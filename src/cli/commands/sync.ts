import { loadConfig } from '../../config/config.js';
import { ExitCode } from '../../exit-codes.js';
import { LocalWebhookStore } from '../../store/local-store.js';
import { applyPlan, planPush } from '../../store/sync.js';
import { colors } from '../colors.js';
import { openBlueStore } from '../context.js';
import type { GlobalOptions, Io } from '../output.js';
import { webhookJson } from '../render.js';
import { lineSafe } from '../../util/terminal-text.js';

export async function pull(opts: GlobalOptions, io: Io): Promise<number> {
  const config = await loadConfig(opts);
  const blue = await openBlueStore(config);
  const remote = await blue.list();
  const { added, updated, linked } = await new LocalWebhookStore(config.values.storeDir).upsert(
    remote,
  );
  if (opts.json) io.json({ added, updated, linked, webhooks: remote.map((w) => webhookJson(w)) });
  else
    io.out(
      `pulled ${remote.length} webhook${remote.length === 1 ? '' : 's'} from Blue: ${added} added, ${updated} updated${linked ? `, ${linked} linked by name` : ''} (${remote.filter((w) => w.secret).length} with a known secret)`,
    );
  return ExitCode.ok;
}

export async function push(opts: GlobalOptions & { dryRun?: boolean }, io: Io): Promise<number> {
  const config = await loadConfig(opts);
  const blue = await openBlueStore(config);
  const localStore = new LocalWebhookStore(config.values.storeDir);
  const local = await localStore.list();
  const plan = planPush([...local].reverse(), await blue.list());
  const c = colors(opts);
  const results = await applyPlan(plan, blue, { dryRun: opts.dryRun, link: localStore }, (e) => {
    if (opts.json) return;
    const label = lineSafe(e.step.local.name ?? e.step.local.id);
    if (e.type === 'step') {
      const mark =
        e.step.action === 'create'
          ? c.green('+ create')
          : e.step.action === 'update'
            ? c.yellow('~ update')
            : c.dim('= unchanged');
      io.out(
        `${mark}  ${label}${e.step.changes.length && e.step.action !== 'create' ? `: ${lineSafe(e.step.changes.join('; '))}` : ''}`,
      );
    } else if (!opts.dryRun && e.result.action === 'create')
      io.err(
        c.dim(
          `  created ${lineSafe(String(e.result.remote))} in Blue; the local webhook now has its id and secret`,
        ),
      );
    else if (!e.result.ok)
      io.err(c.red(`  ${label} stays disabled: ${lineSafe(String(e.result.detail))}`));
    else if (!opts.dryRun && e.result.linked)
      io.err(c.dim(`  linked to ${lineSafe(String(e.result.remote))} in Blue (matched by name)`));
  });
  const counts = { create: 0, update: 0, unchanged: 0 };
  for (const s of plan) counts[s.action]++;
  if (opts.json) io.json({ dryRun: Boolean(opts.dryRun), counts, steps: results });
  else
    io.err(
      `${opts.dryRun ? 'plan' : 'done'}: ${counts.create} to create, ${counts.update} to update, ${counts.unchanged} unchanged${opts.dryRun ? ' (dry run: nothing changed)' : ''}`,
    );
  return results.every((r) => r.ok) ? ExitCode.ok : ExitCode.checkFailed;
}
