import { colors } from '../colors.js';
import { openStore } from '../context.js';
import { writeJson, writeOut, type GlobalOptions } from '../output.js';
import { webhookDetails, webhookJson } from '../render.js';

export async function run(
  ref: string,
  opts: GlobalOptions & { revealSecret?: boolean },
): Promise<number> {
  const { store } = await openStore(opts);
  const webhook = await store.get(ref);
  if (opts.json) writeJson(webhookJson(webhook, opts.revealSecret));
  else writeOut(webhookDetails(webhook, colors(opts), opts.revealSecret));
  return 0;
}
