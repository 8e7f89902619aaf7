import { setTimeout as sleep } from 'node:timers/promises';
import { EVENTS, HEALTH_CHECK, resolveEvent } from '../../blue/catalogue.js';
import { eventNamedIn, type PayloadOptions } from '../../blue/payload.js';
import { FreshPayloads } from '../../blue/payload-stream.js';
import { deliver, sampleBody, signRequest, webhookRowInput, type DeliveryOutcome, type OutgoingRequest } from '../../delivery/deliver.js';
import { parseExpectStatus, type StatusMatcher } from '../../delivery/expect.js';
import { afterDelivery, afterHealthCheck } from '../../delivery/health.js';
import { HttpClient } from '../../delivery/http.js';
import { runLoad } from '../../delivery/load.js';
import { BLUE_RETRY_POLICY, type RetryPolicy } from '../../delivery/retry.js';
import { LoadStats } from '../../delivery/stats.js';
import { deliveryLine, type LoadJob } from '../../delivery/load-job.js';
import { runParallelLoad } from '../../delivery/parallel-load.js';
import { availableParallelism } from 'node:os';
import { ExitCode, usageError } from '../../errors.js';
import type { History } from '../../history/history.js';
import { historySpec } from '../../history/open.js';
import type { WebhookStore } from '../../store/types.js';
import type { ResolvedConfig } from '../../config/config.js';
import { colors } from '../colors.js';
import { onStopSignal } from '../signals.js';
import { openHistoryFor, openStore } from '../context.js';
import { startRetention } from '../retention.js';
import { editBody } from '../editor.js';
import { parseDuration, payloadOptionsFrom, readBody, type PayloadFlags } from '../inputs.js';
import { canSpin, wantColor, displayHeaderName, writeErr, writeJson, writeJsonLine, writeOut, writeStreamLine, type GlobalOptions, streamIsJson } from '../output.js';
import { attemptLine, responseText, statusText, summaryText } from '../render-delivery.js';
import { resolveTarget, type Target, type TargetFlags } from '../target.js';

interface SendFlags extends GlobalOptions, TargetFlags, PayloadFlags {
  data?: string;
  expectStatus: string;
  full?: boolean;
  timeout?: string;
  retries?: number;
  backoff?: string;
  retry: boolean;
  delay?: string;
  applyHealth?: boolean;
  healthCheck?: boolean;
  allEvents?: boolean;
  count?: number;
  concurrency?: number;
  rate?: number;
  duration?: string;
  sameBody?: boolean;
  duplicates?: number;
  shuffle?: boolean;
  threads?: number;
  edit?: boolean;
  /** all | failed | none; false for --no-record; undefined for the default. */
  record?: string | false;
}

interface Session {
  opts: SendFlags;
  target: Target;
  client: HttpClient;
  history?: History;
  /** Record only deliveries that did not get the expected answer. */
  recordFailedOnly: boolean;
  policy: RetryPolicy;
  timeoutMs: number;
  expect: StatusMatcher;
  payload: PayloadOptions;
  c: ReturnType<typeof colors>;
  signal: AbortSignal;
  store: WebhookStore;
  config: ResolvedConfig;
}

