/**
 * The receiver conformance suite: each check says what it sends (built here, signed as Blue signs)
 * and how the answers are judged (pure functions of the answers, tested without a network).
 * What a check proves, and how to fix a failure, is written beside it: the table, --json, the
 * JUnit file and docs/check.md all say the same words.
 */
import { EVENTS, HEALTH_CHECK } from '../blue/catalogue.js';
import { buildPayload, serializeBody, type PayloadOptions } from '../blue/payload.js';
import { BLUE_WORKER_CONNECTIONS } from '../delivery/retry.js';
import { usageError } from '../errors.js';
import { diagnose } from '../signing/diagnose.js';
import { blueScheme } from '../signing/schemes.js';
import type { FailureKind } from '../util/network-errors.js';
import { closest } from '../util/suggest.js';
import type { CheckRequest } from './transport.js';

export type CheckStatus = 'pass' | 'fail' | 'warn' | 'skipped';

/** What came back for one request. */
export interface Answer {
  label: string;
  /** False when the request was not sent: the run had stopped sending (see run.ts). */
  sent: boolean;
  status?: number;
  durationMs?: number;
  error?: { kind: FailureKind; message: string };
  /** The history record of the request, when it was recorded. */
  recordId?: string;
  /** Set once the check is judged: false for the answers that made it fail or warn. */
  asExpected?: boolean;
}

export interface Verdict {
  status: CheckStatus;
  /** What came back, in a few words. */
  got: string;
  /** For a failure or a warning: what it means. */
  meaning?: string;
  /** For a failure or a warning: how to fix it. */
  fix?: string;
  /** The diagnosis cause this result points at (signing/diagnose.ts), when there is one. */
  cause?: string;
  /** Per answer, in order: whether it is one of those that made the check fail or warn. */
  flagged?: boolean[];
}

export interface SuiteContext {
  secret: string;
  /** The per-request deadline, in ms. */
  timeoutMs: number;
  /** The events the genuine-delivery check sends (the health check included). */
  events: readonly string[];
  /** Shapes every generated body (the embedded webhook row, the project). */
  payload: PayloadOptions;
  /** How many deliveries the burst sends, all at once. */
  burst: number;
  userAgent: string;
}

export interface BuiltCheck {
  /** What was sent, in a few words. */
  sent: string;
  /** What a verifying receiver would say of it (signing/diagnose.ts), for the forged and odd ones. */
  diagnosis?: string;
  /** Sequences of requests: one sequence's requests go one after another, sequences concurrently. */
  sequences: CheckRequest[][];
}

export interface CheckDefinition {
  id: string;
  title: string;
  /** Why a receiver must pass it. */
  why: string;
  /** Events the check sends; it is skipped when the webhook is not subscribed to one of them. */
  needs?: readonly string[];
  /** Sent on its own, after the others, all at once (the burst). */
  alone?: boolean;
  build(ctx: SuiteContext): BuiltCheck;
  /** `all` is every answer of the run (the timeout check looks at them all). */
  evaluate(answers: readonly Answer[], ctx: SuiteContext, all: readonly Answer[]): Verdict;
}

/** The event name the unknown-event check sends: not one Blue sends today. */
export const UNKNOWN_EVENT = 'TODO_ARCHIVED';
/** The description of the large delivery's record: 256 KiB. */
export const LARGE_TEXT_BYTES = 256 * 1024;
/**
 * The burst: the emulator's delivery worker (src/emulator/emulator.ts) posts through one keep-alive
 * pool of 8 connections per receiver, so at most 8 deliveries are in flight at once; the burst
 * keeps all 8 busy for 4 rounds. Blue does not document its worker's concurrency.
 */
export const BURST_CONNECTIONS = BLUE_WORKER_CONNECTIONS;
export const DEFAULT_BURST = 32;
/** Blue's per-attempt timeout (docs/blue-webhooks.md, section 4). */
export const BLUE_TIMEOUT_MS = 7_000;

// ---------------------------------------------------------------------------------------------
// Building requests

const sign = (body: Buffer, secret: string) => blueScheme.sign(body, secret)['x-signature']!;

function headersFor(ctx: SuiteContext, signature: string | string[] | null) {
  const headers: Record<string, string | string[]> = {
    'content-type': 'application/json',
    'user-agent': ctx.userAgent,
  };
  if (signature !== null) headers['x-signature'] = signature;
  return headers;
}

/** A genuine request: the body signed as Blue signs it. */
function genuine(ctx: SuiteContext, label: string, event: string | null, body: Buffer) {
  return {
    label,
    event,
    method: 'POST',
    body,
    headers: headersFor(ctx, sign(body, ctx.secret)),
  };
}

