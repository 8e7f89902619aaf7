/**
 * The one label of a delivery's verdict, for the CLI's lists and the inspector's page alike. No
 * runtime imports: the page bundles it.
 */
import type { DeliverySummary } from './types.js';

/** `valid`, `invalid (cause)`, `delivered`, or why it was not delivered. */
export function verdictLabel(s: Pick<DeliverySummary, 'direction' | 'valid' | 'problem'>): string {
  if (s.direction === 'in') return s.valid ? 'valid' : `invalid (${s.problem ?? '?'})`;
  return s.valid ? 'delivered' : (s.problem ?? 'failed');
}
