/**
 * The check use case: runs the suite (checks.ts) against one endpoint and reports typed events
 * through a sink, like send and replay. It knows nothing of terminals or flags; the CLI's check
 * command renders its events, the tests call it in process.
 *
 * A slow endpoint does not make a run take minutes: each request has the deadline; 8 requests are
 * in flight at once; and once `stopAfterUnanswered` requests in a row got no answer (timeouts or
 * connection errors), nothing more is sent: the checks left are reported as skipped, saying why.
 * The first request goes alone: when it cannot connect at all, the run stops there (unreachable).
 */
import { randomBytes } from 'node:crypto';
import {
  BURST_CONNECTIONS,
  CHECKS,
  percentiles,
  type Answer,
  type BuiltCheck,
  type CheckDefinition,
  type CheckStatus,
  type SuiteContext,
} from './checks.js';
import type { CheckRequest, CheckTransport } from './transport.js';

export interface CheckResult {
  id: string;
  title: string;
  why: string;
  status: CheckStatus;
  /** What was sent, in a few words. */
  sent: string;
  /** What came back, in a few words. */
  got: string;
  /** What a verifying receiver would say of what was sent (the forged and odd ones). */
  diagnosis?: string;
  meaning?: string;
  fix?: string;
  cause?: string;
  /** From its first request sent to its last answer, in ms. */
  durationMs: number;
  /** Every request of the check, with its answer and its history record. */
  requests: Answer[];
}

export type CheckEvent =
  | {
      type: 'start';
      runId: string;
      url: string;
      checks: Array<{ id: string; title: string }>;
      timeoutMs: number;
      concurrency: number;
      burst: number;
    }
  | { type: 'request'; check: string; answer: Answer }
  /** Nothing more is sent: `unanswered` requests in a row got no answer. */
  | { type: 'stopped-sending'; unanswered: number }
  | { type: 'result'; result: CheckResult };

export type CheckCounts = Record<CheckStatus, number> & { total: number };

export interface CheckRunResult {
  runId: string;
  url: string;
  timeoutMs: number;
  concurrency: number;
  burst: number;
  /** Every check of the suite, in the suite's order (those not run as skipped, saying why). */
  results: CheckResult[];
  counts: CheckCounts;
  /** p50 and p99 of the genuine deliveries' answers, in ms. */
  latencyMs: { p50: number; p99: number } | null;
  /** Why the endpoint could not be reached at all (the run stopped at its first request), or null. */
  unreachable: string | null;
  /** Requests sent (each one recorded when a history was given). */
  sentRequests: number;
  elapsedMs: number;
}

export interface CheckRunOptions {
  url: URL;
  suite: SuiteContext;
  /** The ids of the checks to run (selectChecks); the others are reported as skipped. */
  selected: ReadonlySet<string>;
  transport: CheckTransport;
  /** Requests in flight at once (default 8, as the emulator's worker). */
  concurrency?: number;
  /** Stop sending after this many requests in a row got no answer (default 3). */
  stopAfterUnanswered?: number;
  signal?: AbortSignal;
  runId?: string;
}

export type Sink<E> = (event: E) => void;

/** Why a check the caller did not select is reported as skipped. */
export const NOT_SELECTED = 'not selected for this run';

export const newRunId = () => `run-${Date.now().toString(36)}${randomBytes(3).toString('hex')}`;

/** Timeout first (its request probes the endpoint), the rest in the suite's order, the burst last. */
function executionOrder(checks: readonly CheckDefinition[]): CheckDefinition[] {
  const first = checks.filter((c) => c.id === 'timeout');
  const rest = checks.filter((c) => c.id !== 'timeout' && !c.alone);
  return [...first, ...rest, ...checks.filter((c) => c.alone)];
}

interface Planned {
  check: CheckDefinition;
  built: BuiltCheck;
  answers: Answer[];
  /** Sequences not finished yet. */
  pending: number;
  /** When its first request was sent (performance.now()). */
  startedAt?: number;
  result?: CheckResult;
}