export async function run(eventArg: string | undefined, opts: SendFlags): Promise<number> {
  const loadMode = opts.count !== undefined || opts.duration !== undefined;
  if (!loadMode && (opts.concurrency || opts.rate || opts.duplicates || opts.shuffle || opts.sameBody)) {
    throw usageError('--concurrency, --rate, --duplicates, --shuffle and --same-body need --count or --duration');
  }
  if (opts.shuffle && opts.count === undefined) throw usageError('--shuffle needs --count');
  if (opts.allEvents && (eventArg || opts.data || loadMode || opts.healthCheck)) throw usageError('--all-events sends one of each event: no EVENT, --data, --count or --health-check with it');
  if (opts.edit && (loadMode || opts.allEvents)) throw usageError('--edit opens one delivery: not with --count, --duration or --all-events');
  if (opts.healthCheck && (eventArg || opts.data || loadMode)) throw usageError('--health-check sends WEBHOOK_HEALTH_CHECK: no EVENT, --data or --count with it');
  if (opts.applyHealth && !opts.webhook) throw usageError('--apply-health needs --webhook: it records the outcome on that stored webhook');
  streamIsJson(Boolean(opts.json));
  if (opts.duration !== undefined && parseDuration(opts.duration, '--duration') <= 0) throw usageError(`--duration must be longer than nothing, got "${opts.duration}"`);
  const expect = parseExpectStatus(opts.expectStatus);
  const record = recordMode(opts.record, loadMode);
  const event = opts.healthCheck ? HEALTH_CHECK : resolveEvent(eventArg ?? 'TODO_CREATED').name;

  const opened = await openStore(opts);
  const { config } = opened;
  const target = await resolveTarget(opts, config, async () => opened.store);
  const timeoutMs = opts.timeout ? parseDuration(opts.timeout, '--timeout') : config.values.timeout;
  // Load mode sends each delivery once unless --retries is given: a load test measures the receiver.
  const retries = opts.retry === false || opts.healthCheck ? 0 : (opts.retries ?? (loadMode ? 0 : config.values.retries));
  const policy: RetryPolicy = { ...BLUE_RETRY_POLICY, attempts: retries + 1, backoffMs: opts.backoff ? parseDuration(opts.backoff, '--backoff') : BLUE_RETRY_POLICY.backoffMs };
  const payload = payloadOptionsFrom(opts);
  if (target.webhook) payload.webhook = { ...webhookRowInput(target.webhook), ...payload.webhook };
  else payload.webhook = { url: target.url.href, ...payload.webhook };

  const abort = new AbortController();
  let stoppedWith: number = ExitCode.interrupted;
  const stopListening = onStopSignal((code) => {
    stoppedWith = code;
    abort.abort();
  });
  const session: Session = {
    opts,
    target,
    client: new HttpClient(loadMode ? Math.max(1, opts.concurrency ?? 1) : 4),
    history: record === 'none' ? undefined : await openHistoryFor(config),
    recordFailedOnly: record === 'failed',
    policy,
    timeoutMs,
    expect,
    payload,
    c: colors(opts),
    signal: abort.signal,
    store: opened.store,
    config,
  };
  try {
    if (opts.delay) {
      const wait = parseDuration(opts.delay, '--delay');
      if (!opts.json) writeErr(session.c.dim(`waiting ${opts.delay} (Blue queues each event before the first attempt)`));
      await sleep(wait, undefined, { signal: abort.signal }).catch(() => undefined);
    }
    let code: number;
    // Retention runs once, beside the sending (a listener repeats it; a send is short).
    const retention = session.history ? startRetention(session.history, config.values, (line) => writeErr(session.c.dim(line))) : undefined;
    retention?.stop();
    if (loadMode) code = await sendLoad(session, event);
    else if (opts.allEvents) code = await sendAllEvents(session);
    else code = await sendOne(session, event, opts.healthCheck === true);
    await session.history?.drain();
    await retention?.done;
    return abort.signal.aborted ? stoppedWith : code;
  } finally {
    stopListening();
    await session.history?.close();
    await session.client.close();
  }
}

async function bodyFor(s: Session, event: string): Promise<{ body: Buffer; event: string | null }> {
  if (s.opts.data !== undefined) {
    const body = await readBody(s.opts.data, '--data');
    return { body, event: eventNamedIn(body) };
  }
  return { body: sampleBody(event, s.payload), event };
}

function request(s: Session, body: Buffer, event: string | null): OutgoingRequest {
  return signRequest(s.target.url, body, event, s.target.webhook?.id ?? null, s.target.signer);
}

function deliverWith(s: Session, req: OutgoingRequest, onAttempt?: Parameters<typeof deliver>[1]['onAttempt']) {
  return deliver(req, { client: s.client, policy: s.policy, timeoutMs: s.timeoutMs, expect: s.expect, signal: s.signal, onAttempt });
}

const exitFor = (outcome: DeliveryOutcome) => (outcome.expected ? ExitCode.ok : outcome.unreachable ? ExitCode.network : ExitCode.checkFailed);

