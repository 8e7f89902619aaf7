import type { CheckOptions } from './check.command.js';
import { resolveEventList } from '../../blue/catalogue.js';
import {
  BURST_CONNECTIONS,
  CHECKS,
  DEFAULT_BURST,
  genuineEvents,
  selectChecks,
} from '../../check/checks.js';
import { junitXml } from '../../check/junit.js';
import { NOT_SELECTED, runChecks, type CheckResult, type CheckRunResult } from '../../check/run.js';
import { createTransport } from '../../check/transport.js';
import { webhookRowInput } from '../../delivery/deliver.js';
import { HttpClient } from '../../delivery/http.js';
import { usageError } from '../../errors.js';
import { ExitCode } from '../../exit-codes.js';
import { writeFileAtomic } from '../../util/fs.js';
import { lineSafe } from '../../util/terminal-text.js';
import { colors } from '../colors.js';
import { openHistoryFor, openStore } from '../context.js';
import { parseDuration } from '../inputs.js';
import { canSpin, wantColor, type Io } from '../output.js';
import { onStopSignal } from '../signals.js';
import { startRetention } from '../retention.js';
import { fitRows, table } from '../table.js';
import { resolveTarget } from '../target.js';

type Colors = ReturnType<typeof colors>;

export async function run(url: string | undefined, opts: CheckOptions, io: Io): Promise<number> {
  if (opts.list) return listChecks(opts, io);
  if (!url && !opts.webhook)
    throw usageError('missing the endpoint: give its URL, or --webhook REF for a stored webhook');
  const timeoutMs = parseDuration(opts.timeout, '--timeout');
  if (timeoutMs <= 0)
    throw usageError(`--timeout must be longer than nothing, got "${opts.timeout}"`);
  const selected = selectChecks(opts.only ?? [], opts.skip ?? []);
  if (!selected.size) throw usageError('--only and --skip leave no check to run');
  const subscribedFlag = opts.events ? resolveEventList(opts.events) : undefined;
  if (opts.events && !subscribedFlag?.length) throw usageError('--events is empty');

  const opened = await openStore(opts);
  // Blue's scheme whatever the config says: the suite is about Blue's X-Signature.
  const target = await resolveTarget(
    {
      url,
      webhook: opts.webhook,
      secret: opts.secret,
      secretFile: opts.secretFile,
      scheme: 'blue',
    },
    opened.config,
    async () => opened.store,
  );
  const subscribed = subscribedFlag ?? target.webhook?.events ?? [];
  const c = colors(opts);
  const history = await openHistoryFor(opened.config, io);
  // Retention runs once, beside the run, as send's does.
  const retention = startRetention(history, opened.config.values, (line) => io.err(c.dim(line)));
  retention.stop();
  const client = new HttpClient(BURST_CONNECTIONS, timeoutMs);
  const abort = new AbortController();
  let stoppedWith: number = ExitCode.interrupted;
  const stopListening = onStopSignal((code) => {
    stoppedWith = code;
    abort.abort();
  });
  const spinner = canSpin(opts)
    ? (await import('ora'))
        .default({
          text: 'checking…',
          stream: io.stderr,
          color: wantColor(opts) ? 'cyan' : false,
          discardStdin: false,
        })
        .start()
    : undefined;
  let result: CheckRunResult;
  try {
    let done = 0;
    let total = 0;
    result = await runChecks(
      {
        url: target.url,
        suite: {
          secret: target.signer.secret,
          timeoutMs,
          events: genuineEvents(subscribed),
          payload: {
            webhook: target.webhook ? webhookRowInput(target.webhook) : { url: target.url.href },
          },
          burst: opts.burst ?? DEFAULT_BURST,
          userAgent: target.signer.userAgent ?? 'bluehook',
        },
        selected,
        transport: createTransport({
          client,
          timeoutMs,
          history,
          webhookId: target.webhook?.id ?? null,
          signal: abort.signal,
        }),
        signal: abort.signal,
      },
      (e) => {
        if (e.type === 'start') {
          total = e.checks.length;
          if (!opts.json)
            io.err(
              c.dim(
                `checking ${lineSafe(e.url)}: ${total} checks, run ${e.runId} (deadline ${opts.timeout} per request, ${e.concurrency} in flight)`,
              ),
            );
        } else if (e.type === 'result') {
          done++;
          if (spinner) spinner.text = `${done}/${total} checks · ${e.result.id}`;
        } else if (e.type === 'stopped-sending' && !opts.json) {
          spinner?.clear();
          io.err(
            `${c.yellow('!')} ${e.unanswered} requests in a row got no answer: nothing more is sent; the checks left are skipped`,
          );
        }
      },
    );
    await history.drain();
    await retention.done;
  } finally {
    spinner?.stop();
    stopListening();
    await client.close();
    await history.close();
  }

  if (opts.junit) writeJunit(opts.junit, result);
  const code = abort.signal.aborted
    ? stoppedWith
    : result.unreachable !== null
      ? ExitCode.network
      : result.counts.fail > 0
        ? ExitCode.checkFailed
        : ExitCode.ok;
  if (opts.json) io.json(jsonDocument(result, opts.junit ?? null, code));
  else if (result.unreachable === null) renderTable(io, result, c);
  if (result.unreachable !== null)
    io.err(`bluehook: could not reach ${lineSafe(result.url)}: ${result.unreachable}`);
  return code;
}

