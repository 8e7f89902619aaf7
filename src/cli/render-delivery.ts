/** How sends, attempts and load summaries look on a terminal. */
import type { ChalkInstance } from 'chalk';
import type { DeliveryOutcome } from '../delivery/deliver.js';
import type { AttemptReport } from '../delivery/retry.js';
import type { LoadSummary } from '../delivery/stats.js';
import { STATUS_CODES } from 'node:http';
import { blockSafe, lineSafe } from '../util/terminal-text.js';

export const ms = (n: number) => (n >= 1000 ? `${(n / 1000).toFixed(2)} s` : `${n.toFixed(1)} ms`);

export function statusText(status: number | undefined, c: ChalkInstance): string {
  if (status === undefined) return c.red('no answer');
  const text = `${status} ${STATUS_CODES[status] ?? ''}`.trim();
  return status < 300 ? c.green(text) : status < 400 ? c.yellow(text) : c.red(text);
}

export function attemptLine(a: AttemptReport, c: ChalkInstance): string {
  const what = a.error ? c.red(`${a.error.kind}: ${a.error.message}`) : statusText(a.status, c);
  const next = a.retryInMs !== undefined ? c.dim(`  (retrying in ${ms(a.retryInMs)})`) : '';
  return `  attempt ${a.attempt}: ${what}  ${ms(a.durationMs)}${next}`;
}

export function responseText(outcome: DeliveryOutcome, c: ChalkInstance, full: boolean): string {
  const f = outcome.final;
  if (f.status === undefined)
    return `${c.red('✘')} could not reach ${outcome.record.url}: ${f.error?.message}`;
  const lines = [`← ${statusText(f.status, c)} in ${ms(f.durationMs)}`];
  // The receiver's answer is network text: shown with control characters escaped.
  for (const [k, v] of Object.entries(f.headers ?? {}))
    lines.push(c.dim(`  ${lineSafe(k)}: ${lineSafe(String(v))}`));
  const body = blockSafe(f.body?.toString('utf8') ?? '');
  if (body) {
    const limit = 500;
    const shown =
      full || body.length <= limit
        ? body
        : `${body.slice(0, limit)}${c.dim(`… (${f.bodyBytes} bytes; --full for all)`)}`;
    lines.push('', shown);
  }
  return lines.join('\n');
}

export function summaryText(s: LoadSummary, c: ChalkInstance): string {
  const classes =
    Object.entries(s.answered)
      .filter(([, n]) => n > 0)
      .map(([k, n]) => `${k} ${n}`)
      .join(', ') || 'none';
  const errors =
    Object.entries(s.errors)
      .map(([k, n]) => {
        // The first message of the kind, unless the kind says it all ("timeout 3").
        const example = s.errorExamples?.[k];
        return example && example !== k && !/^(timed out|connection refused)$/.test(example)
          ? `${k} ${n} (${lineSafe(example)})`
          : `${k} ${n}`;
      })
      .join(', ') || 'none';
  const l = s.latencyMs;
  return [
    c.bold('summary'),
    `  sent        ${s.sent} in ${ms(s.elapsedMs)} (${s.perSecond.toFixed(0)}/s)`,
    `  answered    ${classes}`,
    `  errors      ${errors}`,
    `  expected    ${s.expected === s.sent ? c.green(String(s.expected)) : c.red(`${s.expected} of ${s.sent}`)}`,
    `  latency     p50 ${ms(l.p50)}  p90 ${ms(l.p90)}  p99 ${ms(l.p99)}  max ${ms(l.max)}`,
  ].join('\n');
}