async function sendOne(s: Session, event: string, healthCheck: boolean): Promise<number> {
  const built = await bodyFor(s, event);
  const body = s.opts.edit ? await editBody(built.body) : built.body;
  const named = s.opts.edit ? eventNamedIn(body) : built.event;
  const req = request(s, body, named);
  const { c, opts } = s;
  if (!opts.json) {
    const sig = Object.entries(req.headers).find(([k]) => s.target.signer.scheme.headerNames.includes(k));
    writeErr(`→ POST ${req.url.href}  ${named ?? '(raw body)'}  ${body.length} bytes${sig ? c.dim(`  ${displayHeaderName(sig[0])}: ${sig[1].slice(0, 12)}…`) : ''}`);
  }
  const showAttempts = !opts.json && s.policy.attempts > 1;
  const outcome = await deliverWith(s, req, showAttempts ? (a) => writeErr(attemptLine(a, c)) : undefined);
  await s.history?.append(outcome.record, req.body);
  const verdict = healthCheck ? afterHealthCheck(outcome) : afterDelivery(outcome, s.policy.attempts);
  if (verdict && opts.applyHealth && s.target.webhook) {
    if (verdict.enabled) await s.store.enable(s.target.webhook.id);
    else await s.store.disable(s.target.webhook.id);
  }
  const code = healthCheck ? (outcome.final.ok ? ExitCode.ok : exitFor({ ...outcome, expected: false })) : exitFor(outcome);
  if (opts.json) {
    writeJson({
      id: outcome.record.id,
      event: named,
      url: req.url.href,
      ok: outcome.final.ok,
      expected: healthCheck ? outcome.final.ok : outcome.expected,
      expectStatus: s.expect.text,
      attempts: outcome.record.attempts,
      response: outcome.record.response,
      blue: verdict ? { enabled: verdict.enabled, status: verdict.status, message: verdict.message, applied: Boolean(opts.applyHealth) } : null,
      recorded: Boolean(s.history),
    });
    return code;
  }
  if (outcome.unreachable) writeErr(responseText(outcome, c, false));
  else writeOut(responseText(outcome, c, Boolean(opts.full)));
  if (verdict) writeErr(`${verdict.enabled ? c.green('✔') : c.red('✘')} ${verdict.message}${opts.applyHealth ? ' (recorded in the store)' : ''}`);
  if (!healthCheck && outcome.final.status !== undefined) {
    writeErr(outcome.expected ? `${c.green('✔')} ${outcome.final.status} matches --expect-status ${s.expect.text}` : `${c.red('✘')} ${outcome.final.status} does not match --expect-status ${s.expect.text}`);
  }
  if (s.history && !opts.json) writeErr(c.dim(`recorded as ${outcome.record.id}`));
  return code;
}

async function sendAllEvents(s: Session): Promise<number> {
  const { c, opts } = s;
  let expected = 0;
  let unreachable = 0;
  for (const info of EVENTS) {
    if (s.signal.aborted) break;
    const { body } = await bodyFor(s, info.name);
    const req = request(s, body, info.name);
    const outcome = await deliverWith(s, req);
    await s.history?.append(outcome.record, req.body);
    if (outcome.expected) expected++;
    if (outcome.unreachable) unreachable++;
    if (opts.json) writeJsonLine({ type: 'delivery', id: outcome.record.id, event: info.name, status: outcome.final.status ?? null, ok: outcome.final.ok, expected: outcome.expected, attempts: outcome.attempts.length, error: outcome.final.error?.message ?? null });
    else writeOut(`${outcome.expected ? c.green('✔') : c.red('✘')} ${info.name.padEnd(42)} ${outcome.final.error ? c.red(outcome.final.error.message) : statusText(outcome.final.status, c)}`);
  }
  if (opts.json) writeJsonLine({ type: 'summary', sent: EVENTS.length, expected });
  else writeErr(`${expected}/${EVENTS.length} events answered as expected (${s.expect.text})`);
  if (expected === EVENTS.length) return ExitCode.ok;
  return unreachable === EVENTS.length ? ExitCode.network : ExitCode.checkFailed;
}

async function sendLoad(s: Session, event: string): Promise<number> {
  const { opts, c } = s;
  const stats = await (opts.duplicates || opts.shuffle ? sendChaos(s, event) : sendPlainLoad(s, event));
  const summary = stats.summary();
  if (opts.json) writeJsonLine(summary);
  else {
    writeOut(summaryText(summary, c));
    if (s.history && s.recordFailedOnly) writeErr(c.dim(`recorded the ${summary.sent - summary.expected} deliveries not answered as expected (--record all keeps every one)`));
  }
  if (summary.sent > 0 && summary.expected === summary.sent) return ExitCode.ok;
  const answered = Object.values(summary.answered).reduce((a, b) => a + b, 0);
  return answered === 0 && summary.sent > 0 ? ExitCode.network : ExitCode.checkFailed;
}

/**
 * A progress line on a terminal while `run` goes, as load tools show it: sent (of the total), rate,
 * elapsed time, failures so far. `update` feeds it.
 */
async function withProgress<T>(s: Session, total: number | undefined, run: (update: (sent: number, failed: number) => void) => Promise<T>): Promise<T> {
  const spinner = canSpin(s.opts) ? (await import('ora')).default({ text: 'sending…', stream: process.stderr, color: wantColor(s.opts) ? 'cyan' : false, discardStdin: false }).start() : undefined;
  const started = performance.now();
  try {
    return await run((sent, failed) => {
      if (!spinner) return;
      const seconds = (performance.now() - started) / 1000;
      spinner.text = `sent ${sent}${total ? `/${total}` : ''} · ${Math.round(sent / Math.max(seconds, 0.001))}/s · ${seconds.toFixed(1)}s · ${failed ? s.c.red(`${failed} failed`) : '0 failed'}`;
    });
  } finally {
    spinner?.stop();
  }
}

