/**
 * The send use cases: one delivery (with Blue's health verdict), one of every event, and load runs
 * (plain, split across threads; or with duplicates and shuffling). They take plain values and report
 * through a sink of typed events; what to print and which exit code follows is the caller's choice
 * (the CLI's send command, the inspector, a test).
 */
import { availableParallelism } from 'node:os';
import { EVENTS } from '../blue/catalogue.js';
import { FreshPayloads } from '../blue/payload-stream.js';
import type { PayloadOptions } from '../blue/payload.js';
import type { History, HistorySpec } from '../history/history.js';
import type { WebhookStore } from '../store/types.js';
import {
  sampleBody,
  signRequest,
  type DeliveryOutcome,
  type OutgoingRequest,
  type Signer,
} from './deliver.js';
import type { StatusMatcher } from './expect.js';
import { afterDelivery, afterHealthCheck, type HealthVerdict } from './health.js';
import type { DeliveryClient } from './http.js';
import { deliveryLine, type LoadJob } from './load-job.js';
import { runLoad } from './load.js';
import { runParallelLoad } from './parallel-load.js';
import type { AttemptReport, RetryPolicy } from './retry.js';
import { recorded } from './recorded.js';
import { LoadStats } from './stats.js';

/** What a send run reports as it goes. */
export type SendEvent =
  | { type: 'attempt'; report: AttemptReport }
  | { type: 'delivery'; request: OutgoingRequest; outcome: DeliveryOutcome }
  | { type: 'progress'; sent: number; failed: number }
  /** Load mode's per-delivery JSON lines, built where the deliveries are sent (maybe another thread). */
  | { type: 'lines'; lines: string[] };

export type Sink<E> = (event: E) => void;

/** Where and how deliveries go: shared by every send use case. */
export interface SendContext {
  url: URL;
  /** The stored webhook the deliveries are for, when there is one. */
  webhookId: string | null;
  signer: Signer;
  client: DeliveryClient;
  policy: RetryPolicy;
  timeoutMs: number;
  expect: StatusMatcher;
  signal?: AbortSignal;
  /** Where deliveries are recorded (none: not recorded). */
  history?: History;
  /** Record only deliveries that did not get the expected answer. */
  recordFailedOnly?: boolean;
}

export function requestFor(ctx: SendContext, body: Buffer, event: string | null): OutgoingRequest {
  return signRequest(ctx.url, body, event, ctx.webhookId, ctx.signer);
}

/** Delivered and recorded as the context says (./recorded.ts). */
function deliverIn(
  ctx: SendContext,
  request: OutgoingRequest,
  onAttempt?: (report: AttemptReport) => void,
): Promise<DeliveryOutcome> {
  return recorded({ history: ctx.history, failedOnly: ctx.recordFailedOnly })(request, {
    client: ctx.client,
    policy: ctx.policy,
    timeoutMs: ctx.timeoutMs,
    expect: ctx.expect,
    signal: ctx.signal,
    onAttempt,
  });
}

export interface SendOneResult {
  outcome: DeliveryOutcome;
  /** What Blue would do with the webhook after this delivery, when it would do something. */
  verdict?: HealthVerdict;
  /** The verdict was recorded on the stored webhook. */
  applied: boolean;
}

/**
 * One delivery, retried per the policy, recorded. A health check (WEBHOOK_HEALTH_CHECK, as Blue
 * sends on enable) always yields a verdict; a delivery yields one when Blue's whole retry policy
 * failed. With `applyTo`, the verdict is recorded on that stored webhook.
 */
export async function sendOne(
  ctx: SendContext,
  request: OutgoingRequest,
  options: { healthCheck?: boolean; applyTo?: { store: WebhookStore; webhookId: string } },
  sink: Sink<SendEvent>,
): Promise<SendOneResult> {
  const outcome = await deliverIn(ctx, request, (report) => sink({ type: 'attempt', report }));
  sink({ type: 'delivery', request, outcome });
  const verdict = options.healthCheck
    ? afterHealthCheck(outcome)
    : afterDelivery(outcome, ctx.policy.attempts);
  if (verdict && options.applyTo)
    await applyVerdict(options.applyTo.store, options.applyTo.webhookId, verdict);
  return { outcome, verdict, applied: Boolean(verdict && options.applyTo) };
}

/** Records Blue's verdict on a stored webhook: enabled (HEALTHY) or disabled (UNHEALTHY). */
export async function applyVerdict(
  store: WebhookStore,
  webhookId: string,
  verdict: HealthVerdict,
): Promise<void> {
  if (verdict.enabled) await store.enable(webhookId);
  else await store.disable(webhookId);
}

export interface EveryEventResult {
  sent: number;
  expected: number;
  unreachable: number;
}

/** One delivery of every event in the catalogue, in order: a receiver smoke test. */
export async function sendEveryEvent(
  ctx: SendContext,
  payload: PayloadOptions,
  sink: Sink<SendEvent>,
): Promise<EveryEventResult> {
  const result: EveryEventResult = { sent: 0, expected: 0, unreachable: 0 };
  for (const info of EVENTS) {
    if (ctx.signal?.aborted) break;
    const request = requestFor(ctx, sampleBody(info.name, payload), info.name);
    const outcome = await deliverIn(ctx, request);
    result.sent++;
    if (outcome.expected) result.expected++;
    if (outcome.unreachable) result.unreachable++;
    sink({ type: 'delivery', request, outcome });
  }
  return result;
}