/** The event most checks send: TODO_CREATED, or the first the webhook is subscribed to. */
export function baseEvent(events: readonly string[]): string {
  if (events.includes('TODO_CREATED')) return 'TODO_CREATED';
  return events.find((e) => e !== HEALTH_CHECK) ?? 'TODO_CREATED';
}

type Body = ReturnType<typeof buildPayload>;
const bodyOf = (ctx: SuiteContext, event: string): Body => buildPayload(event, ctx.payload);
const bytesOf = (body: unknown) => Buffer.from(serializeBody(body));

/** The row a check writes text into: the entity (its title), or the webhook row (its name). */
function entityOf(body: Body): Record<string, unknown> {
  return (body.currentValue ?? body.previousValue ?? body.webhook) as Record<string, unknown>;
}
function withTitle(body: Body, title: string): Body {
  const row = entityOf(body);
  if (row === body.webhook) row.name = title;
  else row.title = title;
  return body;
}

/** A compact JSON text with `"@@k@@"` placeholders replaced by raw JSON text (escapes, numbers). */
function withRawJson(body: Body, values: Record<string, string>): Buffer {
  let text = serializeBody(body);
  for (const [k, raw] of Object.entries(values)) text = text.replace(`"@@${k}@@"`, () => raw);
  return Buffer.from(text);
}

/** What a receiver that verifies signatures would say of a request (the diagnosis vocabulary). */
function diagnosed(ctx: SuiteContext, request: CheckRequest): string {
  const signature = request.headers['x-signature'];
  if (signature === '') return 'an empty signature: the X-Signature header is there, with no value';
  const headers: Record<string, string> = {};
  if (signature !== undefined)
    headers['x-signature'] = Array.isArray(signature) ? signature.join(', ') : signature;
  return diagnose(request.body, ctx.secret, headers, 'blue', { maxReserialiseBytes: 65_536 })
    .message;
}

// ---------------------------------------------------------------------------------------------
// Judging answers

const is2xx = (a: Answer) => a.status !== undefined && a.status >= 200 && a.status < 300;
const is4xx = (a: Answer) => a.status !== undefined && a.status >= 400 && a.status < 500;
const is3xx = (a: Answer) => a.status !== undefined && a.status >= 300 && a.status < 400;
const is5xx = (a: Answer) => a.status !== undefined && a.status >= 500;
const timedOut = (a: Answer) => a.sent && a.status === undefined && a.error?.kind === 'timeout';
const unanswered = (a: Answer) => a.sent && a.status === undefined;

const what = (a: Answer) =>
  !a.sent
    ? 'not sent'
    : a.status !== undefined
      ? String(a.status)
      : (a.error?.message ?? 'no answer');

/** "401", "38× 200", "36× 200, 2× 500 (WEBHOOK_HEALTH_CHECK, TODO_ARCHIVED)". */
export function describeAnswers(answers: readonly Answer[], bad?: (a: Answer) => boolean): string {
  if (answers.length === 1) return what(answers[0]!);
  const groups = new Map<string, Answer[]>();
  for (const a of answers) {
    const key = what(a);
    groups.set(key, [...(groups.get(key) ?? []), a]);
  }
  return [...groups]
    .map(([key, list]) => {
      const labels = bad?.(list[0]!)
        ? ` (${list
            .slice(0, 3)
            .map((a) => a.label)
            .join(', ')}${list.length > 3 ? ', …' : ''})`
        : '';
      return `${list.length}× ${key}${labels}`;
    })
    .join(', ');
}

const ms = (n: number) => (n >= 1000 ? `${Math.round(n / 100) / 10} s` : `${Math.round(n)} ms`);

const SLOW_MEANING = (ctx: SuiteContext) =>
  `no answer within the deadline (${ms(ctx.timeoutMs)}); Blue waits ${ms(BLUE_TIMEOUT_MS)} per attempt, then counts it as failed, retries, and disables the webhook after 5 failed attempts`;
const SLOW_FIX =
  'answer 2xx as soon as the delivery is verified and stored; do the work afterwards (a queue or a background job)';
const STOPPED =
  'not sent: the endpoint had left several requests in a row unanswered, so the run stopped sending';

/** A check some of whose requests were never sent, and nothing sent failed: skipped, saying why. */
function notSent(answers: readonly Answer[]): Verdict | undefined {
  if (!answers.some((a) => !a.sent)) return undefined;
  return { status: 'skipped', got: describeAnswers(answers), meaning: STOPPED };
}

