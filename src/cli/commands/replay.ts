import { resolveEvent } from '../../blue/catalogue.js';
import { deliver, type OutgoingRequest } from '../../delivery/deliver.js';
import { parseExpectStatus } from '../../delivery/expect.js';
import { HttpClient } from '../../delivery/http.js';
import { runLoad } from '../../delivery/load.js';
import { replayRequest } from '../../delivery/replay.js';
import { BLUE_RETRY_POLICY, type RetryPolicy } from '../../delivery/retry.js';
import { LoadStats } from '../../delivery/stats.js';
import { ExitCode, usageError } from '../../errors.js';
import { getScheme } from '../../signing/schemes.js';
import { getAll, iterate, newest, type DeliveryFilter, type History, type PageSource } from '../../history/history.js';
import { decodeBody, encodeBody, type DeliveryRecord } from '../../history/record.js';
import { editBody } from '../editor.js';
import { toCurl } from '../../store/export.js';
import { lineSafe } from '../../util/terminal-text.js';
import { validateUrl } from '../../store/types.js';
import { colors } from '../colors.js';
import { onStopSignal } from '../signals.js';
import { openHistoryFor, openStore } from '../context.js';
import { parseDuration, readSecret, type SecretOptions } from '../inputs.js';
import { writeErr, writeJsonLine, writeOut, type GlobalOptions, streamIsJson } from '../output.js';
import { statusText, summaryText } from '../render-delivery.js';

interface ReplayFlags extends GlobalOptions, SecretOptions {
  last?: number;
  event?: string;
  since?: string;
  to?: string;
  verbatim?: boolean;
  resign?: boolean;
  scheme?: string;
  concurrency?: number;
  dryRun?: boolean;
  edit?: boolean;
  expectStatus: string;
  timeout?: string;
  retries?: number;
  backoff?: string;
  retry: boolean;
  record: boolean;
}

/** Picks the recorded deliveries to replay: by id, or the last N (optionally of an event / since). */
async function select(history: History, ids: string[], opts: ReplayFlags): Promise<DeliveryRecord[]> {
  if (ids.length) return getAll(history, ids);
  const filter: DeliveryFilter = {};
  if (opts.event) filter.event = resolveEvent(opts.event).name;
  if (opts.since) filter.since = Date.now() - parseDuration(opts.since, '--since');
  const source: PageSource<DeliveryRecord> = (page) => history.query(filter, page);
  if (opts.last !== undefined) return newest(source, opts.last);
  const picked: DeliveryRecord[] = [];
  for await (const r of iterate(source, 'oldest')) picked.push(r);
  return picked;
}

