/**
 * Verification that says WHY a signature failed. When the signature does not match, it tries the
 * usual mistakes against the raw bytes (re-serialised body, prefixed or re-encoded signature,
 * mishandled secret, another scheme, a stale timestamp) and names the one that matches.
 */
import {
  SCHEME_NAMES,
  getScheme,
  hmacSha256,
  safeEqual,
  standardWebhooksHeaders,
  standardWebhooksKey,
  type HeaderMap,
  type SchemeName,
  type SignatureScheme,
  type VerifyOptions,
} from './schemes.js';

export type DiagnosisCause =
  | 'valid'
  | 'missing-signature'
  | 'missing-headers'
  | 'timestamp-out-of-tolerance'
  | 'body-reserialised'
  | 'signature-format'
  | 'secret-whitespace'
  | 'secret-whsec-prefix'
  | 'other-scheme'
  | 'timestamp-invalid'
  | 'secret-invalid'
  | 'wrong-secret'
  /** Rejected without a diagnosis: the receiver's budget for diagnosing was spent (see receiver/verifier.ts). */
  | 'not-diagnosed';

export interface Diagnosis {
  valid: boolean;
  cause: DiagnosisCause;
  /** One line a person can act on. */
  message: string;
  /** With cause `other-scheme`: the scheme the body was signed with. */
  signedWith?: SchemeName;
}

type Key = string | Buffer;

/** The Standard Webhooks key of a secret, or undefined when it is not one (any secret may be diagnosed). */
function decodedKey(secret: string): Buffer | undefined {
  try {
    return standardWebhooksKey(secret);
  } catch {
    return undefined;
  }
}
type Check = (body: Buffer, key: Key) => boolean;

/** A raw-key HMAC check against the signature the request carries, for the given scheme. */
function keyedCheck(scheme: SignatureScheme, headers: HeaderMap): Check {
  if (scheme.name === 'standard-webhooks') {
    const sw = standardWebhooksHeaders(headers);
    const prefix = `${sw.id}.${sw.timestamp}.`;
    const given = (sw.signature ?? '').split(' ').map((s) => s.split(',', 2)[1] ?? '');
    return (body, key) => {
      const raw = typeof key === 'string' ? decodedKey(key) : key;
      if (!raw) return false; // not a key at all: nothing it could have signed
      const expected = hmacSha256(raw, Buffer.concat([Buffer.from(prefix), body])).toString(
        'base64',
      );
      return given.some((g) => safeEqual(g, expected));
    };
  }
  const header = scheme.headerNames[0]!;
  const prefix = scheme.name === 'github' ? 'sha256=' : '';
  return (body, key) =>
    safeEqual(headers[header] ?? '', prefix + hmacSha256(key, body).toString('hex'));
}

interface BodyVariant {
  label: string;
  bytes: Buffer;
}

function sortKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortKeys);
  if (value && typeof value === 'object') {
    return Object.fromEntries(
      Object.keys(value as object)
        .sort()
        .map((k) => [k, sortKeys((value as Record<string, unknown>)[k])]),
    );
  }
  return value;
}

const BLUE_TOP_ORDER = ['event', 'webhook', 'previousValue', 'currentValue'];
const BLUE_WEBHOOK_ORDER = [
  'id',
  'uid',
  'name',
  'url',
  'secret',
  'status',
  'enabled',
  'metadata',
  'createdById',
  'createdAt',
  'updatedAt',
];

function reorder(value: Record<string, unknown>, order: string[]): Record<string, unknown> {
  const keys = [
    ...order.filter((k) => k in value),
    ...Object.keys(value).filter((k) => !order.includes(k)),
  ];
  return Object.fromEntries(keys.map((k) => [k, value[k]]));
}

/** A delivery's top level and webhook row put back in the order Blue writes them. */
function blueOrder(parsed: unknown): unknown {
  if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed) || !('event' in parsed))
    return parsed;
  const top = reorder(parsed as Record<string, unknown>, BLUE_TOP_ORDER);
  const hook = top.webhook;
  if (hook && typeof hook === 'object' && !Array.isArray(hook))
    top.webhook = reorder(hook as Record<string, unknown>, BLUE_WEBHOOK_ORDER);
  return top;
}

