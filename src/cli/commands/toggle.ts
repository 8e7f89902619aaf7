import { isBlueId } from '../../store/types.js';
import { colors } from '../colors.js';
import { openStore } from '../context.js';
import type { GlobalOptions, Io } from '../output.js';
import { webhookJson } from '../render.js';
import { lineSafe } from '../../util/terminal-text.js';

export async function enable(ref: string, opts: GlobalOptions, io: Io): Promise<number> {
  const { store } = await openStore(opts);
  const { id } = await store.get(ref);
  const result = await store.enable(id);
  const c = colors(opts);
  if (opts.json)
    io.json({
      ...webhookJson(result.webhook),
      healthCheck: { healthy: result.healthy, detail: result.detail ?? null },
    });
  else if (result.healthy)
    io.out(`${c.green('enabled')} ${lineSafe(id)} (${lineSafe(result.webhook.status)})`);
  else
    io.err(
      `${c.red('not enabled')}: the health check failed${result.detail ? ` (${lineSafe(result.detail)})` : ''}; ${lineSafe(id)} stays disabled and UNHEALTHY`,
    );
  return result.healthy ? 0 : 1;
}

export async function disable(ref: string, opts: GlobalOptions, io: Io): Promise<number> {
  const { store } = await openStore(opts);
  // In Blue anyone may disable a webhook by its id, even one they cannot read: no lookup first.
  const byId = store.kind === 'blue' && isBlueId(ref);
  const id = byId ? ref : (await store.get(ref)).id;
  const webhook = await store.disable(id);
  if (opts.json) io.json(webhookJson(webhook));
  else io.out(`${colors(opts).yellow('disabled')} ${lineSafe(id)} (${lineSafe(webhook.status)})`);
  return 0;
}
