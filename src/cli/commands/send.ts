import type { SendOptions } from './send.command.js';
import { setTimeout as sleep } from 'node:timers/promises';
import { EVENTS, HEALTH_CHECK, resolveEvent } from '../../blue/catalogue.js';
import { eventNamedIn, type PayloadOptions } from '../../blue/payload.js';
import type { WebhookStore } from '../../store/types.js';
import { sampleBody, webhookRowInput, type DeliveryOutcome } from '../../delivery/deliver.js';
import { parseExpectStatus } from '../../delivery/expect.js';
import { deliveryBlockers } from '../../delivery/health.js';
import { HttpClient } from '../../delivery/http.js';
import { retryPolicy } from '../../delivery/retry.js';
import {
  requestFor,
  sendEveryEvent,
  sendLoad,
  sendOne,
  type SendContext,
  type SendEvent,
} from '../../delivery/send.js';
import type { LoadStats } from '../../delivery/stats.js';
import { usageError } from '../../errors.js';
import { ExitCode } from '../../exit-codes.js';
import { historySpec } from '../../history/open.js';
import { colors } from '../colors.js';
import { onStopSignal } from '../signals.js';
import { openHistoryFor, openStore } from '../context.js';
import { startRetention } from '../retention.js';
import { editBody } from '../editor.js';
import { parseDuration, payloadOptionsFrom, readBody } from '../inputs.js';
import { canSpin, wantColor, displayHeaderName, streamIsJson, type Io } from '../output.js';
import { attemptLine, responseText, statusText, summaryText } from '../render-delivery.js';
import { resolveTarget } from '../target.js';
import { lineSafe } from '../../util/terminal-text.js';

type Colors = ReturnType<typeof colors>;

