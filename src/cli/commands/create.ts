import type { CreateOptions } from './create.command.js';
import { usageError } from '../../errors.js';
import { validateUrl } from '../../store/types.js';
import { colors } from '../colors.js';
import { openStore } from '../context.js';
import { readSecret } from '../inputs.js';
import { canPrompt, type Io } from '../output.js';
import { storeFlag, webhookDetails } from '../render.js';
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
  if (opts.json) {
    io.json(webhook); // scripts need the secret: this is the one time it is printed
    return 0;
  }
  const c = colors(opts);
  io.out(webhookDetails(webhook, c, true));
  io.err(
    c.yellow(
      `Keep the secret now: later it is shown masked (\`bluehook${storeFlag(store.kind)} show ${webhook.id} --reveal-secret\` shows it again).`,
    ),
  );
  return 0;
}
