import { usageError } from '../../errors.js';
import { validateUrl } from '../../store/types.js';
import { colors } from '../colors.js';
import { openStore } from '../context.js';
import { canPrompt, type GlobalOptions, type Io } from '../output.js';
import { webhookDetails, webhookJson } from '../render.js';
import { webhookFieldsFrom, type WebhookFlags } from '../webhook-flags.js';

export async function run(
  ref: string,
  opts: GlobalOptions & WebhookFlags,
  io: Io,
): Promise<number> {
  let fields = webhookFieldsFrom(opts);
  if (fields.url !== undefined) validateUrl(fields.url);
  const { store } = await openStore(opts);
  const current = await store.get(ref);
  if (Object.keys(fields).length === 0) {
    if (!canPrompt() || opts.json)
      throw usageError(
        'nothing to update: pass --name, --url, --events/--event/--all-events or --project/--all-projects',
      );
    const { askWebhook } = await import('../prompts.js');
    fields = await askWebhook({}, { ...current });
  }
  const webhook = await store.update(current.id, fields);
  if (opts.json) io.json(webhookJson(webhook));
  else io.out(webhookDetails(webhook, colors(opts)));
  return 0;
}
