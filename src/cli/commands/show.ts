import { colors } from '../colors.js';
import { openStore } from '../context.js';
import type { GlobalOptions, Io } from '../output.js';
import { webhookDetails, webhookJson } from '../render.js';

export async function run(
  ref: string,
  opts: GlobalOptions & { revealSecret?: boolean },
  io: Io,
): Promise<number> {
  const { store } = await openStore(opts);
  const webhook = await store.get(ref);
  if (opts.json) io.json(webhookJson(webhook, opts.revealSecret));
  else io.out(webhookDetails(webhook, colors(opts), opts.revealSecret));
  return 0;
}