const escapeNonAscii = (json: string) =>
  json.replace(/[\u007f-\uffff]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);

/**
 * The JSON text with the hex digits of its \uXXXX escapes in one case. The regex consumes whole
 * escape pairs, so an escaped backslash followed by "u0041" is left alone.
 */
const escapesInCase = (json: string, upper: boolean) =>
  json.replace(/\\(u[0-9a-fA-F]{4}|[^u])/g, (pair) =>
    pair[1] === 'u'
      ? `\\u${upper ? pair.slice(2).toUpperCase() : pair.slice(2).toLowerCase()}`
      : pair,
  );

/** The forms a signed body commonly takes on its way to being verified. */
function bodyVariants(body: Buffer): BodyVariant[] {
  const text = body.toString('utf8');
  const variants: BodyVariant[] = [];
  const add = (label: string, s: string) => {
    if (s !== text) variants.push({ label, bytes: Buffer.from(s, 'utf8') });
  };
  // Signers differ in the case of \u escapes: GitHub writes "\u001B", JSON.stringify "\u001b".
  const addWithEscapeCases = (label: string, s: string) => {
    add(label, s);
    if (!/\\u[0-9a-fA-F]{4}/.test(s)) return;
    add(`${label} with its \\u escapes in upper case (\\u001B)`, escapesInCase(s, true));
    add(`${label} with its \\u escapes in lower case (\\u001b)`, escapesInCase(s, false));
  };
  if (/\r?\n$/.test(text))
    addWithEscapeCases(
      'the body without the trailing newline this copy has',
      text.replace(/\r?\n$/, ''),
    );
  else addWithEscapeCases('the body with a trailing newline, which this copy lacks', `${text}\n`);
  addWithEscapeCases('the body', text);

  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    return variants;
  }
  const compact = JSON.stringify(parsed);
  const forms: Array<[string, string]> = [
    ['compact JSON (JSON.stringify, no whitespace), as Blue sends it', compact],
    ['pretty-printed JSON (2-space indent)', JSON.stringify(parsed, null, 2)],
    ['pretty-printed JSON (4-space indent)', JSON.stringify(parsed, null, 4)],
    ['pretty-printed JSON (tab indent)', JSON.stringify(parsed, null, '\t')],
    [
      'compact JSON with its keys in the order Blue writes them (this copy reordered them)',
      JSON.stringify(blueOrder(parsed)),
    ],
    ['JSON with its keys in a different order (sorted)', JSON.stringify(sortKeys(parsed))],
    ['JSON with non-ASCII characters escaped as \\uXXXX', escapeNonAscii(compact)],
  ];
  for (const [label, form] of forms) {
    addWithEscapeCases(`the body as ${label}`, form);
    addWithEscapeCases(`the body as ${label} plus a trailing newline`, `${form}\n`);
  }
  return variants;
}

