import type { PruneWebhooksOptions } from './relay-prune.command.js';
import { sessionWebhooks } from '../../listen/register.js';
import { validateUrl } from '../../store/types.js';
import { lineSafe } from '../../util/terminal-text.js';
import { colors } from '../colors.js';
import { openStore } from '../context.js';
import type { Io } from '../output.js';

export async function run(opts: PruneWebhooksOptions, io: Io): Promise<number> {
  const url = opts.relay ? new URL(validateUrl(opts.relay)).href : undefined;
  const { store } = await openStore(opts);
  const found = await sessionWebhooks(store, url);
  const removed: string[] = [];
  for (const w of found) {
    if (!opts.dryRun) await store.delete(w.id);
    removed.push(w.id);
  }
  if (opts.json) {
    io.json({
      dryRun: Boolean(opts.dryRun),
      webhooks: found.map((w) => ({ id: w.id, name: w.name, url: w.url })),
    });
    return 0;
  }
  const c = colors(opts);
  for (const w of found)
    io.out(
      `${opts.dryRun ? 'would remove' : 'removed'} ${w.id} (${lineSafe(w.name ?? '')}) → ${lineSafe(w.url)}`,
    );
  if (!found.length) io.err(c.dim('no session webhooks (named bluehook-relay-…) to remove'));
  return 0;
}
