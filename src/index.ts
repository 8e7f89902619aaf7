/**
 * bluehook's library API: generate, sign and verify Blue webhook deliveries in a receiver's
 * own tests, without the CLI.
 *
 *   import { buildPayload, sign, verify, events } from 'bluehook';
 *   const body = JSON.stringify(buildPayload('TODO_CREATED', { seed: 1 }));
 *   const headers = sign(body, 'my-secret');           // { 'x-signature': '…' }
 *   verify(body, 'my-secret', headers).valid;          // true
 */
import { EVENTS, type EventInfo, type EventName } from './blue/catalogue.js';
import { buildPayload as build, type DeliveryBody, type PayloadOptions } from './blue/payload.js';
import { diagnose, type Diagnosis } from './signing/diagnose.js';
import {
  getScheme,
  type AnyHeaders,
  type HeaderMap,
  type SchemeName,
  type SignOptions,
  type VerifyOptions,
  normaliseHeaders,
} from './signing/schemes.js';

export { serializeBody, type DeliveryBody, type PayloadOptions } from './blue/payload.js';
export {
  resolveEvent,
  type EventInfo,
  type EventKind,
  type EventGroup,
  type EventName,
} from './blue/catalogue.js';
export type { Diagnosis, DiagnosisCause } from './signing/diagnose.js';
// Typed deliveries: the types are generated from the catalogue and the row shapes by the same
// generator as `bluehook schema --format typescript` (committed; a test keeps them identical).
export type * from './schema/delivery-types.js';
export {
  parseDelivery,
  isEvent,
  type ParseDeliveryOptions,
} from './schema/parse-delivery.js';
export {
  deliveryDrift,
  describeIssue,
  type Drift,
  type DriftIssue,
  type DriftKind,
  type DriftLevel,
} from './schema/drift.js';
export type { AnyHeaders, HeaderMap, SchemeName } from './signing/schemes.js';
export { BluehookError, isBluehookError, type ErrorCategory, type ErrorDetails } from './errors.js';
export { ExitCode, exitCodeFor, type ExitCodeValue } from './exit-codes.js';

/** A sample delivery body for one of Blue's events, exactly as Blue shapes it (`event` is checked by the compiler). */
export const buildPayload: (event: EventName, options?: PayloadOptions) => DeliveryBody = build;

/** The 37 subscribable events and WEBHOOK_HEALTH_CHECK, in Blue's schema order. */
export const events: readonly EventInfo[] = EVENTS;

/** The headers to send with `body`, signed with `secret` (scheme `blue` by default: X-Signature). */
export function sign(
  body: string | Buffer,
  secret: string,
  options: SignOptions & { scheme?: SchemeName } = {},
): HeaderMap {
  return getScheme(options.scheme).sign(body, secret, options);
}

/**
 * Verifies `body` (the raw bytes as received) against the request headers; on failure
 * `message` says why (re-serialised body, wrong secret, prefixed signature, ...).
 */
export function verify(
  body: string | Buffer,
  secret: string,
  headers: AnyHeaders,
  options: VerifyOptions & { scheme?: SchemeName } = {},
): Diagnosis {
  const bytes = typeof body === 'string' ? Buffer.from(body, 'utf8') : body;
  return diagnose(bytes, secret, normaliseHeaders(headers), options.scheme, options);
}
