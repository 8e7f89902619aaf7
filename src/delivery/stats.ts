/** Counters and latency percentiles for load runs. */
import type { AttemptResult } from './http.js';

export interface LoadSummary {
  type: 'summary';
  sent: number;
  answered: Record<'1xx' | '2xx' | '3xx' | '4xx' | '5xx', number>;
  errors: Record<string, number>;
  /** The first message of each error kind (what "error 20" was). */
  errorExamples: Record<string, string>;
  expected: number;
  unexpected: number;
  elapsedMs: number;
  perSecond: number;
  latencyMs: { p50: number; p90: number; p99: number; max: number; mean: number };
}

export class LoadStats {
  private latencies: number[] = [];
  private readonly answered: LoadSummary['answered'] = {
    '1xx': 0,
    '2xx': 0,
    '3xx': 0,
    '4xx': 0,
    '5xx': 0,
  };
  private readonly errors: Record<string, number> = {};
  private readonly errorExamples: Record<string, string> = {};
  sent = 0;
  expected = 0;
  private readonly started = performance.now();

  record(result: AttemptResult, asExpected: boolean): void {
    this.sent++;
    if (asExpected) this.expected++;
    this.latencies.push(result.durationMs);
    if (result.status !== undefined) {
      const cls = `${Math.floor(result.status / 100)}xx` as keyof LoadSummary['answered'];
      if (cls in this.answered) this.answered[cls]++;
    } else {
      const kind = result.error?.kind ?? 'error';
      this.errors[kind] = (this.errors[kind] ?? 0) + 1;
      this.errorExamples[kind] ??= result.error?.message ?? kind;
    }
  }

  /** What a worker thread hands back, to be absorbed by the main thread's statistics. */
  parts(): {
    latencies: number[];
    answered: LoadSummary['answered'];
    errors: Record<string, number>;
    errorExamples: Record<string, string>;
    sent: number;
    expected: number;
  } {
    return {
      latencies: this.latencies,
      answered: this.answered,
      errors: this.errors,
      errorExamples: this.errorExamples,
      sent: this.sent,
      expected: this.expected,
    };
  }

  absorb(part: ReturnType<LoadStats['parts']>): void {
    for (const l of part.latencies) this.latencies.push(l);
    for (const [k, n] of Object.entries(part.answered))
      this.answered[k as keyof LoadSummary['answered']] += n;
    for (const [k, n] of Object.entries(part.errors)) this.errors[k] = (this.errors[k] ?? 0) + n;
    for (const [k, m] of Object.entries(part.errorExamples)) this.errorExamples[k] ??= m;
    this.sent += part.sent;
    this.expected += part.expected;
  }

  summary(): LoadSummary {
    const elapsedMs = performance.now() - this.started;
    const sorted = Float64Array.from(this.latencies).sort();
    const at = (q: number) =>
      sorted.length ? sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)]! : 0;
    const round = (n: number) => Math.round(n * 100) / 100;
    const mean = sorted.length ? sorted.reduce((a, b) => a + b, 0) / sorted.length : 0;
    return {
      type: 'summary',
      sent: this.sent,
      answered: { ...this.answered },
      errors: { ...this.errors },
      errorExamples: { ...this.errorExamples },
      expected: this.expected,
      unexpected: this.sent - this.expected,
      elapsedMs: Math.round(elapsedMs),
      perSecond: round(this.sent / (elapsedMs / 1000)),
      latencyMs: {
        p50: round(at(0.5)),
        p90: round(at(0.9)),
        p99: round(at(0.99)),
        max: round(at(1)),
        mean: round(mean),
      },
    };
  }
}
