/**
 * A plain load job, described by plain data so that it can run in this thread or in a worker
 * thread: fresh (or fixed) bodies, signed per delivery, sent through one pool, recorded in the history.
 */
import { FreshPayloads } from '../blue/payload-stream.js';
import type { PayloadOptions } from '../blue/payload.js';
import { getScheme, type SchemeName } from '../signing/schemes.js';
import type { History, HistorySpec } from '../history/history.js';
// The worker thread's own composition root: it opens the history the job names.
import { openHistory } from '../history/open.js';
import { signRequest, type DeliveryOutcome, type Signer } from './deliver.js';
import { parseExpectStatus } from './expect.js';
import { RunClient } from './clients.js';
import { runLoad } from './load.js';
import { recorded } from './recorded.js';
import type { RetryPolicy } from './retry.js';
import { LoadStats } from './stats.js';

export interface LoadJob {
  url: string;
  event: string;
  webhookId: string | null;
  scheme: SchemeName;
  secret: string;
  extraHeaders?: Record<string, string>;
  userAgent?: string;
  payload: PayloadOptions;
  /** The same bytes every time (--same-body, --data); otherwise fresh payloads. */
  fixedBody?: Uint8Array;
  count?: number;
  durationMs?: number;
  concurrency: number;
  rate?: number;
  policy: RetryPolicy;
  timeoutMs: number;
  expectStatus: string;
  /** Where to record, or undefined for --record none. */
  history?: HistorySpec;
  /** Record only deliveries that did not get the expected answer (load mode's default). */
  recordFailedOnly: boolean;
  /** Emit an NDJSON line per delivery. */
  lines: boolean;
  /** This job's share: delivery index = indexBase + k * indexStride. */
  indexBase: number;
  indexStride: number;
}

/** The NDJSON line a load run prints for each delivery (`--json`). */
export function deliveryLine(
  index: number,
  event: string | null,
  outcome: DeliveryOutcome,
): string {
  const f = outcome.final;
  // Written out rather than JSON.stringify of an object (a line per delivery at load): every
  // value is a number, a boolean, null, or JSON.stringify's own string; the test compares the two.
  return `{"type":"delivery","index":${index},"id":${JSON.stringify(outcome.id)},"event":${JSON.stringify(event)},"status":${f.status ?? null},"ok":${f.ok},"expected":${outcome.expected},"durationMs":${Math.round(f.durationMs * 100) / 100},"attempts":${outcome.attempts.length},"error":${f.error ? JSON.stringify(f.error.kind) : null}}`;
}

export interface LoadJobHooks {
  onLines?: (lines: string[]) => void;
  /** How many have been sent so far, and how many of those did not get the expected answer. */
  onProgress?: (sent: number, failed: number) => void;
  signal?: AbortSignal;
  /** The history already open in this thread (a worker opens its own from `job.history`). */
  history?: History;
}

export async function runLoadJob(job: LoadJob, hooks: LoadJobHooks = {}): Promise<LoadStats> {
  const signer: Signer = {
    scheme: getScheme(job.scheme),
    secret: job.secret,
    extraHeaders: job.extraHeaders,
    userAgent: job.userAgent,
  };
  const url = new URL(job.url);
  const fresh = job.fixedBody ? undefined : new FreshPayloads(job.event, job.payload);
  const fixed = job.fixedBody
    ? signRequest(url, Buffer.from(job.fixedBody), job.event, job.webhookId, signer)
    : undefined;
  const client = new RunClient(Math.max(1, job.concurrency));
  const ownHistory =
    !hooks.history && job.history ? (await openHistory(job.history)).history : undefined;
  const history = hooks.history ?? ownHistory;
  const expect = parseExpectStatus(job.expectStatus);
  const deliverAndRecord = recorded({ history, failedOnly: job.recordFailedOnly });
  const stats = new LoadStats();
  // The same for every delivery of the run: made once.
  const options = {
    client,
    policy: job.policy,
    timeoutMs: job.timeoutMs,
    expect,
    signal: hooks.signal,
    keepBodyBytes: 4096,
  };
  let lines: string[] = [];
  const flushLines = () => {
    if (lines.length) hooks.onLines?.(lines);
    lines = [];
  };
  const ticker = setInterval(() => {
    flushLines();
    hooks.onProgress?.(stats.sent, stats.sent - stats.expected);
  }, 100);
  try {
    await runLoad(
      {
        count: job.count,
        durationMs: job.durationMs,
        concurrency: job.concurrency,
        rate: job.rate,
        signal: hooks.signal,
      },
      async (k) => {
        const next = fresh?.next();
        const req = fixed ?? signRequest(url, next!, job.event, job.webhookId, signer);
        const outcome = await deliverAndRecord(req, options);
        stats.record(outcome.final, outcome.expected);
        if (job.lines)
          lines.push(deliveryLine(job.indexBase + k * job.indexStride, req.event, outcome));
      },
    );
  } finally {
    clearInterval(ticker);
    flushLines();
    hooks.onProgress?.(stats.sent, stats.sent - stats.expected);
    await history?.drain();
    await ownHistory?.close();
    await client.close();
  }
  return stats;
}