/** The verdict with the answers that made it fail or warn marked (none when it passed). */
function flag(answers: readonly Answer[], bad: (a: Answer) => boolean, verdict: Verdict): Verdict {
  return verdict.status === 'fail' || verdict.status === 'warn'
    ? { ...verdict, flagged: answers.map(bad) }
    : verdict;
}

/** Every answer must be a 2xx (genuine deliveries). */
function expectAccepted(
  answers: readonly Answer[],
  ctx: SuiteContext,
  refusal: { meaning: string; fix: string; cause?: string },
): Verdict {
  const bad = (a: Answer) => a.sent && !is2xx(a);
  return flag(answers, bad, acceptedVerdict(answers, ctx, refusal, bad));
}
function acceptedVerdict(
  answers: readonly Answer[],
  ctx: SuiteContext,
  refusal: { meaning: string; fix: string; cause?: string },
  bad: (a: Answer) => boolean,
): Verdict {
  const got = describeAnswers(answers, bad);
  if (answers.some(timedOut))
    return { status: 'fail', got, meaning: SLOW_MEANING(ctx), fix: SLOW_FIX };
  if (answers.some((a) => a.sent && !is2xx(a))) {
    if (answers.some(unanswered))
      return {
        status: 'fail',
        got,
        meaning: 'the connection failed before an answer came (Blue counts it as a failed attempt)',
        fix: 'keep the endpoint up and answer every delivery',
      };
    if (answers.some(is3xx))
      return {
        status: 'fail',
        got,
        meaning:
          'answered with a redirect: Blue does not follow redirects, so a 3xx is a failed attempt (retried, and after 5 the webhook is disabled)',
        fix: 'give Blue the final URL (https, the exact path with or without its trailing slash) so the endpoint answers 2xx directly',
      };
    return { status: 'fail', got, ...refusal };
  }
  return notSent(answers) ?? { status: 'pass', got };
}

const FORGED_MEANING =
  'accepted a forged delivery: anyone who knows the URL can make the endpoint act as if Blue had sent it';
const VERIFY_FIX =
  'verify X-Signature: the lowercase hex HMAC-SHA256 of the raw request bytes keyed with the secret, compared in constant time after a length check; answer 401 when it does not match';

/** A forged or malformed request must be refused with a 4xx; `accepted` says what a 2xx is. */
function expectRefused(
  answers: readonly Answer[],
  ctx: SuiteContext,
  accepted: { status: 'fail' | 'warn'; meaning: string; fix: string },
): Verdict {
  const bad = (a: Answer) => a.sent && !is4xx(a);
  return flag(answers, bad, refusedVerdict(answers, ctx, accepted, bad));
}
function refusedVerdict(
  answers: readonly Answer[],
  ctx: SuiteContext,
  accepted: { status: 'fail' | 'warn'; meaning: string; fix: string },
  bad: (a: Answer) => boolean,
): Verdict {
  const got = describeAnswers(answers, bad);
  if (answers.some(is2xx)) return { ...accepted, got };
  if (answers.some(is5xx))
    return {
      status: 'fail',
      got,
      meaning:
        'crashed instead of refusing: a 5xx tells Blue to retry and hides real errors; the verification threw (often timingSafeEqual on values of different lengths)',
      fix: 'check the length before comparing, and answer 401 for any signature that does not match',
    };
  if (answers.some(timedOut))
    return { status: 'fail', got, meaning: SLOW_MEANING(ctx), fix: SLOW_FIX };
  if (answers.some((a) => a.sent && !is4xx(a)))
    return {
      status: 'fail',
      got,
      meaning: 'neither accepted nor refused: a refusal is a 4xx (401 for a bad signature)',
      fix: 'answer 401 when the signature does not verify',
    };
  return notSent(answers) ?? { status: 'pass', got };
}

/** Anything but a 5xx (and an answer in time); a 2xx is `on2xx`. */
function expectNo5xx(
  answers: readonly Answer[],
  ctx: SuiteContext,
  on2xx: Omit<Verdict, 'got'> | undefined,
  on5xx: { meaning: string; fix: string },
): Verdict {
  const broke = (a: Answer) => a.sent && (is5xx(a) || unanswered(a));
  if (on2xx && !answers.some(broke) && answers.some(is2xx))
    return flag(answers, is2xx, { ...on2xx, got: describeAnswers(answers, is2xx) });
  return flag(answers, broke, no5xxVerdict(answers, ctx, on5xx, broke));
}
function no5xxVerdict(
  answers: readonly Answer[],
  ctx: SuiteContext,
  on5xx: { meaning: string; fix: string },
  broke: (a: Answer) => boolean,
): Verdict {
  const got = describeAnswers(answers, broke);
  if (answers.some(is5xx)) return { status: 'fail', got, ...on5xx };
  if (answers.some(timedOut))
    return { status: 'fail', got, meaning: SLOW_MEANING(ctx), fix: SLOW_FIX };
  if (answers.some(unanswered))
    return {
      status: 'fail',
      got,
      meaning: 'the connection failed before an answer came: the endpoint crashed or closed it',
      fix: 'answer every request, with a 4xx when it is not a delivery you accept',
    };
  return notSent(answers) ?? { status: 'pass', got };
}