export async function run(
  eventArg: string | undefined,
  opts: SendOptions,
  io: Io,
): Promise<number> {
  const loadMode = opts.count !== undefined || opts.duration !== undefined;
  if (
    !loadMode &&
    (opts.concurrency || opts.rate || opts.duplicates || opts.shuffle || opts.sameBody)
  ) {
    throw usageError(
      '--concurrency, --rate, --duplicates, --shuffle and --same-body need --count or --duration',
    );
  }
  if (opts.shuffle && opts.count === undefined) throw usageError('--shuffle needs --count');
  // Conflicts between flags are declared with them (send.command.ts); these involve the EVENT argument.
  if (opts.allEvents && eventArg)
    throw usageError('--all-events sends one of each event: no EVENT with it');
  if (opts.healthCheck && eventArg)
    throw usageError('--health-check sends WEBHOOK_HEALTH_CHECK: no EVENT with it');
  if (opts.applyHealth && !opts.webhook)
    throw usageError(
      '--apply-health needs --webhook: it records the outcome on that stored webhook',
    );
  streamIsJson(Boolean(opts.json));
  const durationMs =
    opts.duration !== undefined ? parseDuration(opts.duration, '--duration') : undefined;
  if (durationMs !== undefined && durationMs <= 0)
    throw usageError(`--duration must be longer than nothing, got "${opts.duration}"`);
  const expect = parseExpectStatus(opts.expectStatus);
  const record = recordMode(opts.record, loadMode);
  const event = opts.healthCheck ? HEALTH_CHECK : resolveEvent(eventArg ?? 'TODO_CREATED').name;

  const opened = await openStore(opts);
  const { config } = opened;
  const target = await resolveTarget(opts, config, async () => opened.store);
  // bluehook sends what it is told to; it says when Blue itself would not (the health check is
  // exactly what Blue sends to a disabled webhook being enabled).
  if (target.webhook && !opts.healthCheck) {
    for (const reason of deliveryBlockers(
      target.webhook,
      opts.allEvents ? undefined : event,
      opts.project,
    ))
      io.err(
        `bluehook: warning: Blue would not deliver this: ${lineSafe(reason)} (sending anyway)`,
      );
  }
  const timeoutMs =
    opts.timeout !== undefined ? parseDuration(opts.timeout, '--timeout') : config.values.timeout;
  if (timeoutMs <= 0)
    throw usageError(`--timeout must be longer than nothing, got "${opts.timeout}"`);
  // Load mode sends each delivery once unless --retries is given: a load test measures the receiver.
  const retries =
    opts.retry === false || opts.healthCheck
      ? 0
      : (opts.retries ?? (loadMode ? 0 : config.values.retries));
  const policy = retryPolicy(
    retries,
    opts.backoff ? parseDuration(opts.backoff, '--backoff') : undefined,
  );
  const payload = payloadOptionsFrom(opts);
  if (target.webhook) payload.webhook = { ...webhookRowInput(target.webhook), ...payload.webhook };
  else payload.webhook = { url: target.url.href, ...payload.webhook };
  // The body given with --data (byte for byte) or built once for --same-body.
  const fixedBody =
    opts.data !== undefined
      ? await readBody(opts.data, '--data')
      : opts.sameBody
        ? sampleBody(event, payload)
        : undefined;

  const abort = new AbortController();
  let stoppedWith: number = ExitCode.interrupted;
  const stopListening = onStopSignal((code) => {
    stoppedWith = code;
    abort.abort();
  });
  const history = record === 'none' ? undefined : await openHistoryFor(config, io);
  const ctx: SendContext = {
    url: target.url,
    webhookId: target.webhook?.id ?? null,
    signer: target.signer,
    client: new HttpClient(loadMode ? Math.max(1, opts.concurrency ?? 1) : 4),
    policy,
    timeoutMs,
    expect,
    signal: abort.signal,
    history,
    recordFailedOnly: record === 'failed',
  };
  const c = colors(opts);
  try {
    if (opts.delay) {
      const wait = parseDuration(opts.delay, '--delay');
      if (!opts.json)
        io.err(c.dim(`waiting ${opts.delay} (Blue queues each event before the first attempt)`));
      await sleep(wait, undefined, { signal: abort.signal }).catch(() => undefined);
    }
    // Retention runs once, beside the sending (a listener repeats it; a send is short).
    const retention = history
      ? startRetention(history, config.values, (line) => io.err(c.dim(line)))
      : undefined;
    retention?.stop();
    let code: number;
    if (loadMode) {
      const stats = await withProgress(
        io,
        opts,
        c,
        opts.count !== undefined ? opts.count * (1 + (opts.duplicates ?? 0)) : undefined,
        (progress) =>
          sendLoad(
            ctx,
            {
              event,
              payload,
              fixedBody,
              count: opts.count,
              durationMs,
              concurrency: opts.concurrency ?? 1,
              rate: opts.rate,
              duplicates: opts.duplicates,
              shuffle: opts.shuffle,
              threads: opts.threads,
              lines: Boolean(opts.json),
              historySpec: historySpec(config.values),
            },
            (e) => {
              if (e.type === 'lines') e.lines.forEach(io.line);
              else if (e.type === 'progress') progress(e.sent, e.failed);
            },
          ),
      );
      code = renderLoad(io, stats, opts, c, Boolean(history && ctx.recordFailedOnly));
    } else if (opts.allEvents) {
      const result = await sendEveryEvent(ctx, payload, (e) =>
        renderEveryEventLine(io, e, opts, c),
      );
      if (opts.json)
        io.jsonLine({ type: 'summary', sent: EVENTS.length, expected: result.expected });
      else
        io.err(`${result.expected}/${EVENTS.length} events answered as expected (${expect.text})`);
      code =
        result.expected === EVENTS.length
          ? ExitCode.ok
          : result.unreachable === EVENTS.length
            ? ExitCode.network
            : ExitCode.checkFailed;
    } else {
      code = await sendSingle(io, ctx, opts, c, event, fixedBody, payload, opened.store);
    }
    await history?.drain();
    await retention?.done;
    return abort.signal.aborted ? stoppedWith : code;
  } finally {
    stopListening();
    await history?.close();
    await ctx.client.close();
  }
}

const exitFor = (outcome: DeliveryOutcome) =>
  outcome.expected ? ExitCode.ok : outcome.unreachable ? ExitCode.network : ExitCode.checkFailed;

/** One delivery (or a health check): the request line, attempts, the answer, Blue's verdict. */
async function sendSingle(
  io: Io,
  ctx: SendContext,
  opts: SendOptions,
  c: Colors,
  event: string,
  given: Buffer | undefined,
  payload: PayloadOptions,
  store: WebhookStore,
): Promise<number> {
  const healthCheck = opts.healthCheck === true;
  const built = given ?? sampleBody(event, payload);
  const body = opts.edit ? await editBody(built) : built;
  const named = opts.edit || given ? eventNamedIn(body) : event;
  const request = requestFor(ctx, body, named);
  if (!opts.json) {
    const sig = Object.entries(request.headers).find(([k]) =>
      ctx.signer.scheme.headerNames.includes(k),
    );
    io.err(
      `→ POST ${request.url.href}  ${named ?? '(raw body)'}  ${body.length} bytes${sig ? c.dim(`  ${displayHeaderName(sig[0])}: ${sig[1].slice(0, 12)}…`) : ''}`,
    );
  }
  const showAttempts = !opts.json && ctx.policy.attempts > 1;
  const applyTo =
    opts.applyHealth && ctx.webhookId ? { store, webhookId: ctx.webhookId } : undefined;
  const { outcome, verdict, applied } = await sendOne(
    ctx,
    request,
    { healthCheck, applyTo },
    (e: SendEvent) => {
      if (e.type === 'attempt' && showAttempts) io.err(attemptLine(e.report, c));
    },
  );
  const code = healthCheck
    ? outcome.final.ok
      ? ExitCode.ok
      : outcome.unreachable
        ? ExitCode.network
        : ExitCode.checkFailed
    : exitFor(outcome);
  if (opts.json) {
    io.json({
      id: outcome.record.id,
      event: named,
      url: request.url.href,
      ok: outcome.final.ok,
      expected: healthCheck ? outcome.final.ok : outcome.expected,
      expectStatus: ctx.expect.text,
      attempts: outcome.record.attempts,
      response: outcome.record.response,
      blue: verdict
        ? { enabled: verdict.enabled, status: verdict.status, message: verdict.message, applied }
        : null,
      recorded: Boolean(ctx.history),
    });
    return code;
  }
  if (outcome.unreachable) io.err(responseText(outcome, c, false));
  else io.out(responseText(outcome, c, Boolean(opts.full)));
  if (verdict)
    io.err(
      `${verdict.enabled ? c.green('✔') : c.red('✘')} ${verdict.message}${applied ? ' (recorded in the store)' : ''}`,
    );
  if (!healthCheck && outcome.final.status !== undefined) {
    io.err(
      outcome.expected
        ? `${c.green('✔')} ${outcome.final.status} matches --expect-status ${ctx.expect.text}`
        : `${c.red('✘')} ${outcome.final.status} does not match --expect-status ${ctx.expect.text}`,
    );
  }
  if (ctx.history) io.err(c.dim(`recorded as ${outcome.record.id}`));
  return code;
}