export async function run(ids: string[], opts: ReplayFlags): Promise<number> {
  if (!ids.length && opts.last === undefined && !opts.event) throw usageError('say what to replay: delivery ids, --last N, or --event E');
  if (ids.length && (opts.last !== undefined || opts.event)) throw usageError('give delivery ids or --last/--event, not both');
  if (opts.verbatim && opts.resign) throw usageError('--verbatim and --resign cannot be combined');
  if (opts.edit && (opts.verbatim || ids.length !== 1)) throw usageError('--edit opens one delivery: give one id (an edited body is signed again, so not --verbatim)');
  // An edited body no longer matches its recorded signature: it is signed again.
  if (opts.edit) opts.resign = true;
  if (opts.to) validateUrl(opts.to);
  streamIsJson(Boolean(opts.json));
  const expect = parseExpectStatus(opts.expectStatus);
  const { store, config } = await openStore(opts);
  const history = await openHistoryFor(config);
  const records = await select(history, ids, opts);
  if (!records.length) throw usageError('no recorded deliveries match', 'see `bluehook deliveries list`');

  // Resolve each request up front, so a missing target or secret fails before anything is sent.
  const given = readSecret(opts, { required: false });
  const scheme = getScheme(opts.scheme ?? config.values.scheme);
  const secrets = new Map<string, string>();
  const requests: OutgoingRequest[] = [];
  for (const r of records) {
    const to = opts.to ?? (r.direction === 'out' ? r.url : undefined);
    if (!to) throw usageError(`delivery ${r.id} was received, not sent: pass --to URL`);
    let signer;
    if (opts.resign) {
      const webhookId = r.webhookId ?? r.verdict?.webhookId ?? undefined;
      let secret = given;
      if (!secret && webhookId) {
        if (!secrets.has(webhookId)) secrets.set(webhookId, (await store.get(webhookId)).secret ?? '');
        secret = secrets.get(webhookId) || undefined;
      }
      if (!secret) throw usageError(`--resign needs a secret for delivery ${r.id}: pass --secret`);
      signer = { scheme, secret };
    }
    const edited = opts.edit ? { ...r, ...encodeBody(await editBody(decodeBody(r), `${r.id}.json`)) } : r;
    requests.push(replayRequest(edited, new URL(to), signer));
  }

  const c = colors(opts);
  if (opts.dryRun) {
    requests.forEach((req, i) => {
      const asRecord = { id: records[i]!.id, method: 'POST', url: req.url.href, headers: req.headers, direction: 'out', ...encodeBody(req.body) } as DeliveryRecord;
      if (opts.json) writeJsonLine({ type: 'request', replayOf: records[i]!.id, method: 'POST', url: req.url.href, headers: req.headers, ...encodeBody(req.body), curl: toCurl(asRecord) });
      else writeOut(toCurl(asRecord));
    });
    return ExitCode.ok;
  }

  const retries = opts.retry === false ? 0 : (opts.retries ?? config.values.retries);
  const timeoutMs = opts.timeout ? parseDuration(opts.timeout, '--timeout') : config.values.timeout;
  const policy: RetryPolicy = { ...BLUE_RETRY_POLICY, attempts: retries + 1, backoffMs: opts.backoff ? parseDuration(opts.backoff, '--backoff') : BLUE_RETRY_POLICY.backoffMs };
  const concurrency = opts.concurrency ?? 1;
  const client = new HttpClient(concurrency);
  const record = opts.record === false ? undefined : history;
  const stats = new LoadStats();
  let unreachable = 0;
  const abort = new AbortController();
  let stoppedWith: number = ExitCode.interrupted;
  const stopListening = onStopSignal((code) => {
    stoppedWith = code;
    abort.abort();
  });
  try {
    await runLoad({ count: requests.length, concurrency, signal: abort.signal }, async (i) => {
      const req = requests[i]!;
      const outcome = await deliver(req, { client, policy, timeoutMs, expect, signal: abort.signal, replayOf: records[i]!.id });
      stats.record(outcome.final, outcome.expected);
      if (outcome.unreachable) unreachable++;
      const pending = record?.append(outcome.record, req.body);
      if (opts.json) {
        writeJsonLine({ type: 'delivery', id: outcome.record.id, replayOf: records[i]!.id, event: req.event, url: req.url.href, status: outcome.final.status ?? null, ok: outcome.final.ok, expected: outcome.expected, attempts: outcome.attempts.length, error: outcome.final.error?.message ?? null });
      } else if (requests.length <= 100) {
        const result = outcome.final.error ? c.red(outcome.final.error.message) : statusText(outcome.final.status, c);
        writeOut(`${outcome.expected ? c.green('✔') : c.red('✘')} ${lineSafe(records[i]!.id)} ${lineSafe(req.event ?? '-').padEnd(28)} → ${lineSafe(req.url.href)}  ${result}`);
      }
      await pending;
    });
  } finally {
    stopListening();
    await history.close();
    await client.close();
  }
  const summary = stats.summary();
  if (opts.json) writeJsonLine(summary);
  else if (requests.length > 1) writeErr(summaryText(summary, c));
  if (abort.signal.aborted) return stoppedWith;
  if (summary.expected === summary.sent) return ExitCode.ok;
  return unreachable === summary.sent ? ExitCode.network : ExitCode.checkFailed;
}