// ---------------------------------------------------------------------------------------------
// The suite

/** A forged request: it must be refused with a 4xx; a 2xx fails the check. */
const forgery = (
  id: string,
  title: string,
  why: string,
  make: (ctx: SuiteContext, body: Buffer) => CheckRequest,
): CheckDefinition => ({
  id,
  title,
  why,
  build(ctx) {
    const event = baseEvent(ctx.events);
    const request = make(ctx, bytesOf(bodyOf(ctx, event)));
    return {
      sent: `${event}, ${request.label}`,
      diagnosis: diagnosed(ctx, request),
      sequences: [[{ ...request, event }]],
    };
  },
  evaluate: (answers, ctx) =>
    expectRefused(answers, ctx, { status: 'fail', meaning: FORGED_MEANING, fix: VERIFY_FIX }),
});

/** A valid signature in a form Blue never sends: accepting it is lenient, not a hole. */
const lenientForm = (
  id: string,
  title: string,
  why: string,
  label: string,
  signature: (hex: string) => string | string[],
): CheckDefinition => ({
  id,
  title,
  why,
  build(ctx) {
    const event = baseEvent(ctx.events);
    const body = bytesOf(bodyOf(ctx, event));
    const request: CheckRequest = {
      label,
      event,
      method: 'POST',
      body,
      headers: headersFor(ctx, signature(sign(body, ctx.secret))),
    };
    return {
      sent: `${event}, ${label}`,
      diagnosis: diagnosed(ctx, request),
      sequences: [[request]],
    };
  },
  evaluate: (answers, ctx) =>
    expectRefused(answers, ctx, {
      status: 'warn',
      meaning:
        'accepted a signature in a form Blue never sends: the comparison normalises what it is given, so it accepts more than one string per body',
      fix: 'compare the header exactly as received with the lowercase hex digest (64 characters, no prefix), in constant time',
    }),
});

/** A genuine body with two numbers in forms re-serialisers rewrite, on the entity row. */
function numbers(ctx: SuiteContext, event: string): CheckRequest {
  const body = withTitle(bodyOf(ctx, event), 'Numbers');
  const row = entityOf(body);
  row.estimate = '@@a@@';
  row.budget = '@@b@@';
  return genuine(ctx, '1.0 and 1e3', event, withRawJson(body, { a: '1.0', b: '1e3' }));
}

const reserialisationVariants = (ctx: SuiteContext): CheckRequest[] => {
  const event = baseEvent(ctx.events);
  const variant = (label: string, title: string, raw: Record<string, string> = {}) => {
    const body = withRawJson(withTitle(bodyOf(ctx, event), title), raw);
    return genuine(ctx, label, event, body);
  };
  return [
    // Python's json.dumps (ensure_ascii) and PHP's json_encode write these as \u escapes.
    variant('non-ASCII text', 'Café crème · 東京の会議 · 🚀 naïve'),
    // The same text with the escapes another serialiser writes: JSON.parse + JSON.stringify undoes them.
    variant('\\u escapes', '@@t@@', {
      t: '"Caf\\u00e9 cr\\u00e8me \\u00b7 \\u6771\\u4eac \\ud83d\\ude80"',
    }),
    // PHP escapes "/" as "\/"; Go escapes <, >, & and U+2028/U+2029; JavaScript keeps them raw.
    variant('"/", "\\/", U+2028, <>&', '@@t@@', {
      t: '"https://example.com/a\\/b \u2028 \u2029 <b>&amp;</b>"',
    }),
    // Numbers re-serialisers rewrite: 1.0 becomes 1, 1e3 becomes 1000.
    numbers(ctx, event),
  ];
};

/** The bodies of the order check: the same record deleted, then renamed. */
function outOfOrder(ctx: SuiteContext): CheckRequest[] {
  const deleted = bodyOf(ctx, 'TODO_DELETED');
  const renamed = bodyOf(ctx, 'TODO_NAME_CHANGED');
  const id = (deleted.previousValue as Record<string, unknown>).id;
  (renamed.previousValue as Record<string, unknown>).id = id;
  (renamed.currentValue as Record<string, unknown>).id = id;
  return [
    genuine(ctx, 'TODO_DELETED', 'TODO_DELETED', bytesOf(deleted)),
    genuine(
      ctx,
      'TODO_NAME_CHANGED (same record, after its deletion)',
      'TODO_NAME_CHANGED',
      bytesOf(renamed),
    ),
  ];
}

