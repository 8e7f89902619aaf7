/**
 * Signature schemes behind one small interface. `blue` is what Blue sends: X-Signature =
 * lowercase hex HMAC-SHA256 of the exact body bytes, keyed by the secret as UTF-8, nothing else.
 */
import { flattenHeaders } from '../util/headers.js';
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { usageError } from '../errors.js';
import { closest } from '../util/suggest.js';

export type SchemeName = 'blue' | 'standard-webhooks' | 'github';
export const SCHEME_NAMES: readonly SchemeName[] = ['blue', 'standard-webhooks', 'github'];

/** Header names in lower case; values as received. */
export type HeaderMap = Record<string, string>;

export interface SignOptions {
  /** standard-webhooks: message id (default: random msg_...). */
  id?: string;
  /** standard-webhooks: unix seconds (default: now). */
  timestamp?: number;
}

export interface VerifyOptions {
  /** standard-webhooks: allowed clock difference in seconds (default 300). */
  toleranceSeconds?: number;
  /** For tests: the current time in unix seconds. */
  now?: number;
}

export type VerifyFailure =
  | 'missing-signature'
  | 'missing-headers'
  | 'mismatch'
  | 'timestamp-out-of-tolerance'
  /** standard-webhooks: the timestamp header is not unix seconds. */
  | 'invalid-timestamp'
  /** standard-webhooks: the secret is not a key ("whsec_" + base64). */
  | 'invalid-secret';
export interface VerifyResult {
  valid: boolean;
  failure?: VerifyFailure;
  /** standard-webhooks: seconds between the timestamp and now (positive = in the past). */
  ageSeconds?: number;
}

export interface SignatureScheme {
  readonly name: SchemeName;
  /** The headers this scheme reads, lower case, for messages and `--header` parsing. */
  readonly headerNames: readonly string[];
  sign(body: Buffer | string, secret: string, options?: SignOptions): HeaderMap;
  /** Throws a usage error for a secret this scheme cannot sign or verify with. */
  checkSecret(secret: string): void;
  verify(
    body: Buffer | string,
    secret: string,
    headers: HeaderMap,
    options?: VerifyOptions,
  ): VerifyResult;
}

export const hmacSha256 = (key: string | Buffer, data: Buffer | string): Buffer =>
  createHmac('sha256', key).update(data).digest();

