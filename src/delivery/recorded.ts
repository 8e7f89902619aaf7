/**
 * Deliver, then record: the one composition of the two, wrapped around a delivery function the
 * way undici wraps a dispatcher in an interceptor. send, replay, the load workers and the
 * inspector deliver through it (and so can any new use case), so what is recorded, and when, is
 * decided here once.
 */
import type { History } from '../history/history.js';
import {
  deliver,
  type DeliverOptions,
  type DeliveryOutcome,
  type OutgoingRequest,
} from './deliver.js';

export type Deliver = (
  request: OutgoingRequest,
  options: DeliverOptions,
) => Promise<DeliveryOutcome>;

export interface RecordPolicy {
  /** Where deliveries are recorded; none: nothing is. */
  history?: History;
  /** Record only what did not get the expected answer. */
  failedOnly?: boolean;
}

/**
 * `next` (by default `deliver`), with each outcome appended to the history before it is
 * returned: a caller that reports a delivery reports a recorded one, and a failed append rejects.
 */
export function recorded(policy: RecordPolicy, next: Deliver = deliver): Deliver {
  const { history, failedOnly = false } = policy;
  if (!history) return next;
  return async (request, options) => {
    const outcome = await next(request, options);
    if (!(failedOnly && outcome.expected)) await history.append(outcome.record, request.body);
    return outcome;
  };
}