const LOREM =
  'Quarterly planning notes: agenda, owners, risks and the follow-ups agreed in the meeting. ';

export const CHECKS: readonly CheckDefinition[] = [
  {
    id: 'genuine',
    title: 'Accepts genuine deliveries',
    why: 'one delivery of every event (the health check included), signed as Blue signs them: each must get a 2xx in time, or Blue retries it and, after 5 failures, disables the webhook',
    build(ctx) {
      const requests = ctx.events.map((e) => genuine(ctx, e, e, bytesOf(bodyOf(ctx, e))));
      return {
        sent: `${requests.length} events signed as Blue signs them${ctx.events.includes(HEALTH_CHECK) ? ` (${HEALTH_CHECK} included)` : ''}`,
        sequences: requests.map((r) => [r]),
      };
    },
    evaluate: (answers, ctx) =>
      expectAccepted(answers, ctx, {
        meaning:
          'refused genuine deliveries: Blue retries each, and after 5 failed attempts disables the webhook',
        fix: 'answer 2xx to every delivery whose signature verifies, including events the endpoint does not handle and the WEBHOOK_HEALTH_CHECK Blue sends when the webhook is enabled',
      }),
  },
  {
    id: 'reserialisation',
    title: 'Accepts bodies that break re-serialisation',
    why: 'genuine deliveries whose bytes change when parsed and serialised again (non-ASCII text, escapes, "/", U+2028, 1.0, 1e3): an endpoint that verifies a re-serialised body works until such a delivery comes, then rejects it',
    build(ctx) {
      const requests = reserialisationVariants(ctx);
      return {
        sent: `${requests.length} genuine deliveries: ${requests.map((r) => r.label).join('; ')}`,
        sequences: requests.map((r) => [r]),
      };
    },
    evaluate: (answers, ctx) =>
      expectAccepted(answers, ctx, {
        meaning:
          'refused genuine deliveries whose bytes a re-serialiser changes: the endpoint verifies a re-serialised body (express.json() then JSON.stringify, Python json.dumps), not the bytes Blue signed (diagnosis: body-reserialised)',
        fix: 'verify the raw request bytes, never a re-serialised object (express.raw({ type: "application/json" }), request.get_data() in Flask); parse only after verifying',
        cause: 'body-reserialised',
      }),
  },
  forgery(
    'forgery-wrong-secret',
    'Refuses a delivery signed with another secret',
    'a signature made with a secret that is not the webhook’s proves nothing',
    (ctx, body) =>
      genuine({ ...ctx, secret: `${ctx.secret}-not-it` }, 'signed with another secret', null, body),
  ),
  forgery(
    'forgery-no-signature',
    'Refuses a delivery without X-Signature',
    'an endpoint that skips verification when the header is missing verifies nothing',
    (ctx, body) => ({
      label: 'no X-Signature',
      event: null,
      method: 'POST',
      body,
      headers: headersFor(ctx, null),
    }),
  ),
  forgery(
    'forgery-empty-signature',
    'Refuses an empty X-Signature',
    'an empty value must not compare equal to anything (a prefix or a zero-length comparison would)',
    (ctx, body) => ({
      label: 'empty X-Signature',
      event: null,
      method: 'POST',
      body,
      headers: headersFor(ctx, ''),
    }),
  ),
  forgery(
    'forgery-other-body',
    'Refuses a valid signature of another body',
    'a signature Blue made for one delivery must not carry another: the HMAC has to be computed over this request’s bytes',
    (ctx, body) => {
      // The same delivery under another event name: another body, whatever the event was.
      const parsed = JSON.parse(body.toString()) as { event: string };
      const otherEvent = parsed.event === 'TODO_DELETED' ? 'TODO_CREATED' : 'TODO_DELETED';
      const other = Buffer.from(serializeBody({ ...parsed, event: otherEvent }));
      return {
        label: 'signature of another body',
        event: null,
        method: 'POST',
        body,
        headers: headersFor(ctx, sign(other, ctx.secret)),
      };
    },
  ),
  forgery(
    'forgery-body-changed',
    'Refuses a body changed by one byte after signing',
    'the signature covers every byte: a body altered in transit must be refused',
    (ctx, body) => {
      const signature = sign(body, ctx.secret);
      const changed = Buffer.from(body);
      // One byte of a string value (the record's id or title), so the body is still valid JSON.
      const at = changed.indexOf('"id":"') + 7;
      changed[at] = changed[at] === 0x61 ? 0x62 : 0x61;
      return {
        label: 'one byte changed',
        event: null,
        method: 'POST',
        body: changed,
        headers: headersFor(ctx, signature),
      };
    },
  ),
  forgery(
    'forgery-truncated-signature',
    'Refuses a truncated signature',
    'a comparison that stops at the shorter value (startsWith, a loop over the given length) accepts any prefix of the real signature',
    (ctx, body) => ({
      label: 'first 32 of 64 hex digits',
      event: null,
      method: 'POST',
      body,
      headers: headersFor(ctx, sign(body, ctx.secret).slice(0, 32)),
    }),
  ),
  forgery(
    'forgery-long-signature',
    'Refuses an 8 KiB X-Signature without crashing',
    'a comparison that only checks the start (startsWith, includes) accepts the real signature followed by anything; a constant-time compare without a length check throws on it',
    (ctx, body) => ({
      label: '8 KiB X-Signature',
      event: null,
      method: 'POST',
      body,
      headers: headersFor(ctx, sign(body, ctx.secret).repeat(128)),
    }),
  ),
  lenientForm(
    'signature-sha256-prefix',
    'Refuses a "sha256=" prefixed signature (warning)',
    'Blue sends bare hex; an endpoint that strips a prefix accepts a form Blue never sends',
    'valid signature with a "sha256=" prefix',
    (hex) => `sha256=${hex}`,
  ),
  lenientForm(
    'signature-upper-case',
    'Refuses an upper-case signature (warning)',
    'Blue sends lowercase hex; lower-casing what was received before comparing accepts forms Blue never sends',
    'valid signature in upper-case hex',
    (hex) => hex.toUpperCase(),
  ),
  lenientForm(
    'signature-duplicated-header',
    'Refuses X-Signature sent twice (warning)',
    'one request, two signatures (a wrong one, then the right one): an endpoint that tries each, or takes the last, lets the request choose what is verified',
    'X-Signature twice: a wrong one, then the valid one',
    (hex) => ['0'.repeat(64), hex],
  ),
  {
    id: 'duplicates',
    title: 'Accepts a delivery twice (as Blue retries it)',
    why: 'Blue retries a delivery with the same bytes and signature; Blue’s signature has no timestamp, so only the receiver can tell a retry, or a replay, from a new delivery',
    build(ctx) {
      const event = baseEvent(ctx.events);
      const first = genuine(ctx, `${event} (copy 1 of 2)`, event, bytesOf(bodyOf(ctx, event)));
      return {
        sent: 'the same delivery twice, same bytes and signature, one after the other',
        sequences: [[first, { ...first, label: `${event} (copy 2 of 2)` }]],
      };
    },
    evaluate(answers, ctx) {
      const verdict = expectAccepted(answers, ctx, {
        meaning:
          'refused a copy of a delivery it had accepted: Blue sends the same bytes again when an attempt fails (a timeout after the work was done), and keeps retrying a refusal',
        fix: 'answer 2xx to a copy and skip the work: remember what was processed (a hash of the raw body) and make handlers idempotent',
      });
      if (verdict.status !== 'pass') return verdict;
      return {
        status: 'warn',
        got: verdict.got,
        meaning:
          'both copies were accepted, as they should be; but Blue’s signature has no timestamp, so a captured delivery replayed by anyone later still verifies, and nothing but the receiver’s memory stops it',
        fix: 'remember the SHA-256 of each processed raw body (with the record id and event) and skip a body seen before; keep them as long as a replay would do harm',
      };
    },
  },
  {
    id: 'order',
    title: 'Survives events out of order',
    why: 'deliveries are retried independently, so a record’s TODO_NAME_CHANGED can arrive after its TODO_DELETED: a 5xx makes Blue retry it, and after 5 failures disables the webhook',
    needs: ['TODO_DELETED', 'TODO_NAME_CHANGED'],
    build: (ctx) => ({
      sent: 'TODO_DELETED, then TODO_NAME_CHANGED for the same record id',
      sequences: [outOfOrder(ctx)],
    }),
    evaluate(answers, ctx) {
      const verdict = expectNo5xx(answers, ctx, undefined, {
        meaning:
          'crashed on an update of a record it had deleted: Blue retries it five times, then disables the webhook',
        fix: 'treat an update of an unknown record as a no-op (or an upsert) and answer 2xx',
      });
      const refused = (a: Answer) => a.sent && !is2xx(a);
      if (verdict.status !== 'pass' || !answers.some(refused)) return verdict;
      return flag(answers, refused, {
        status: 'warn',
        got: describeAnswers(answers, refused),
        meaning:
          'refused an event for a record it no longer has: Blue counts a 4xx as a failure and retries it',
        fix: 'answer 2xx to an update of a record that is gone, and ignore it',
      });
    },
  },
  {
    id: 'large-body',
    title: 'Accepts a large delivery (256 KiB description)',
    why: 'a record’s description can be long: a body-size limit below it (express.json’s default is 100 KB) refuses genuine deliveries',
    build(ctx) {
      const event = baseEvent(ctx.events);
      const body = bodyOf(ctx, event);
      const text = LOREM.repeat(Math.ceil(LARGE_TEXT_BYTES / LOREM.length)).slice(
        0,
        LARGE_TEXT_BYTES,
      );
      entityOf(body).text = text;
      const bytes = bytesOf(body);
      return {
        sent: `${event} with a ${Math.round(text.length / 1024)} KiB description (${Math.round(bytes.length / 1024)} KiB body)`,
        sequences: [[genuine(ctx, `${event} (large)`, event, bytes)]],
      };
    },
    evaluate: (answers, ctx) =>
      expectAccepted(answers, ctx, {
        meaning: 'refused a genuine delivery for its size (413 is a body-size limit)',
        fix: 'raise the body-size limit for the webhook route to a few MiB (express.raw({ type: "application/json", limit: "5mb" }))',
      }),
  },
  {
    id: 'burst',
    title: 'Keeps up with a burst',
    why: 'a bulk edit in Blue fans out many deliveries at once; each must still be answered 2xx in time',
    alone: true,
    build(ctx) {
      const event = baseEvent(ctx.events);
      const requests = Array.from({ length: ctx.burst }, (_, i) =>
        genuine(ctx, `${event} #${i + 1}`, event, bytesOf(bodyOf(ctx, event))),
      );
      return {
        sent: `${ctx.burst} genuine deliveries, ${BURST_CONNECTIONS} in flight at once (as the emulator's worker)`,
        sequences: requests.map((r) => [r]),
      };
    },
    evaluate: (answers, ctx) =>
      expectAccepted(answers, ctx, {
        meaning:
          'failed deliveries under concurrent load (a 5xx, 429 or 503 is a failed attempt to Blue)',
        fix: 'answer 2xx once a delivery is stored and do the work afterwards; size connection pools and locks for concurrent deliveries',
      }),
  },
  {
    id: 'non-json-body',
    title: 'Refuses a signed body that is not JSON, without crashing',
    why: 'a valid signature over bytes that do not parse (a bug upstream, a proxy) must get a 4xx, not a crash',
    build(ctx) {
      const body = Buffer.from('event=TODO_CREATED&this is not JSON');
      return {
        sent: 'a body that is not JSON, with a valid signature',
        sequences: [[genuine(ctx, 'not JSON', null, body)]],
      };
    },
    evaluate: (answers, ctx) =>
      expectNo5xx(
        answers,
        ctx,
        {
          status: 'warn',
          meaning: 'accepted a body that is not JSON: whatever runs next gets garbage',
          fix: 'parse after verifying and answer 400 when the body is not a JSON object',
        },
        {
          meaning: 'crashed on a body that is not JSON',
          fix: 'parse after verifying, in a try/catch, and answer 400 when it fails',
        },
      ),
  },
  {
    id: 'empty-body',
    title: 'Refuses a signed empty body, without crashing',
    why: 'an empty body with its valid signature must get a 4xx, not a crash',
    build: (ctx) => ({
      sent: 'an empty body with a valid signature',
      sequences: [[genuine(ctx, 'empty body', null, Buffer.alloc(0))]],
    }),
    evaluate: (answers, ctx) =>
      expectNo5xx(
        answers,
        ctx,
        {
          status: 'warn',
          meaning: 'accepted an empty body',
          fix: 'answer 400 when the body is not a JSON object',
        },
        {
          meaning: 'crashed on an empty body',
          fix: 'handle an empty body (parse in a try/catch) and answer 400',
        },
      ),
  },
  {
    id: 'method-not-post',
    title: 'Refuses a method other than POST (warning)',
    why: 'Blue only POSTs; an endpoint that acts on a PUT with a replayed body and signature does more than Blue asks',
    build(ctx) {
      const event = baseEvent(ctx.events);
      const request = {
        ...genuine(ctx, `PUT ${event}`, event, bytesOf(bodyOf(ctx, event))),
        method: 'PUT',
      };
      return { sent: `PUT with a genuine body and its valid signature`, sequences: [[request]] };
    },
    evaluate: (answers, ctx) =>
      expectNo5xx(
        answers,
        ctx,
        {
          status: 'warn',
          meaning: 'acted on a PUT: Blue never sends one',
          fix: 'accept POST only on the webhook route (405 for anything else)',
        },
        {
          meaning: 'crashed on a PUT',
          fix: 'accept POST only on the webhook route (405 for anything else)',
        },
      ),
  },
  {
    id: 'unknown-event',
    title: 'Accepts an event it does not know',
    why: `Blue adds events; receivers are told to tolerate names they do not know. A refusal is retried and, after 5 failures, disables the webhook (sends ${UNKNOWN_EVENT}, which Blue does not send today)`,
    build(ctx) {
      const body = bodyOf(ctx, 'TODO_CREATED');
      body.event = UNKNOWN_EVENT;
      return {
        sent: `a genuine delivery of ${UNKNOWN_EVENT}, an event Blue does not send today`,
        sequences: [[genuine(ctx, UNKNOWN_EVENT, UNKNOWN_EVENT, bytesOf(body))]],
      };
    },
    evaluate: (answers, ctx) =>
      expectAccepted(answers, ctx, {
        meaning:
          'refused a verified delivery of an event it does not know: when Blue adds an event the webhook is subscribed to (an empty list means all), every delivery of it fails and Blue disables the webhook',
        fix: 'answer 2xx to any verified delivery, and ignore events the endpoint does not handle',
      }),
  },
  {
    id: 'timeout',
    title: `Answers within the deadline (Blue: 7 s)`,
    why: 'Blue waits 7 s for an answer, then counts the attempt as failed, retries, and after 5 failures disables the webhook',
    build(ctx) {
      const event = baseEvent(ctx.events);
      return {
        sent: `${event}, and every other request of the run, each with its deadline`,
        sequences: [[genuine(ctx, event, event, bytesOf(bodyOf(ctx, event)))]],
      };
    },
    evaluate(answers, ctx, all) {
      const late = all.filter(timedOut);
      const sent = all.filter((a) => a.sent);
      const slowest = Math.max(
        0,
        ...sent.filter((a) => a.status !== undefined).map((a) => a.durationMs ?? 0),
      );
      if (late.length)
        return {
          flagged: answers.map(timedOut),
          status: 'fail',
          got: `${late.length} of ${sent.length} requests unanswered after ${ms(ctx.timeoutMs)}`,
          meaning: SLOW_MEANING(ctx),
          fix: SLOW_FIX,
        };
      if (!answers.some((a) => a.sent))
        return { status: 'skipped', got: 'not sent', meaning: STOPPED };
      return { status: 'pass', got: `slowest answer ${ms(slowest)}` };
    },
  },
];