export async function runChecks(
  options: CheckRunOptions,
  sink: Sink<CheckEvent>,
): Promise<CheckRunResult> {
  const started = performance.now();
  const runId = options.runId ?? newRunId();
  const concurrency = options.concurrency ?? BURST_CONNECTIONS;
  const stopAfter = options.stopAfterUnanswered ?? 3;
  const { suite } = options;

  const skippedResult = (check: CheckDefinition, meaning: string, sent = ''): CheckResult => ({
    id: check.id,
    title: check.title,
    why: check.why,
    status: 'skipped',
    sent,
    got: 'not sent',
    meaning,
    durationMs: 0,
    requests: [],
  });

  const results = new Map<string, CheckResult>();
  const planned: Planned[] = [];
  for (const check of CHECKS) {
    if (!options.selected.has(check.id)) {
      results.set(check.id, skippedResult(check, NOT_SELECTED));
      continue;
    }
    const missing = (check.needs ?? []).filter((e) => !suite.events.includes(e));
    if (missing.length) {
      results.set(
        check.id,
        skippedResult(check, `the webhook is not subscribed to ${missing.join(' and ')}`),
      );
      continue;
    }
    const built = check.build(suite);
    const answers = built.sequences.flat().map((r) => ({ label: r.label, sent: false }));
    planned.push({ check, built, answers, pending: built.sequences.length });
  }
  const order = executionOrder(planned.map((p) => p.check)).map(
    (c) => planned.find((p) => p.check === c)!,
  );
  sink({
    type: 'start',
    runId,
    url: options.url.href,
    checks: order.map((p) => ({ id: p.check.id, title: p.check.title })),
    timeoutMs: suite.timeoutMs,
    concurrency,
    burst: suite.burst,
  });

  let unansweredInARow = 0;
  let stopped = false;
  let sentRequests = 0;
  const all = (): Answer[] => planned.flatMap((p) => p.answers);

  const finish = (p: Planned) => {
    const { flagged, ...verdict } = p.check.evaluate(p.answers, suite, all());
    p.answers.forEach((a, i) => {
      if (a.sent) a.asExpected = !flagged?.[i];
    });
    p.result = {
      id: p.check.id,
      title: p.check.title,
      why: p.check.why,
      sent: p.built.sent,
      ...(p.built.diagnosis ? { diagnosis: p.built.diagnosis } : {}),
      ...verdict,
      durationMs: p.startedAt === undefined ? 0 : Math.round(performance.now() - p.startedAt),
      requests: p.answers,
    };
    results.set(p.check.id, p.result);
    sink({ type: 'result', result: p.result });
  };

  const send = async (p: Planned, index: number, request: CheckRequest): Promise<Answer> => {
    p.startedAt ??= performance.now();
    const outcome = await options.transport(options.url, request, {
      runId,
      check: p.check.id,
    });
    sentRequests++;
    const final = outcome.final;
    const answer: Answer = {
      label: request.label,
      sent: true,
      status: final.status,
      durationMs: Math.round(final.durationMs * 100) / 100,
      error: final.error,
      recordId: outcome.record.id,
    };
    p.answers[index] = answer;
    sink({ type: 'request', check: p.check.id, answer });
    if (answer.status === undefined) {
      unansweredInARow++;
      if (unansweredInARow >= stopAfter && !stopped) {
        stopped = true;
        sink({ type: 'stopped-sending', unanswered: unansweredInARow });
      }
    } else unansweredInARow = 0;
    return answer;
  };

  // The sequences of a phase as units of work: [check, index of its first request, requests].
  const unitsOf = (list: Planned[]) =>
    list.flatMap((p) => {
      let index = 0;
      return p.built.sequences.map((sequence) => {
        const unit = { p, first: index, sequence };
        index += sequence.length;
        return unit;
      });
    });
  type Unit = ReturnType<typeof unitsOf>[number];
  const runUnit = async (unit: Unit, from = 0) => {
    for (let i = from; i < unit.sequence.length; i++) {
      if (stopped || options.signal?.aborted) break;
      await send(unit.p, unit.first + i, unit.sequence[i]!);
    }
    if (--unit.p.pending === 0 && unit.p.check.id !== 'timeout') finish(unit.p);
  };
  const runPhase = async (units: Unit[]) => {
    let next = 0;
    const worker = async () => {
      while (next < units.length) await runUnit(units[next++]!);
    };
    await Promise.all(Array.from({ length: Math.min(concurrency, units.length) }, worker));
  };

  let unreachable: string | null = null;
  const main = unitsOf(order.filter((p) => !p.check.alone));
  const alone = unitsOf(order.filter((p) => p.check.alone));
  const probe = main.shift() ?? alone.shift();
  if (probe) {
    const answer = await send(probe.p, probe.first, probe.sequence[0]!);
    if (answer.status === undefined && answer.error?.kind !== 'timeout')
      unreachable = answer.error?.message ?? 'no answer';
  }
  if (unreachable === null) {
    if (probe) await runUnit(probe, 1);
    await runPhase(main);
    await runPhase(alone);
    const timeoutCheck = planned.find((p) => p.check.id === 'timeout');
    if (timeoutCheck) finish(timeoutCheck);
  } else {
    // Nothing can be judged: every check is reported as not run, with the reason.
    for (const p of planned) {
      const result: CheckResult = {
        ...skippedResult(
          p.check,
          `the endpoint could not be reached (${unreachable})`,
          p.built.sent,
        ),
        requests: p.answers.filter((a) => a.sent),
      };
      results.set(p.check.id, result);
      sink({ type: 'result', result });
    }
  }

  const ordered = CHECKS.map((c) => results.get(c.id)!);
  const counts: CheckCounts = { pass: 0, fail: 0, warn: 0, skipped: 0, total: ordered.length };
  for (const r of ordered) counts[r.status]++;
  const genuine = results.get('genuine');
  const durations = (genuine?.requests ?? [])
    .filter((a) => a.status !== undefined)
    .map((a) => a.durationMs ?? 0);
  return {
    runId,
    url: options.url.href,
    timeoutMs: suite.timeoutMs,
    concurrency,
    burst: suite.burst,
    results: ordered,
    counts,
    latencyMs: percentiles(durations),
    unreachable,
    sentRequests,
    elapsedMs: Math.round(performance.now() - started),
  };
}
