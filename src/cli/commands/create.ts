import type { CreateOptions } from './create.command.js';
import { usageError } from '../../errors.js';
import { validateUrl } from '../../store/types.js';
import { lineSafe } from '../../util/terminal-text.js';
import { colors } from '../colors.js';
import { openStore } from '../context.js';
import { readSecret } from '../inputs.js';
import { canPrompt, type Io } from '../output.js';
import { storeFlag, webhookDetails, webhookJson } from '../render.js';
import { webhookFieldsFrom } from '../webhook-flags.js';

export async function run(opts: CreateOptions, io: Io): Promise<number> {
  let fields = webhookFieldsFrom(opts);
  if (fields.url !== undefined) validateUrl(fields.url);
  const secret = opts.generateSecret
    ? undefined
    : readSecret({ secret: opts.secret, secretFile: opts.secretFile }, { required: false });
  const { store } = await openStore(opts);

  if (canPrompt() && !opts.json && (fields.url === undefined || fields.events === undefined)) {
    const { askWebhook, confirm } = await import('../prompts.js');
    fields = await askWebhook(fields);
    if (
      !opts.yes &&
      !(await confirm(
        `Create webhook ${fields.name ? `"${fields.name}" ` : ''}→ ${fields.url}?`,
        true,
      ))
    ) {
      io.err('cancelled: nothing was created');
      return 1;
    }
  }
  if (fields.url === undefined)
    throw usageError(
      'missing --url: where should Blue deliver?',
      'for example --url https://example.com/webhooks/blue',
    );

  const webhook = await store.create({
    ...fields,
    url: fields.url,
    secret,
    enabled: !opts.disabled,
  });
  // Masked like everywhere else (the store keeps the secret); printed in full only when asked.
  if (opts.json) {
    io.json(webhookJson(webhook, opts.revealSecret));
    return 0;
  }
  const c = colors(opts);
  io.out(webhookDetails(webhook, c, opts.revealSecret));
  if (webhook.secret && !opts.revealSecret) {
    const flag = storeFlag(store.kind);
    const id = lineSafe(webhook.id);
    io.err(
      c.dim(
        `The store keeps the secret: \`bluehook${flag} listen --webhook ${id}\` and \`send --webhook\` use it without printing it; \`bluehook${flag} show ${id} --reveal-secret\` prints it.`,
      ),
    );
  }
  return 0;
}
