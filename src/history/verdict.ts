/**
 * The one label of a delivery's verdict, for the CLI's lists and the inspector's page alike. No
 * runtime imports: the page bundles it.
 */
import type { DeliverySummary } from './types.js';

/** `valid`, `invalid (cause)`, `delivered`, or why it was not delivered. */
export function verdictLabel(
  s: Pick<DeliverySummary, 'direction' | 'valid' | 'problem'> & {
    drift?: DeliverySummary['drift'];
  },
): string {
  if (s.direction === 'in') {
    if (!s.valid) return `invalid (${s.problem ?? '?'})`;
    return s.drift === 'warning'
      ? 'valid, drifts'
      : s.drift === 'info'
        ? 'valid, new keys'
        : 'valid';
  }
  return s.valid ? 'delivered' : (s.problem ?? 'failed');
}
