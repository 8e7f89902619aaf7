/**
 * A receiver's one call: verify a delivery's signature against its raw bytes, parse it, and get it
 * back typed (`BlueDelivery`, narrowed on `event`). Part of the dependency-free library.
 */
import { EVENTS } from '../blue/catalogue.js';
import { BluehookError } from '../errors.js';
import { type AnyHeaders, blueScheme, normaliseHeaders } from '../signing/schemes.js';
import type { BlueDelivery, DeliveryOf, EventName } from './delivery-types.js';

export interface ParseDeliveryOptions {
  /** The webhook's secret (Blue returns it once, when the webhook is created). */
  secret: string;
  /** The X-Signature header's value, as received. */
  signature?: string | readonly string[] | null;
  /** Or the request's headers (a plain record, Node's IncomingHttpHeaders, a Fetch Headers). */
  headers?: AnyHeaders;
}

const KNOWN = new Set<string>(EVENTS.map((e) => e.name));

/**
 * Verifies `body` (the raw bytes as received, never a re-serialised object) with Blue's scheme,
 * parses it and returns it typed. Throws a `BluehookError` whose `code` says what went wrong:
 * `missing-signature` / `invalid-signature` (category `check`: answer 401), `not-json` /
 * `not-a-delivery` (category `usage`: answer 400), or `unknown-event` (a well-signed delivery of
 * an event this version does not know: Blue asks receivers to tolerate those, so answer 2xx).
 */
export function parseDelivery(
  body: string | Uint8Array,
  options: ParseDeliveryOptions,
): BlueDelivery {
  if (typeof options?.secret !== 'string' || options.secret === '')
    throw new BluehookError('parseDelivery needs the webhook secret', 'usage', {
      code: 'missing-secret',
    });
  const bytes =
    typeof body === 'string'
      ? Buffer.from(body, 'utf8')
      : Buffer.from(body.buffer, body.byteOffset, body.byteLength);
  const given = options.signature ?? normaliseHeaders(options.headers ?? {})['x-signature'];
  const signature = Array.isArray(given) ? given[0] : (given as string | undefined);
  if (!signature)
    throw new BluehookError('the delivery has no X-Signature header', 'check', {
      code: 'missing-signature',
    });
  if (!blueScheme.verify(bytes, options.secret, { 'x-signature': signature.trim() }).valid)
    throw new BluehookError(
      'the X-Signature does not match the body: wrong secret, or the body was changed (verify the raw bytes, never a re-serialised object)',
      'check',
      { code: 'invalid-signature' },
    );
  let parsed: unknown;
  try {
    parsed = JSON.parse(bytes.toString('utf8'));
  } catch {
    throw new BluehookError('the delivery body is not JSON', 'usage', { code: 'not-json' });
  }
  const d = parsed as { event?: unknown; webhook?: unknown } | null;
  if (
    !d ||
    typeof d !== 'object' ||
    Array.isArray(d) ||
    typeof d.event !== 'string' ||
    !d.webhook ||
    typeof d.webhook !== 'object'
  )
    throw new BluehookError(
      'the body is not a Blue delivery (it needs a string "event" and a "webhook" object)',
      'usage',
      { code: 'not-a-delivery' },
    );
  if (!KNOWN.has(d.event))
    throw new BluehookError(
      `a delivery of an event this version does not know: ${JSON.stringify(d.event).slice(0, 80)}`,
      'usage',
      { code: 'unknown-event', hint: 'Blue asks receivers to tolerate new events: answer 2xx' },
    );
  return parsed as BlueDelivery;
}

/** Narrows a delivery to one event (or one of several): `if (isEvent(d, 'TODO_CREATED')) d.currentValue.title`. */
export function isEvent<E extends EventName>(
  delivery: { event: string } | null | undefined,
  ...events: readonly E[]
): delivery is DeliveryOf<E> {
  return !!delivery && (events as readonly string[]).includes(delivery.event);
}