function writeJunit(file: string, result: CheckRunResult): void {
  try {
    writeFileAtomic(file, junitXml(result));
  } catch (e) {
    throw usageError(
      `cannot write --junit ${file}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`,
    );
  }
}

/** The --json document: the run, its counts, and each check with its requests' history records. */
export function jsonDocument(result: CheckRunResult, junit: string | null, exitCode: number) {
  return {
    runId: result.runId,
    url: result.url,
    timeoutMs: result.timeoutMs,
    concurrency: result.concurrency,
    burst: result.burst,
    summary: result.counts,
    latencyMs: result.latencyMs,
    unreachable: result.unreachable,
    sentRequests: result.sentRequests,
    elapsedMs: result.elapsedMs,
    junit,
    exitCode,
    checks: result.results.map((r) => ({
      id: r.id,
      title: r.title,
      status: r.status,
      why: r.why,
      sent: r.sent,
      durationMs: r.durationMs,
      got: r.got,
      diagnosis: r.diagnosis ?? null,
      meaning: r.meaning ?? null,
      fix: r.fix ?? null,
      cause: r.cause ?? null,
      requests: r.requests.map((a) => ({
        label: a.label,
        sent: a.sent,
        recordId: a.recordId ?? null,
        status: a.status ?? null,
        durationMs: a.durationMs ?? null,
        error: a.error?.message ?? null,
        asExpected: a.asExpected ?? null,
      })),
    })),
  };
}

const MARK = {
  pass: (c: Colors) => c.green('✔ pass'),
  fail: (c: Colors) => c.red('✘ fail'),
  warn: (c: Colors) => c.yellow('! warn'),
  skipped: (c: Colors) => c.dim('- skip'),
};

function renderTable(io: Io, result: CheckRunResult, c: Colors): void {
  // What comes back is the receiver's: escaped before it reaches the terminal.
  const rows = [
    ['RESULT', 'CHECK', 'SENT', 'GOT'].map((h) => c.bold(h)),
    ...result.results
      .filter((r) => r.meaning !== NOT_SELECTED)
      .map((r) => [MARK[r.status](c), r.id, lineSafe(r.sent), lineSafe(r.got)]),
  ];
  // On a terminal the table fits its width (what was sent and what came back are cut; the failures
  // below say them whole); piped, rows are whole.
  const columns = io.isTTY.stdout ? process.stdout.columns : undefined;
  io.out(table(columns ? fitRows(rows, columns, [2, 3]) : rows));
  const explained = result.results.filter((r) => r.status === 'fail' || r.status === 'warn');
  for (const r of explained) io.out(`\n${details(r, c)}`);
  // Skipped checks share a reason or two (not selected, not subscribed, the run stopped sending).
  const reasons = new Map<string, string[]>();
  for (const r of result.results.filter((x) => x.status === 'skipped'))
    reasons.set(r.meaning ?? 'not run', [...(reasons.get(r.meaning ?? 'not run') ?? []), r.id]);
  for (const [reason, ids] of reasons)
    io.out(`\n${MARK.skipped(c)} ${ids.length === 1 ? ids[0] : `${ids.length} checks`}: ${reason}`);
  const { counts, latencyMs } = result;
  const parts = [
    `${counts.total} checks: ${counts.pass} passed, ${counts.fail} failed, ${counts.warn} warned, ${counts.skipped} skipped`,
  ];
  if (latencyMs)
    parts.push(`genuine deliveries answered in p50 ${latencyMs.p50} ms, p99 ${latencyMs.p99} ms`);
  io.out(`\n${parts.join(' · ')}`);
  io.err(
    c.dim(
      `${result.sentRequests} requests recorded as check run ${result.runId} (bluehook deliveries list --check-run ${result.runId} lists them; bluehook replay ID re-sends one)`,
    ),
  );
}

function details(r: CheckResult, c: Colors): string {
  // The requests that made it fail or warn (all of them when none stands out: a duplicate's two).
  const sent = r.requests.filter((a) => a.recordId);
  const flagged = sent.filter((a) => a.asExpected === false);
  const odd = flagged.length ? flagged : sent;
  const records = odd.slice(0, 5).map((a) => `${a.recordId} (${lineSafe(a.label)})`);
  const line = (label: string, text: string) => `  ${`${label}:`.padEnd(11)}${text}`;
  return [
    `${MARK[r.status](c)} ${c.bold(r.id)}: ${r.title}`,
    line('why', r.why),
    line('sent', lineSafe(r.sent)),
    ...(r.diagnosis ? [line('diagnosis', r.diagnosis)] : []),
    line('got', lineSafe(r.got)),
    ...(r.meaning ? [line('means', r.meaning)] : []),
    ...(r.fix ? [line('fix', r.fix)] : []),
    ...(records.length
      ? [line('records', `${records.join(', ')}${odd.length > 5 ? ', …' : ''}`)]
      : []),
  ].join('\n');
}

function listChecks(opts: CheckOptions, io: Io): number {
  if (opts.json) {
    io.json(CHECKS.map((k) => ({ id: k.id, title: k.title, why: k.why })));
    return ExitCode.ok;
  }
  io.out(table(CHECKS.map((k) => [k.id, k.title])));
  return ExitCode.ok;
}