function renderEveryEventLine(io: Io, e: SendEvent, opts: SendOptions, c: Colors): void {
  if (e.type !== 'delivery') return;
  const { outcome, request } = e;
  if (opts.json)
    io.jsonLine({
      type: 'delivery',
      id: outcome.record.id,
      event: request.event,
      status: outcome.final.status ?? null,
      ok: outcome.final.ok,
      expected: outcome.expected,
      attempts: outcome.attempts.length,
      error: outcome.final.error?.message ?? null,
    });
  else
    io.out(
      `${outcome.expected ? c.green('✔') : c.red('✘')} ${String(request.event).padEnd(42)} ${outcome.final.error ? c.red(outcome.final.error.message) : statusText(outcome.final.status, c)}`,
    );
}

function renderLoad(
  io: Io,
  stats: LoadStats,
  opts: SendOptions,
  c: Colors,
  recordedFailedOnly: boolean,
): number {
  const summary = stats.summary();
  if (opts.json) io.jsonLine(summary);
  else {
    io.out(summaryText(summary, c));
    if (recordedFailedOnly) {
      const failed = summary.sent - summary.expected;
      const what =
        failed === 0
          ? 'recorded nothing: every delivery was answered as expected'
          : `recorded the ${failed === 1 ? 'delivery' : `${failed} deliveries`} not answered as expected`;
      io.err(c.dim(`${what} (--record all keeps every one)`));
    }
  }
  if (summary.sent > 0 && summary.expected === summary.sent) return ExitCode.ok;
  const answered = Object.values(summary.answered).reduce((a, b) => a + b, 0);
  return answered === 0 && summary.sent > 0 ? ExitCode.network : ExitCode.checkFailed;
}

/**
 * A progress line on a terminal while `run` goes, as load tools show it: sent (of the total), rate,
 * elapsed time, failures so far. `update` feeds it.
 */
async function withProgress<T>(
  io: Io,
  opts: SendOptions,
  c: Colors,
  total: number | undefined,
  run: (update: (sent: number, failed: number) => void) => Promise<T>,
): Promise<T> {
  const spinner = canSpin(opts)
    ? (await import('ora'))
        .default({
          text: 'sending…',
          stream: io.stderr,
          color: wantColor(opts) ? 'cyan' : false,
          discardStdin: false,
        })
        .start()
    : undefined;
  const started = performance.now();
  try {
    return await run((sent, failed) => {
      if (!spinner) return;
      const seconds = (performance.now() - started) / 1000;
      spinner.text = `sent ${sent}${total ? `/${total}` : ''} · ${Math.round(sent / Math.max(seconds, 0.001))}/s · ${seconds.toFixed(1)}s · ${failed ? c.red(`${failed} failed`) : '0 failed'}`;
    });
  } finally {
    spinner?.stop();
  }
}

/**
 * What a send records: every delivery by default; in load mode only those that did not get the
 * expected answer (a load test measures the receiver; a million successes would add gigabytes).
 */
function recordMode(
  flag: string | false | undefined,
  loadMode: boolean,
): 'all' | 'failed' | 'none' {
  if (flag === false) return 'none';
  if (flag === undefined) return loadMode ? 'failed' : 'all';
  if (flag === 'all' || flag === 'failed' || flag === 'none') return flag;
  throw usageError(`--record must be all, failed or none, got "${flag}"`);
}