function describeBody(text: string, matched: string): string {
  if (matched.includes('escapes in upper case')) return 'this copy writes them in lower case';
  if (matched.includes('escapes in lower case')) return 'this copy writes them in upper case';
  if (/\n\s+"/.test(text)) return 'this copy is pretty-printed';
  if (/\\u[0-9a-fA-F]{4}/.test(text)) return 'this copy has \\u escapes';
  return 'this copy has different bytes';
}

function signatureFormatProblem(
  scheme: SignatureScheme,
  headers: HeaderMap,
  body: Buffer,
  secret: string,
): string | undefined {
  if (scheme.name === 'standard-webhooks') {
    const raw = standardWebhooksKey(secret);
    const sw = standardWebhooksHeaders(headers);
    const content = Buffer.concat([Buffer.from(`${sw.id}.${sw.timestamp}.`), body]);
    const digest = hmacSha256(raw, content);
    for (const entry of (sw.signature ?? '').split(' ')) {
      if (safeEqual(entry, digest.toString('base64')))
        return 'the signature lacks its "v1," version prefix';
      const [version, labelled] = entry.split(',', 2);
      if (
        version !== 'v1' &&
        labelled !== undefined &&
        safeEqual(labelled, digest.toString('base64'))
      )
        return `the signature is labelled "${version}," but is an HMAC-SHA256 (v1) signature; only "v1," entries are verified`;
      const value = entry.includes(',') ? entry.split(',', 2)[1]! : entry;
      if (safeEqual(value.toLowerCase(), digest.toString('hex')))
        return 'the signature is hex; Standard Webhooks uses base64';
    }
    return undefined;
  }
  const header = scheme.headerNames[0]!;
  const given = (headers[header] ?? '').trim();
  const hex = hmacSha256(secret, body).toString('hex');
  const expectedForm =
    scheme.name === 'github' ? 'sha256=<lowercase hex>' : '64 lowercase hex characters, no prefix';
  const bare = given.replace(/^sha256=/i, '');
  if (scheme.name === 'blue' && bare !== given && safeEqual(bare.toLowerCase(), hex)) {
    return `the signature carries a "sha256=" prefix; X-Signature is ${expectedForm}`;
  }
  if (scheme.name === 'github' && bare === given && safeEqual(given.toLowerCase(), hex)) {
    return `the signature lacks the "sha256=" prefix; X-Hub-Signature-256 is ${expectedForm}`;
  }
  if (bare !== bare.toLowerCase() && safeEqual(bare.toLowerCase(), hex))
    return `the signature is upper-case hex; expected ${expectedForm}`;
  if (
    /^[A-Za-z0-9+/_-]+=*$/.test(bare) &&
    safeEqual(Buffer.from(bare, 'base64').toString('hex'), hex)
  ) {
    return `the signature is base64; expected ${expectedForm}`;
  }
  if (
    given !== headers[header] &&
    safeEqual(given, (scheme.name === 'github' ? 'sha256=' : '') + hex)
  ) {
    return 'the signature header has surrounding whitespace';
  }
  if (!/^[0-9a-fA-F]{64}$/.test(bare)) {
    return `the signature is not 64 hex characters (got ${given.length} characters): it was not made by this scheme, or it was cut; expected ${expectedForm}`;
  }
  return undefined;
}

function secretProblem(
  secret: string,
  check: Check,
  body: Buffer,
  scheme: SignatureScheme,
): Diagnosis | undefined {
  const trimmed = secret.trim();
  if (trimmed !== secret && check(body, trimmed)) {
    return {
      valid: false,
      cause: 'secret-whitespace',
      message:
        'the secret has surrounding whitespace (a trailing newline from a file?); the signature matches the trimmed secret',
    };
  }
  const s = trimmed;
  const forms: Array<[Key, string]> = [];
  if (s.startsWith('whsec_')) {
    forms.push([s.slice(6), 'the signature was made with the secret without its "whsec_" prefix']);
    const decoded = decodedKey(s);
    if (scheme.name !== 'standard-webhooks' && decoded) {
      forms.push([
        decoded,
        'the signature was made with the base64-decoded "whsec_" secret (Standard Webhooks style); Blue keys the HMAC with the secret string as UTF-8',
      ]);
    }
  } else {
    forms.push([
      `whsec_${s}`,
      'the signature was made with a "whsec_" prefix on the secret that you left off',
    ]);
  }
  if (scheme.name === 'standard-webhooks') {
    forms.push([
      Buffer.from(s, 'utf8'),
      'the signature was keyed with the secret string as UTF-8; Standard Webhooks keys are the base64-decoded part after "whsec_"',
    ]);
    if (s.startsWith('whsec_'))
      forms.push([
        Buffer.from(s.slice(6), 'utf8'),
        'the signature was keyed with the text after "whsec_" as UTF-8, not base64-decoded; Standard Webhooks keys are the decoded bytes',
      ]);
  } else {
    // The signer read its secret from a file and kept the newline (we hold the clean one).
    for (const ending of ['\n', '\r\n'])
      forms.push([
        s + ending,
        `the signer's secret ends with a ${ending === '\n' ? 'newline' : 'CRLF'} (read from a file?): the signature matches this secret plus that ending`,
      ]);
  }
  for (const [key, message] of forms) {
    if (check(body, key)) return { valid: false, cause: 'secret-whsec-prefix', message };
  }
  return undefined;
}

/** Verifies, and when the signature does not match, explains the most likely reason. */
export interface DiagnoseOptions extends VerifyOptions {
  /**
   * Bodies larger than this are not re-serialised to look for the form that was signed (each form
   * costs a parse, a serialisation and an HMAC over the whole body). Default: no limit.
   */
  maxReserialiseBytes?: number;
}

export function diagnose(
  body: Buffer,
  secret: string,
  headers: HeaderMap,
  schemeName: string = 'blue',
  options: DiagnoseOptions = {},
): Diagnosis {
  const scheme = getScheme(schemeName);
  const result = scheme.verify(body, secret, headers, options);
  if (result.valid)
    return { valid: true, cause: 'valid', message: `valid ${scheme.name} signature` };

  if (result.failure === 'timestamp-out-of-tolerance') {
    const age = result.ageSeconds ?? NaN;
    const tolerance = options.toleranceSeconds ?? 300;
    const when = age >= 0 ? `${age} s in the past` : `${-age} s in the future`;
    return {
      valid: false,
      cause: 'timestamp-out-of-tolerance',
      message: `the signature matches but its timestamp is ${when}, beyond the ${tolerance} s tolerance (replayed, or a clock is off)`,
    };
  }

  if (result.failure === 'invalid-secret') {
    return {
      valid: false,
      cause: 'secret-invalid',
      message:
        'the secret is not a Standard Webhooks key: "whsec_" followed by base64 (it is empty, or not base64)',
    };
  }
  if (result.failure === 'invalid-timestamp') {
    const given = standardWebhooksHeaders(headers).timestamp ?? '';
    return {
      valid: false,
      cause: 'timestamp-invalid',
      message: `the webhook-timestamp header is not a unix time in seconds: ${JSON.stringify(given.slice(0, 40))}`,
    };
  }

  const other = otherScheme(scheme, body, secret, headers, options);
  if (other) return other;
  if (result.failure === 'missing-signature') {
    return {
      valid: false,
      cause: 'missing-signature',
      message: `no signature: the request has no ${scheme.headerNames.filter((h) => h !== 'webhook-id' && h !== 'webhook-timestamp').join('/')} header`,
    };
  }
  if (result.failure === 'missing-headers') {
    return {
      valid: false,
      cause: 'missing-headers',
      message:
        'the webhook-id or webhook-timestamp header is missing; Standard Webhooks signs both',
    };
  }

  const format = signatureFormatProblem(scheme, headers, body, secret);
  if (format) return { valid: false, cause: 'signature-format', message: format };

  const check = keyedCheck(scheme, headers);
  const secretIssue = secretProblem(secret, check, body, scheme);
  if (secretIssue) return secretIssue;

  const tooLarge = body.length > (options.maxReserialiseBytes ?? Infinity);
  for (const variant of tooLarge ? [] : bodyVariants(body)) {
    if (check(variant.bytes, secret)) {
      return {
        valid: false,
        cause: 'body-reserialised',
        message: `the body was re-serialised: the signature matches ${variant.label}, but ${describeBody(body.toString('utf8'), variant.label)}; verify the raw request bytes, never a re-serialised object`,
      };
    }
  }
  return {
    valid: false,
    cause: 'wrong-secret',
    message: tooLarge
      ? `the signature does not match: the secret is wrong, or the body was changed (re-serialisations not tried on a body over ${options.maxReserialiseBytes} bytes)`
      : 'the signature does not match: the secret is wrong, or the body was changed beyond re-serialisation',
  };
}

function otherScheme(
  scheme: SignatureScheme,
  body: Buffer,
  secret: string,
  headers: HeaderMap,
  options: VerifyOptions,
): Diagnosis | undefined {
  for (const name of SCHEME_NAMES) {
    if (name === scheme.name) continue;
    const candidate = getScheme(name);
    if (!candidate.headerNames.some((h) => headers[h] !== undefined)) continue;
    const r = candidate.verify(body, secret, headers, {
      ...options,
      toleranceSeconds: Number.POSITIVE_INFINITY,
    });
    if (r.valid) {
      return {
        valid: false,
        cause: 'other-scheme',
        message: `the body was signed with the ${name} scheme, not ${scheme.name}`,
        signedWith: name,
      };
    }
  }
  // A GitHub-style value placed in X-Signature is also "another scheme", caught as a prefix by the format check.
  return undefined;
}