/** Constant-time comparison of two strings, after a length check (the length is not secret). */
export function safeEqual(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

const toBuffer = (body: Buffer | string) =>
  typeof body === 'string' ? Buffer.from(body, 'utf8') : body;

export const blueScheme: SignatureScheme = {
  name: 'blue',
  headerNames: ['x-signature'],
  checkSecret() {}, // any string keys the HMAC
  sign(body, secret) {
    return { 'x-signature': hmacSha256(secret, toBuffer(body)).toString('hex') };
  },
  verify(body, secret, headers) {
    const given = headers['x-signature'];
    if (!given) return { valid: false, failure: 'missing-signature' };
    const expected = hmacSha256(secret, toBuffer(body)).toString('hex');
    return safeEqual(given, expected) ? { valid: true } : { valid: false, failure: 'mismatch' };
  },
};

export const githubScheme: SignatureScheme = {
  name: 'github',
  headerNames: ['x-hub-signature-256'],
  checkSecret() {},
  sign(body, secret) {
    return {
      'x-hub-signature-256': `sha256=${hmacSha256(secret, toBuffer(body)).toString('hex')}`,
    };
  },
  verify(body, secret, headers) {
    const given = headers['x-hub-signature-256'];
    if (!given) return { valid: false, failure: 'missing-signature' };
    const expected = `sha256=${hmacSha256(secret, toBuffer(body)).toString('hex')}`;
    return safeEqual(given, expected) ? { valid: true } : { valid: false, failure: 'mismatch' };
  },
};

/**
 * Standard Webhooks keys are `whsec_` + base64; a key without the prefix is taken as base64 too.
 * Anything else is refused, as the official libraries refuse it: a bare `whsec_`, or text that is
 * not base64 (Node would silently decode it into some other key).
 */
export function standardWebhooksKey(secret: string): Buffer {
  const encoded = secret.startsWith('whsec_') ? secret.slice(6) : secret;
  if (!encoded || !/^[A-Za-z0-9+/]+={0,2}$/.test(encoded) || encoded.length % 4 === 1) {
    throw usageError(
      `a Standard Webhooks secret is "whsec_" followed by base64${encoded ? '' : ' (this one is empty after the prefix)'}`,
      'use the secret your provider gave, e.g. whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw',
      'invalid-secret',
    );
  }
  return Buffer.from(encoded, 'base64');
}

/**
 * The three Standard Webhooks headers; Svix (which the standard grew from) names them svix-id,
 * svix-timestamp and svix-signature, signed the same way: either family is read.
 */
export function standardWebhooksHeaders(headers: HeaderMap): {
  id?: string;
  timestamp?: string;
  signature?: string;
} {
  return {
    id: headers['webhook-id'] ?? headers['svix-id'],
    timestamp: headers['webhook-timestamp'] ?? headers['svix-timestamp'],
    signature: headers['webhook-signature'] ?? headers['svix-signature'],
  };
}

function standardSignature(key: Buffer, id: string, timestamp: string, body: Buffer): string {
  const content = Buffer.concat([Buffer.from(`${id}.${timestamp}.`), body]);
  return hmacSha256(key, content).toString('base64');
}

export const standardWebhooksScheme: SignatureScheme = {
  name: 'standard-webhooks',
  headerNames: ['webhook-id', 'webhook-timestamp', 'webhook-signature'],
  checkSecret(secret) {
    standardWebhooksKey(secret);
  },
  sign(body, secret, options = {}) {
    const id = options.id ?? `msg_${randomBytes(12).toString('base64url')}`;
    const timestamp = String(options.timestamp ?? Math.floor(Date.now() / 1000));
    const signature = standardSignature(standardWebhooksKey(secret), id, timestamp, toBuffer(body));
    return {
      'webhook-id': id,
      'webhook-timestamp': timestamp,
      'webhook-signature': `v1,${signature}`,
    };
  },
  verify(body, secret, headers, options = {}) {
    const { id, timestamp, signature: signatures } = standardWebhooksHeaders(headers);
    if (!signatures) return { valid: false, failure: 'missing-signature' };
    if (!id || !timestamp) return { valid: false, failure: 'missing-headers' };
    if (!/^\d+$/.test(timestamp.trim())) return { valid: false, failure: 'invalid-timestamp' };
    let key: Buffer;
    try {
      key = standardWebhooksKey(secret);
    } catch {
      return { valid: false, failure: 'invalid-secret' };
    }
    const expected = standardSignature(key, id, timestamp, toBuffer(body));
    // Several space-separated "v1,<base64>" entries may be sent (key rotation); any one may match.
    let matched = false;
    for (const entry of signatures.split(' ')) {
      const [version, value] = entry.split(',', 2);
      if (version === 'v1' && value !== undefined && safeEqual(value, expected)) matched = true;
    }
    if (!matched) return { valid: false, failure: 'mismatch' };
    const now = options.now ?? Math.floor(Date.now() / 1000);
    const ageSeconds = now - Number(timestamp);
    const tolerance = options.toleranceSeconds ?? 300;
    if (!Number.isFinite(ageSeconds) || Math.abs(ageSeconds) > tolerance) {
      return { valid: false, failure: 'timestamp-out-of-tolerance', ageSeconds };
    }
    return { valid: true, ageSeconds };
  },
};

const SCHEMES: Record<SchemeName, SignatureScheme> = {
  blue: blueScheme,
  github: githubScheme,
  'standard-webhooks': standardWebhooksScheme,
};

export function getScheme(name: string = 'blue'): SignatureScheme {
  const scheme = SCHEMES[name.toLowerCase() as SchemeName];
  if (scheme) return scheme;
  const near = closest(name, SCHEME_NAMES);
  throw usageError(
    `unknown signature scheme "${name}"; choose ${SCHEME_NAMES.join(', ')}${near.length ? ` (did you mean ${near[0]}?)` : ''}`,
    undefined,
    'unknown-scheme',
  );
}

/** Request headers in any of the usual forms: a plain record, Node's IncomingHttpHeaders, or a Fetch `Headers`. */
export type AnyHeaders =
  | Record<string, string | string[] | undefined>
  | { forEach(callback: (value: string, name: string) => void): void };

export function normaliseHeaders(headers: AnyHeaders): HeaderMap {
  const out: HeaderMap = {};
  // A Fetch Headers (Next.js, Hono, Workers): its entries are not own properties.
  if (typeof (headers as { forEach?: unknown }).forEach === 'function' && !Array.isArray(headers)) {
    (headers as { forEach(callback: (value: string, name: string) => void): void }).forEach(
      (value, name) => {
        out[name.toLowerCase()] = value;
      },
    );
    return out;
  }
  return flattenHeaders(headers as Record<string, string | string[] | undefined>, true);
}