export const CHECK_IDS: readonly string[] = CHECKS.map((c) => c.id);

/**
 * The checks a run includes: `only` (empty: all) minus `skip`. Names may end in `*` (forgery-*).
 * Unknown names are a usage error with suggestions.
 */
export function selectChecks(only: readonly string[], skip: readonly string[]): Set<string> {
  const expand = (names: readonly string[]) => {
    const out = new Set<string>();
    for (const raw of names.flatMap((n) => n.split(',')).map((n) => n.trim().toLowerCase())) {
      if (!raw) continue;
      const matches = raw.endsWith('*')
        ? CHECK_IDS.filter((id) => id.startsWith(raw.slice(0, -1)))
        : CHECK_IDS.filter((id) => id === raw);
      if (!matches.length) {
        const near = closest(raw.replace(/\*$/, ''), CHECK_IDS);
        throw usageError(
          `unknown check "${raw}"${near.length ? `; did you mean ${near.join(', ')}?` : ''}`,
          `the checks: ${CHECK_IDS.join(', ')}`,
          'check-unknown',
        );
      }
      for (const m of matches) out.add(m);
    }
    return out;
  };
  const included = only.length ? expand(only) : new Set(CHECK_IDS);
  for (const id of expand(skip)) included.delete(id);
  return included;
}

/** The events the genuine check sends: the subscribed ones (empty: all), and always the health check. */
export function genuineEvents(subscribed: readonly string[]): string[] {
  const all = EVENTS.map((e) => e.name);
  const chosen = subscribed.length ? all.filter((e) => subscribed.includes(e)) : all;
  return chosen.includes(HEALTH_CHECK) ? chosen : [...chosen, HEALTH_CHECK];
}

/** p50 and p99 of durations, in ms (nearest rank). */
export function percentiles(durations: readonly number[]): { p50: number; p99: number } | null {
  if (!durations.length) return null;
  const sorted = [...durations].sort((a, b) => a - b);
  const at = (q: number) => sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)]!;
  const round = (n: number) => Math.round(n * 100) / 100;
  return { p50: round(at(0.5)), p99: round(at(0.99)) };
}