/** The common case, split across worker threads: fresh (or fixed) bodies, no chaos. */
async function sendPlainLoad(s: Session, event: string): Promise<LoadStats> {
  const { opts, target } = s;
  const fixed = opts.sameBody || opts.data !== undefined ? (await bodyFor(s, event)).body : undefined;
  const concurrency = opts.concurrency ?? 1;
  // A second sending thread only pays when the receiver has cores of its own (measured: on 2 cores,
  // two threads were ~10% slower than one against a local receiver).
  const threads = opts.threads ?? (availableParallelism() >= 4 && concurrency >= 4 && (opts.count === undefined || opts.count >= 1000) ? 2 : 1);
  const job: LoadJob = {
    url: target.url.href,
    event,
    webhookId: target.webhook?.id ?? null,
    scheme: target.signer.scheme.name,
    secret: target.signer.secret,
    extraHeaders: target.signer.extraHeaders,
    userAgent: target.signer.userAgent,
    payload: s.payload,
    fixedBody: fixed,
    count: opts.count,
    durationMs: opts.duration ? parseDuration(opts.duration, '--duration') : undefined,
    concurrency,
    rate: opts.rate,
    policy: s.policy,
    timeoutMs: s.timeoutMs,
    expectStatus: s.expect.text,
    history: s.history ? historySpec(s.config.values) : undefined,
    recordFailedOnly: s.recordFailedOnly,
    lines: Boolean(opts.json),
    indexBase: 0,
    indexStride: 1,
  };
  return withProgress(s, opts.count, (update) =>
    runParallelLoad(job, Math.min(threads, concurrency), { onLines: (lines) => lines.forEach(writeStreamLine), onProgress: update, signal: s.signal, history: s.history }),
  );
}

/** Idempotency chaos (--duplicates, --shuffle): one thread, a planned order of exact copies. */
async function sendChaos(s: Session, event: string): Promise<LoadStats> {
  const { opts } = s;
  const count = opts.count;
  const copies = 1 + (opts.duplicates ?? 0);
  // Order of logical deliveries; duplicates repeat a delivery's exact bytes and signature.
  let order: number[] | undefined;
  if (count !== undefined) {
    order = Array.from({ length: count * copies }, (_, i) => Math.floor(i / copies));
    if (opts.shuffle) {
      for (let i = order.length - 1; i > 0; i--) {
        const j = Math.floor(Math.random() * (i + 1));
        [order[i], order[j]] = [order[j]!, order[i]!];
      }
    }
  }
  const fixed = opts.sameBody || opts.data !== undefined ? request(s, (await bodyFor(s, event)).body, event) : undefined;
  const fresh = fixed ? undefined : new FreshPayloads(event, s.payload);
  const built = new Map<number, { req: OutgoingRequest; left: number }>();
  const requestFor = (logical: number): OutgoingRequest => {
    if (fixed) return fixed;
    let entry = built.get(logical);
    if (!entry) {
      entry = { req: request(s, fresh!.next(), event), left: copies };
      built.set(logical, entry);
    }
    if (--entry.left === 0) built.delete(logical);
    return entry.req;
  };
  const stats = new LoadStats();
  await withProgress(s, count !== undefined ? count * copies : undefined, (update) =>
    runLoad(
      {
        count: count !== undefined ? count * copies : undefined,
        durationMs: opts.duration ? parseDuration(opts.duration, '--duration') : undefined,
        concurrency: opts.concurrency ?? 1,
        rate: opts.rate,
        signal: s.signal,
      },
      async (index) => {
        const req = requestFor(order ? order[index]! : Math.floor(index / copies));
        const outcome = await deliverWith(s, req);
        stats.record(outcome.final, outcome.expected);
        update(stats.sent, stats.sent - stats.expected);
        const pending = s.recordFailedOnly && outcome.expected ? undefined : s.history?.append(outcome.record, req.body);
        if (opts.json) writeStreamLine(deliveryLine(index, req.event, outcome));
        await pending;
      },
    ),
  );
  return stats;
}

/**
 * What a send records: every delivery by default; in load mode only those that did not get the
 * expected answer (a load test measures the receiver; a million successes would add gigabytes).
 */
function recordMode(flag: string | false | undefined, loadMode: boolean): 'all' | 'failed' | 'none' {
  if (flag === false) return 'none';
  if (flag === undefined) return loadMode ? 'failed' : 'all';
  if (flag === 'all' || flag === 'failed' || flag === 'none') return flag;
  throw usageError(`--record must be all, failed or none, got "${flag}"`);
}
