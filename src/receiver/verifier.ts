/**
 * Verifies a received delivery against one secret or every known webhook's secret, names the
 * webhook that matched, and otherwise explains the most telling failure.
 */
import { diagnose, type Diagnosis } from '../signing/diagnose.js';
import { getScheme, type HeaderMap } from '../signing/schemes.js';
import { usageError } from '../errors.js';
import type { WebhookStore } from '../store/types.js';

export interface Candidate {
  secret: string;
  webhookId?: string;
  label?: string;
}

export interface Verdict extends Diagnosis {
  webhookId?: string | null;
  label?: string | null;
}

/**
 * The secrets a catch server verifies with: the one given; else the named stored webhook's; else
 * every stored webhook whose secret is known here (the one that matches is named on each delivery).
 */
export async function candidatesFrom(source: {
  secret?: string;
  webhook?: string;
  store: WebhookStore;
}): Promise<Candidate[]> {
  if (source.secret) return [{ secret: source.secret }];
  if (source.webhook) {
    const w = await source.store.get(source.webhook);
    if (!w.secret)
      throw usageError(`the secret of webhook ${w.id} is not known here: pass --secret`);
    return [{ secret: w.secret, webhookId: w.id, label: w.name ?? w.id }];
  }
  const candidates: Candidate[] = [];
  for (const w of await source.store.list())
    if (w.secret) candidates.push({ secret: w.secret, webhookId: w.id, label: w.name ?? w.id });
  if (!candidates.length)
    throw usageError(
      'nothing to verify with: pass --secret or --webhook, or create a webhook first',
    );
  return candidates;
}

export type Verifier = (body: Buffer, headers: HeaderMap) => Verdict;

export function makeVerifier(candidates: readonly Candidate[], schemeName: string): Verifier {
  const scheme = getScheme(schemeName);
  return (body, headers) => {
    for (const c of candidates) {
      if (scheme.verify(body, c.secret, headers).valid) {
        return {
          valid: true,
          cause: 'valid',
          message: `valid ${scheme.name} signature`,
          webhookId: c.webhookId ?? null,
          label: c.label ?? null,
        };
      }
    }
    // No secret matched: explain, preferring a specific cause over "wrong secret".
    let best: Verdict | undefined;
    for (const c of candidates) {
      const d = diagnose(body, c.secret, headers, scheme.name);
      if (!best || (best.cause === 'wrong-secret' && d.cause !== 'wrong-secret'))
        best = { ...d, webhookId: c.webhookId ?? null, label: c.label ?? null };
      if (best.cause !== 'wrong-secret') break;
    }
    if (best && best.cause === 'wrong-secret') {
      return {
        ...best,
        webhookId: null,
        label: null,
        message:
          candidates.length > 1
            ? `the signature matches none of the ${candidates.length} known webhook secrets (wrong secret, or the body was changed)`
            : best.message,
      };
    }
    return (
      best ?? {
        valid: false,
        cause: 'wrong-secret',
        message: 'no secret to verify against',
        webhookId: null,
        label: null,
      }
    );
  };
}
