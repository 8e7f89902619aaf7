/** Where a delivery goes and how it is signed: from --url/--secret, or from a stored webhook. */
import type { ResolvedConfig } from '../config/config.js';
import type { Signer } from '../delivery/deliver.js';
import { usageError } from '../errors.js';
import { getScheme } from '../signing/schemes.js';
import type { Webhook, WebhookStore } from '../store/types.js';
import { validateUrl } from '../store/types.js';
import { packageVersion } from './version.js';
import { parseHeaders, readSecret, type SecretOptions } from './inputs.js';

export interface TargetFlags extends SecretOptions {
  url?: string;
  webhook?: string;
  scheme?: string;
  header?: string[];
  userAgent?: string;
}

export interface Target {
  url: URL;
  signer: Signer;
  webhook?: Webhook;
}

export async function resolveTarget(
  flags: TargetFlags,
  config: ResolvedConfig,
  store: () => Promise<WebhookStore>,
): Promise<Target> {
  const webhook = flags.webhook ? await (await store()).get(flags.webhook) : undefined;
  const url = flags.url ?? webhook?.url;
  if (!url) throw usageError('missing --url or --webhook: where should the delivery go?');
  validateUrl(url);
  const secret = readSecret(flags, { required: false }) ?? webhook?.secret ?? undefined;
  if (!secret) {
    throw usageError(
      webhook
        ? `the secret of webhook ${webhook.id} is not known here: pass --secret`
        : 'a secret is required: pass --secret, --secret-file or set BLUEHOOK_SECRET',
    );
  }
  const scheme = getScheme(flags.scheme ?? config.values.scheme);
  // A secret the scheme cannot use is refused before anything is sent (or a worker thread signs).
  scheme.checkSecret(secret);
  return {
    url: new URL(url),
    webhook,
    signer: {
      scheme,
      secret,
      extraHeaders: parseHeaders(flags.header),
      userAgent: flags.userAgent ?? `bluehook/${packageVersion()}`,
    },
  };
}
