import type { ReplayOptions } from './replay.command.js';
import { parseExpectStatus } from '../../delivery/expect.js';
import { RunClient } from '../../delivery/clients.js';
import { replayAll, replayRequests, selectForReplay } from '../../delivery/replay.js';
import { retryPolicy } from '../../delivery/retry.js';
import { usageError } from '../../errors.js';
import { ExitCode } from '../../exit-codes.js';
import { getScheme } from '../../signing/schemes.js';
import { decodeBody, encodeBody, type DeliveryRecord } from '../../history/record.js';
import { editBody } from '../editor.js';
import { toCurl } from '../../history/export.js';
import { lineSafe } from '../../util/terminal-text.js';
import { validateUrl } from '../../store/types.js';
import { colors } from '../colors.js';
import { onStopSignal } from '../signals.js';
import { openHistoryFor, openStore } from '../context.js';
import { parseDuration, readSecret } from '../inputs.js';
import { streamIsJson, type Io } from '../output.js';
import { statusText, summaryText } from '../render-delivery.js';

export async function run(ids: string[], opts: ReplayOptions, io: Io): Promise<number> {
  if (!ids.length && opts.last === undefined && !opts.event)
    throw usageError('say what to replay: delivery ids, --last N, or --event E');
  if (ids.length && (opts.last !== undefined || opts.event))
    throw usageError('give delivery ids or --last/--event, not both');
  if (opts.edit && ids.length !== 1) throw usageError('--edit opens one delivery: give one id');
  if (opts.to) validateUrl(opts.to);
  streamIsJson(Boolean(opts.json));
  const expect = parseExpectStatus(opts.expectStatus);
  const { store, config } = await openStore(opts);
  const history = await openHistoryFor(config, io);
  const since = opts.since ? Date.now() - parseDuration(opts.since, '--since') : undefined;
  const records = await selectForReplay(history, {
    ids,
    last: opts.last,
    event: opts.event,
    since,
  });
  if (!records.length)
    throw usageError('no recorded deliveries match', 'see `bluehook deliveries list`');

  const given = readSecret(opts, { required: false });
  // Re-signed in the scheme its recorded headers show (a standard-webhooks delivery stays one),
  // unless --scheme says otherwise; the config's scheme for a record that shows none.
  const resign = opts.resign
    ? {
        scheme: opts.scheme ? getScheme(opts.scheme) : undefined,
        fallback: getScheme(config.values.scheme),
        secret: given,
        secretOf: async (id: string) => (await store.get(id)).secret,
      }
    : undefined;
  const requests = await replayRequests(records, {
    to: opts.to,
    resign,
    edit: opts.edit ? (r) => editBody(decodeBody(r), `${r.id}.json`) : undefined,
  });

  const c = colors(opts);
  if (opts.dryRun) {
    requests.forEach((req, i) => {
      const asRecord = {
        id: records[i]!.id,
        method: 'POST',
        url: req.url.href,
        headers: req.headers,
        direction: 'out',
        ...encodeBody(req.body),
      } as DeliveryRecord;
      if (opts.json)
        io.jsonLine({
          type: 'request',
          replayOf: records[i]!.id,
          method: 'POST',
          url: req.url.href,
          headers: req.headers,
          ...encodeBody(req.body),
          curl: toCurl(asRecord),
        });
      else io.out(toCurl(asRecord));
    });
    return ExitCode.ok;
  }

  const retries = opts.retry === false ? 0 : (opts.retries ?? config.values.retries);
  const timeoutMs = opts.timeout ? parseDuration(opts.timeout, '--timeout') : config.values.timeout;
  const policy = retryPolicy(
    retries,
    opts.backoff ? parseDuration(opts.backoff, '--backoff') : undefined,
  );
  const concurrency = opts.concurrency ?? 1;
  // http targets on the load mode's own sockets, https through undici (delivery/clients.ts).
  const client = new RunClient(concurrency);
  const abort = new AbortController();
  let stoppedWith: number = ExitCode.interrupted;
  const stopListening = onStopSignal((code) => {
    stoppedWith = code;
    abort.abort();
  });
  let result: Awaited<ReturnType<typeof replayAll>>;
  try {
    const ctx = {
      client,
      policy,
      timeoutMs,
      expect,
      concurrency,
      signal: abort.signal,
      history: opts.record === false ? undefined : history,
    };
    result = await replayAll(ctx, records, requests, ({ outcome, request, replayOf }) => {
      if (opts.json) {
        io.jsonLine({
          type: 'delivery',
          id: outcome.record.id,
          replayOf,
          event: request.event,
          url: request.url.href,
          status: outcome.final.status ?? null,
          ok: outcome.final.ok,
          expected: outcome.expected,
          attempts: outcome.attempts.length,
          error: outcome.final.error?.message ?? null,
        });
      } else if (requests.length <= 100) {
        const answer = outcome.final.error
          ? c.red(outcome.final.error.message)
          : statusText(outcome.final.status, c);
        io.out(
          `${outcome.expected ? c.green('✔') : c.red('✘')} ${lineSafe(replayOf)} ${lineSafe(request.event ?? '-').padEnd(28)} → ${lineSafe(request.url.href)}  ${answer}`,
        );
      }
    });
  } finally {
    stopListening();
    await history.close();
    await client.close();
  }
  const { stats, unreachable } = result;
  const summary = stats.summary();
  if (opts.json) io.jsonLine(summary);
  else if (requests.length > 1) io.err(summaryText(summary, c));
  if (abort.signal.aborted) return stoppedWith;
  if (summary.expected === summary.sent) return ExitCode.ok;
  return unreachable === summary.sent ? ExitCode.network : ExitCode.checkFailed;
}
