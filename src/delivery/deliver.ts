/**
 * Building, signing and delivering one webhook delivery the way Blue does, and the record of
 * it for the delivery log. The CLI's send, replay and health check all go through here.
 */
import { buildPayload, serializeBody, type PayloadOptions } from '../blue/payload.js';
import type { WebhookRowInput } from '../blue/entities.js';
import type { SignatureScheme } from '../signing/schemes.js';
import { encodeBody, newDeliveryId, type DeliveryRecord } from '../history/record.js';
import type { Webhook } from '../store/types.js';
import type { StatusMatcher } from './expect.js';
import type { DeliveryClient } from './http.js';
import { withRetries, type AttemptReport, type RetryPolicy } from './retry.js';

export interface OutgoingRequest {
  url: URL;
  event: string | null;
  webhookId: string | null;
  body: Buffer;
  headers: Record<string, string>;
}

export interface Signer {
  scheme: SignatureScheme;
  secret: string;
  /** Added after the signature headers (`-H`); may override them. */
  extraHeaders?: Record<string, string>;
  userAgent?: string;
}

/** The embedded webhook row as Blue writes it, from a stored webhook. */
export function webhookRowInput(w: Webhook): WebhookRowInput {
  const {
    id,
    uid,
    name,
    url,
    status,
    enabled,
    events,
    projectIds,
    createdById,
    createdAt,
    updatedAt,
  } = w;
  return {
    id,
    uid,
    name,
    url,
    status,
    enabled,
    events,
    projectIds,
    createdById,
    createdAt,
    updatedAt,
  };
}

/** A fresh sample body for `event`, compact as Blue serialises it. */
export function sampleBody(event: string, options: PayloadOptions): Buffer {
  return Buffer.from(serializeBody(buildPayload(event, options)));
}

export function signRequest(
  url: URL,
  body: Buffer,
  event: string | null,
  webhookId: string | null,
  signer: Signer,
): OutgoingRequest {
  const headers: Record<string, string> = {
    'content-type': 'application/json',
    'user-agent': signer.userAgent ?? 'bluehook',
    ...signer.scheme.sign(body, signer.secret),
    ...signer.extraHeaders,
  };
  return { url, event, webhookId, body, headers };
}

export interface DeliveryOutcome {
  attempts: AttemptReport[];
  final: AttemptReport;
  /** The final answer met the expectation. */
  expected: boolean;
  /** It could not be reached at all on the last attempt. */
  unreachable: boolean;
  /**
   * The delivery's record for the history. Built when first read (then kept): a load run that
   * records only failures never builds one for a delivery answered as expected.
   */
  readonly record: DeliveryRecord;
  /** The record's id (made when first read, without building the record). */
  readonly id: string;
}

export interface DeliverOptions {
  client: DeliveryClient;
  policy: RetryPolicy;
  timeoutMs: number;
  expect: StatusMatcher;
  onAttempt?: (report: AttemptReport) => void;
  signal?: AbortSignal;
  replayOf?: string;
  /** How much of each response body to keep in the record. */
  keepBodyBytes?: number;
}

export async function deliver(
  request: OutgoingRequest,
  options: DeliverOptions,
): Promise<DeliveryOutcome> {
  const startedAt = Date.now();
  const attempts = await withRetries(
    () =>
      options.client.post(request.url, request.body, request.headers, {
        timeoutMs: options.timeoutMs,
        keepBodyBytes: options.keepBodyBytes,
      }),
    options.policy,
    {
      done: (r) => r.ok || options.expect(r.status),
      onAttempt: options.onAttempt,
      signal: options.signal,
    },
  );
  return new Outcome(request, options.replayOf, startedAt, attempts, options.expect);
}

/** An outcome whose id and record are made when first read (a class: its getters are shared). */
class Outcome implements DeliveryOutcome {
  readonly final: AttemptReport;
  readonly expected: boolean;
  readonly unreachable: boolean;
  private madeId: string | undefined;
  private made: DeliveryRecord | undefined;

  constructor(
    private readonly request: OutgoingRequest,
    private readonly replayOf: string | undefined,
    private readonly startedAt: number,
    readonly attempts: AttemptReport[],
    expect: StatusMatcher,
  ) {
    this.final = attempts[attempts.length - 1]!;
    this.expected = expect(this.final.status);
    this.unreachable = this.final.status === undefined;
  }

  get id(): string {
    this.madeId ??= newDeliveryId();
    return this.madeId;
  }

  get record(): DeliveryRecord {
    this.made ??= recordOf(
      this.request,
      this.replayOf,
      this.id,
      new Date(this.startedAt).toISOString(),
      this.attempts,
    );
    return this.made;
  }
}

function recordOf(
  request: OutgoingRequest,
  replayOf: string | undefined,
  id: string,
  time: string,
  attempts: AttemptReport[],
): DeliveryRecord {
  const final = attempts[attempts.length - 1]!;
  const record: DeliveryRecord = {
    id,
    direction: 'out',
    time,
    event: request.event,
    webhookId: request.webhookId,
    url: request.url.href,
    method: 'POST',
    headers: request.headers,
    ...encodeBody(request.body),
    attempts: attempts.map((a) => ({
      attempt: a.attempt,
      status: a.status,
      durationMs: Math.round(a.durationMs * 100) / 100,
      error: a.error?.message,
    })),
    response: {
      status: final.status,
      headers: final.headers,
      body: final.body?.subarray(0, 4096).toString('utf8'),
      error: final.error?.message,
    },
    ok: final.ok,
  };
  if (replayOf) record.replayOf = replayOf;
  return record;
}