export interface LoadPlan {
  event: string;
  payload: PayloadOptions;
  /** Send this body every time instead of a fresh sample each time. */
  fixedBody?: Buffer;
  count?: number;
  durationMs?: number;
  concurrency: number;
  /** Deliveries started per second, overall. */
  rate?: number;
  /** Extra exact copies of each delivery (idempotency tests). */
  duplicates?: number;
  /** Randomise the order of deliveries and their copies (needs a count). */
  shuffle?: boolean;
  /** Sending threads; default: see defaultThreads. */
  threads?: number;
  /** Emit per-delivery JSON lines (`lines` events). */
  lines?: boolean;
  /** How worker threads open the history (they cannot share the caller's connection). */
  historySpec?: HistorySpec;
}

/**
 * A second sending thread only pays when the receiver has cores of its own (measured: on 2 cores,
 * two threads were ~10% slower than one against a local receiver).
 */
export function defaultThreads(
  concurrency: number,
  count: number | undefined,
  cores = availableParallelism(),
): number {
  return cores >= 4 && concurrency >= 4 && (count === undefined || count >= 1000) ? 2 : 1;
}

/** A load run: many deliveries, concurrently, optionally paced; returns the counters. */
export function sendLoad(
  ctx: SendContext,
  plan: LoadPlan,
  sink: Sink<SendEvent>,
): Promise<LoadStats> {
  return plan.duplicates || plan.shuffle
    ? sendWithCopies(ctx, plan, sink)
    : sendPlainLoad(ctx, plan, sink);
}

/** The common case, split across worker threads: fresh (or fixed) bodies, no copies. */
function sendPlainLoad(
  ctx: SendContext,
  plan: LoadPlan,
  sink: Sink<SendEvent>,
): Promise<LoadStats> {
  const threads = plan.threads ?? defaultThreads(plan.concurrency, plan.count);
  const job: LoadJob = {
    url: ctx.url.href,
    event: plan.event,
    webhookId: ctx.webhookId,
    scheme: ctx.signer.scheme.name,
    secret: ctx.signer.secret,
    extraHeaders: ctx.signer.extraHeaders,
    userAgent: ctx.signer.userAgent,
    payload: plan.payload,
    fixedBody: plan.fixedBody,
    count: plan.count,
    durationMs: plan.durationMs,
    concurrency: plan.concurrency,
    rate: plan.rate,
    policy: ctx.policy,
    timeoutMs: ctx.timeoutMs,
    expectStatus: ctx.expect.text,
    history: ctx.history ? plan.historySpec : undefined,
    recordFailedOnly: Boolean(ctx.recordFailedOnly),
    lines: Boolean(plan.lines),
    indexBase: 0,
    indexStride: 1,
  };
  return runParallelLoad(job, Math.min(threads, plan.concurrency), {
    onLines: (lines) => sink({ type: 'lines', lines }),
    onProgress: (sent, failed) => sink({ type: 'progress', sent, failed }),
    signal: ctx.signal,
    history: ctx.history,
  });
}

/** The order of logical deliveries with `copies` of each, shuffled when asked (Fisher-Yates). */
export function copiesOrder(
  count: number,
  copies: number,
  shuffle: boolean,
  random = Math.random,
): number[] {
  const order = Array.from({ length: count * copies }, (_, i) => Math.floor(i / copies));
  if (shuffle) {
    for (let i = order.length - 1; i > 0; i--) {
      const j = Math.floor(random() * (i + 1));
      [order[i], order[j]] = [order[j]!, order[i]!];
    }
  }
  return order;
}

/** Idempotency chaos (duplicates, shuffle): one thread; a copy repeats a delivery's exact bytes and signature. */
async function sendWithCopies(
  ctx: SendContext,
  plan: LoadPlan,
  sink: Sink<SendEvent>,
): Promise<LoadStats> {
  const copies = 1 + (plan.duplicates ?? 0);
  const total = plan.count !== undefined ? plan.count * copies : undefined;
  const order =
    plan.count !== undefined ? copiesOrder(plan.count, copies, Boolean(plan.shuffle)) : undefined;
  const fixed = plan.fixedBody ? requestFor(ctx, plan.fixedBody, plan.event) : undefined;
  const fresh = fixed ? undefined : new FreshPayloads(plan.event, plan.payload);
  // Each logical delivery is built once and kept until its last copy is sent.
  const built = new Map<number, { request: OutgoingRequest; left: number }>();
  const requestOf = (logical: number): OutgoingRequest => {
    if (fixed) return fixed;
    let entry = built.get(logical);
    if (!entry) {
      entry = { request: requestFor(ctx, fresh!.next(), plan.event), left: copies };
      built.set(logical, entry);
    }
    if (--entry.left === 0) built.delete(logical);
    return entry.request;
  };
  const stats = new LoadStats();
  await runLoad(
    {
      count: total,
      durationMs: plan.durationMs,
      concurrency: plan.concurrency,
      rate: plan.rate,
      signal: ctx.signal,
    },
    async (index) => {
      const request = requestOf(order ? order[index]! : Math.floor(index / copies));
      const outcome = await deliverIn(ctx, request);
      stats.record(outcome.final, outcome.expected);
      sink({ type: 'progress', sent: stats.sent, failed: stats.sent - stats.expected });
      if (plan.lines) sink({ type: 'lines', lines: [deliveryLine(index, request.event, outcome)] });
    },
  );
  return stats;
}
