/**
 * Blue's delivery semantics: up to 5 attempts (retrying timeouts, connection errors and non-2xx),
 * exponential backoff with jitter, Retry-After respected. The schedule itself is not documented
 * by Blue: ours is base * 2^(n-1), +-20% jitter, capped.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import type { AttemptResult } from './http.js';

export interface RetryPolicy {
  /** Attempts in all (Blue: 5). */
  attempts: number;
  /** First backoff in ms; doubles each time. */
  backoffMs: number;
  maxBackoffMs: number;
  /** Fraction of random spread around each backoff (0.2 = +-20%). */
  jitter: number;
  /** Longest Retry-After honoured, in ms. */
  maxRetryAfterMs: number;
}

export const BLUE_RETRY_POLICY: RetryPolicy = {
  attempts: 5,
  backoffMs: 1000,
  maxBackoffMs: 60_000,
  jitter: 0.2,
  maxRetryAfterMs: 300_000,
};

/**
 * How many deliveries the worker has in flight to one receiver: the emulator's keep-alive pool per
 * origin (Blue does not document its own). The check suite's burst uses the same number.
 */
export const BLUE_WORKER_CONNECTIONS = 8;

/** Retry-After in ms from delta-seconds or an HTTP date; undefined when absent or unreadable. */
export function retryAfterMs(value: string | undefined, now = Date.now()): number | undefined {
  if (!value) return undefined;
  if (/^\d+$/.test(value.trim())) return Number(value.trim()) * 1000;
  const at = Date.parse(value);
  return Number.isNaN(at) ? undefined : Math.max(0, at - now);
}

export function backoffFor(attempt: number, policy: RetryPolicy, random = Math.random): number {
  const base = Math.min(policy.backoffMs * 2 ** (attempt - 1), policy.maxBackoffMs);
  return Math.round(base * (1 + policy.jitter * (random() * 2 - 1)));
}

export interface AttemptReport extends AttemptResult {
  attempt: number;
  /** The wait before the next attempt, when there is one. */
  retryInMs?: number;
}

export interface RetryHooks {
  /** Stop retrying when this holds (by default: a 2xx). */
  done?: (result: AttemptResult) => boolean;
  onAttempt?: (report: AttemptReport) => void;
  signal?: AbortSignal;
}

export function withRetries(
  attempt: () => Promise<AttemptResult>,
  policy: RetryPolicy,
  hooks: RetryHooks = {},
): Promise<AttemptReport[]> {
  const done = hooks.done ?? ((r) => r.ok);
  const reports: AttemptReport[] = [];
  // Promise steps rather than an async loop: most deliveries are one attempt, and at load the
  // loop's suspension per delivery showed in the profile.
  const step = (n: number): Promise<AttemptReport[]> =>
    attempt().then((result) => {
      // The client's result becomes the report (no copy: one object fewer a delivery).
      const report = Object.assign(result, { attempt: n }) as AttemptReport;
      reports.push(report);
      const last = n >= policy.attempts || done(result) || hooks.signal?.aborted;
      if (!last) {
        const hinted = retryAfterMs(result.headers?.['retry-after']);
        report.retryInMs =
          hinted !== undefined ? Math.min(hinted, policy.maxRetryAfterMs) : backoffFor(n, policy);
      }
      hooks.onAttempt?.(report);
      if (last) return reports;
      return sleep(report.retryInMs!, undefined, { signal: hooks.signal })
        .catch(() => undefined)
        .then(() => (hooks.signal?.aborted ? reports : step(n + 1)));
    });
  return step(1);
}

/** Blue's policy with a different number of retries (after the first attempt) and first backoff. */
export function retryPolicy(retries: number, backoffMs = BLUE_RETRY_POLICY.backoffMs): RetryPolicy {
  return { ...BLUE_RETRY_POLICY, attempts: retries + 1, backoffMs };
}
