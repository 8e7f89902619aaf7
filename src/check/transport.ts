/**
 * The one seam between the check suite and the delivery layer: send one request, once, and record
 * it in the history marked as part of a check run. Everything the suite sends goes through
 * `sendAndRecord`; when "deliver, then append" becomes one composition in src/delivery/, only this
 * file changes.
 */
import { deliver, type DeliveryOutcome, type OutgoingRequest } from '../delivery/deliver.js';
import type { HttpClient } from '../delivery/http.js';
import { retryPolicy } from '../delivery/retry.js';
import type { History } from '../history/history.js';

/** A request of the suite: a delivery, or something Blue would never send (another method, a header twice). */
export interface CheckRequest {
  /** What this request is, in a few words ("TODO_CREATED", "copy 2 of 2"). */
  label: string;
  event: string | null;
  method: string;
  body: Buffer;
  /** As sent; a list value is sent once per item. */
  headers: Record<string, string | string[]>;
}

export interface CheckTransportOptions {
  client: HttpClient;
  timeoutMs: number;
  /** Where requests are recorded (none: not recorded). */
  history?: History;
  /** The webhook the requests are for, when a stored one was named. */
  webhookId: string | null;
  /** Stops a request under way (the answer is then an error). */
  signal?: AbortSignal;
}

/** Sends one request of check `check` in run `runId` and records it; never throws for the network. */
export type CheckTransport = (
  url: URL,
  request: CheckRequest,
  mark: { runId: string; check: string },
) => Promise<DeliveryOutcome>;

/** A header sent several times is recorded as a receiver on Node sees it: the values joined by ", ". */
const recordedHeaders = (headers: CheckRequest['headers']): Record<string, string> =>
  Object.fromEntries(
    Object.entries(headers).map(([k, v]) => [k, Array.isArray(v) ? v.join(', ') : v]),
  );

export function createTransport(options: CheckTransportOptions): CheckTransport {
  const once = retryPolicy(0);
  return async (url, request, mark) => {
    const outgoing: OutgoingRequest = {
      url,
      event: request.event,
      webhookId: options.webhookId,
      body: request.body,
      headers: recordedHeaders(request.headers),
    };
    // deliver() builds the record as send's are built; the client below puts the request's own
    // method and repeated headers on the wire.
    const wire = {
      post: (
        target: URL,
        body: Buffer,
        _headers: Record<string, string>,
        post: { timeoutMs: number; keepBodyBytes?: number },
      ) => options.client.post(target, body, request.headers, { ...post, method: request.method }),
    } as unknown as HttpClient;
    const outcome = await deliver(outgoing, {
      client: wire,
      policy: once,
      timeoutMs: options.timeoutMs,
      expect: Object.assign((s: number | undefined) => s !== undefined && s < 300 && s >= 200, {
        text: '2xx',
      }),
      signal: options.signal,
    });
    outcome.record.method = request.method;
    outcome.record.checkRun = { id: mark.runId, check: mark.check };
    await options.history?.append(outcome.record, request.body);
    return outcome;
  };
}
