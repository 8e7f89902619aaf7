import { resolveEvent } from '../../blue/catalogue.js';
import { colors } from '../colors.js';
import { openStore } from '../context.js';
import type { GlobalOptions, Io } from '../output.js';
import { webhookJson, webhookTable } from '../render.js';

export async function run(
  opts: GlobalOptions & { enabled?: boolean; disabled?: boolean; event?: string },
  io: Io,
): Promise<number> {
  const event = opts.event ? resolveEvent(opts.event, { subscribableOnly: true }).name : undefined;
  const { store } = await openStore(opts);
  let list = await store.list(
    opts.enabled ? { enabled: true } : opts.disabled ? { enabled: false } : {},
  );
  if (event) list = list.filter((w) => w.events.length === 0 || w.events.includes(event));
  if (opts.json) io.json(list.map((w) => webhookJson(w)));
  else if (!list.length && (opts.enabled || opts.disabled || event))
    // Some webhooks may exist: the filter is what matched none.
    io.out(
      `no ${[opts.enabled ? 'enabled' : opts.disabled ? 'disabled' : '', 'webhooks', event ? `for ${event}` : ''].filter(Boolean).join(' ')}`,
    );
  else io.out(webhookTable(list, colors(opts), store.kind));
  return 0;
}
