/**
 * The one reading of a delivery filter's words, for the CLI's flags and the inspector's query
 * string alike: the same input is refused with the same message by both (usage, 400).
 */
import { usageError } from '../errors.js';
import { durationMs } from '../util/duration.js';
import type { DeliveryFilter } from './history.js';

/** What a person types to filter deliveries; each word is optional. */
export interface FilterWords {
  /** An event name, already resolved by the caller (the catalogue is not the history's). */
  event?: string;
  webhookId?: string;
  direction?: string;
  /** `true`/`false`: what was received verified or not, or what was sent was delivered or not. */
  valid?: boolean;
  /** A code (404) or a class (5xx). */
  status?: string;
  /** Durations back from now: 10m, 2h, 7d. */
  since?: string;
  until?: string;
  replayOf?: string;
  /** A `bluehook check` run's id (run-…). */
  checkRun?: string;
  search?: string;
  /** `any` or `warning`: received deliveries that differ from their event's schema. */
  drift?: string;
}

/** A status code (404) or class (5xx) as a filter; anything else is refused. */
export function statusFilter(text: string): Pick<DeliveryFilter, 'status' | 'statusClass'> {
  const s = text.trim().toLowerCase();
  if (/^[1-5]xx$/.test(s)) return { statusClass: Number(s[0]) };
  if (/^[1-5]\d\d$/.test(s)) return { status: Number(s) };
  throw usageError(
    `status must be a code such as 404 or a class such as 5xx, got "${text}"`,
    undefined,
    'bad-status-filter',
  );
}

/** A duration back from now, as the time it names. */
export function timeAgo(text: string, name: 'since' | 'until', now = Date.now()): number {
  const ms = durationMs(text);
  if (ms === undefined)
    throw usageError(
      `${name} must be a duration such as 500ms, 30s, 2m, 1h or 7d, got "${text}"`,
      undefined,
      'bad-duration',
    );
  return now - ms;
}

export function parseFilter(words: FilterWords, now = Date.now()): DeliveryFilter {
  const f: DeliveryFilter = {};
  if (words.event) f.event = words.event;
  if (words.webhookId) f.webhookId = words.webhookId;
  if (words.direction !== undefined) {
    if (words.direction !== 'in' && words.direction !== 'out')
      throw usageError(
        `direction must be in or out, got "${words.direction}"`,
        undefined,
        'bad-direction',
      );
    f.direction = words.direction;
  }
  if (words.valid !== undefined) f.valid = words.valid;
  if (words.status?.trim()) Object.assign(f, statusFilter(words.status));
  if (words.since) f.since = timeAgo(words.since, 'since', now);
  if (words.until) f.until = timeAgo(words.until, 'until', now);
  if (words.replayOf) f.replayOf = words.replayOf;
  if (words.checkRun !== undefined) {
    // What check prints (run-…): letters, digits and dashes only, so it can sit in a pattern.
    if (!/^[\w-]{1,100}$/.test(words.checkRun))
      throw usageError(
        `a check run is an id such as run-mxbd9k2f3a1b2c, got "${words.checkRun}"`,
        undefined,
        'bad-check-run-filter',
      );
    f.checkRun = words.checkRun;
  }
  if (words.search?.trim()) f.search = words.search.trim();
  if (words.drift !== undefined) {
    if (words.drift !== 'any' && words.drift !== 'warning')
      throw usageError(
        `drift must be any or warning, got "${words.drift}"`,
        undefined,
        'bad-drift',
      );
    if (f.direction === 'out')
      throw usageError(
        'drift is about received deliveries, not sent ones',
        undefined,
        'drift-not-sent',
      );
    f.drift = words.drift;
  }
  return f;
}
