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
      throw usageError(
        `the secret of webhook ${w.id} is not known here`,
        'give the secret',
        'secret-unknown',
      );
    return [{ secret: w.secret, webhookId: w.id, label: w.name ?? w.id }];
  }
  const candidates: Candidate[] = [];
  for (const w of await source.store.list())
    if (w.secret) candidates.push({ secret: w.secret, webhookId: w.id, label: w.name ?? w.id });
  if (!candidates.length)
    throw usageError(
      'nothing to verify with',
      'give a secret or a webhook, or create a webhook first',
      'nothing-to-verify-with',
    );
  return candidates;
}

export type Verifier = (body: Buffer, headers: HeaderMap) => Verdict;

/**
 * How much a receiver spends on invalid requests. Checking a signature against every known secret
 * and explaining a failure are costly (a wrongly signed 1 MiB body against 50 secrets: ~55 ms);
 * unbounded, a few clients sending such requests would starve valid deliveries. So time spent on
 * requests that turn out invalid is budgeted per second. Past the budget a request is checked only
 * against the secrets that matched most recently (valid traffic keeps flowing) and rejected without
 * a diagnosis; a delivery for a secret not among them is refused until the second is over, and its
 * sender retries (Blue retries 5 times).
 */
export interface DiagnosisBudget {
  /** Time for one request's diagnosis; secrets left when it runs out are not tried. */
  perRequestMs: number;
  /** Time for all invalid requests within one second (checks and diagnoses). */
  perSecondMs: number;
  /** Bodies larger than this are not re-serialised (see diagnose). */
  maxReserialiseBytes: number;
  /** Past the budget: how many of the most recently matched secrets are still checked. */
  recentSecrets: number;
}

export const DIAGNOSIS_BUDGET: DiagnosisBudget = {
  perRequestMs: 20,
  perSecondMs: 150,
  maxReserialiseBytes: 256 * 1024,
  recentSecrets: 4,
};

export function makeVerifier(
  candidates: readonly Candidate[],
  schemeName: string,
  budget: DiagnosisBudget = DIAGNOSIS_BUDGET,
  clock: () => number = () => performance.now(),
): Verifier {
  const scheme = getScheme(schemeName);
  // Most recently matched first: a valid delivery usually matches at the first try.
  const order = [...candidates];
  let windowStarted = -Infinity;
  let spentInWindow = 0;
  return (body, headers) => {
    const started = clock();
    if (started - windowStarted >= 1000) {
      windowStarted = started;
      spentInWindow = 0;
    }
    const busy = spentInWindow >= budget.perSecondMs;
    const checked = busy ? Math.min(order.length, budget.recentSecrets) : order.length;
    for (let i = 0; i < checked; i++) {
      const c = order[i]!;
      if (scheme.verify(body, c.secret, headers).valid) {
        if (i > 0) order.unshift(...order.splice(i, 1));
        return {
          valid: true,
          cause: 'valid',
          message: `valid ${scheme.name} signature`,
          webhookId: c.webhookId ?? null,
          label: c.label ?? null,
        };
      }
    }
    if (busy) {
      spentInWindow += clock() - started;
      const partly =
        checked < order.length
          ? `checked only against the ${checked} most recently matched of ${order.length} secrets, and `
          : '';
      return {
        valid: false,
        cause: 'not-diagnosed',
        message: `invalid ${scheme.name} signature (${partly}not diagnosed: the receiver's budget for invalid requests this second is spent)`,
        webhookId: null,
        label: null,
      };
    }
    const deadline = started + Math.min(budget.perRequestMs, budget.perSecondMs - spentInWindow);
    // No secret matched: explain, preferring a specific cause over "wrong secret".
    let best: Verdict | undefined;
    let tried = 0;
    for (const c of candidates) {
      if (tried > 0 && clock() >= deadline) break;
      tried++;
      const d = diagnose(body, c.secret, headers, scheme.name, {
        maxReserialiseBytes: budget.maxReserialiseBytes,
      });
      if (!best || (best.cause === 'wrong-secret' && d.cause !== 'wrong-secret'))
        best = { ...d, webhookId: c.webhookId ?? null, label: c.label ?? null };
      if (best.cause !== 'wrong-secret') break;
    }
    spentInWindow += clock() - started;
    const untried = candidates.length - tried;
    if (best && best.cause === 'wrong-secret') {
      return {
        ...best,
        webhookId: null,
        label: null,
        message:
          candidates.length > 1
            ? `the signature matches none of the ${candidates.length} known webhook secrets (wrong secret, or the body was changed)${untried ? `; ${untried} not diagnosed within the time budget` : ''}`
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
