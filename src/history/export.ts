/**
 * Recorded deliveries in other forms: a curl command, a HAR 1.2 entry, a fixture. A recording is
 * data chosen by whoever sent it, so an export reproduces the request and nothing else: the URL is
 * the one the user gives (`--to`) or the target bluehook itself sent to, never the recorded Host
 * header; the body goes to curl on stdin, never as an argument curl could read as `@file`; curl's
 * URL globbing is off.
 */
import { STATUS_CODES } from 'node:http';
import { usageError } from '../errors.js';
import { decodeBody, type DeliveryRecord } from './record.js';
import { HOP_BY_HOP_HEADERS } from '../util/headers.js';
import { httpUrl } from '../util/http-url.js';

// Headers that curl sets itself or that describe one connection.
const SKIP = new Set([...HOP_BY_HOP_HEADERS, 'accept-encoding', 'expect']);

const shellQuote = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;

/**
 * Where the exported request goes: `to` when given; a sent delivery's own target; a received
 * delivery has none bluehook can vouch for (its Host header is whatever the sender wrote).
 */
export function requestUrl(r: DeliveryRecord, to?: string): URL {
  const target = to ?? (r.direction === 'out' ? r.url : undefined);
  if (!target)
    throw usageError(
      `delivery ${r.id} was received, not sent: say where its copy goes`,
      'its Host header came from the sender and is not used',
      'received-needs-target',
    );
  return httpUrl(target);
}

// Text bodies up to this size go inline (printf); larger ones, and binary ones, as base64 in a
// here-document, which has no length limit and which plain sh runs.
const INLINE_LIMIT = 64 * 1024;

/** A curl command (for plain sh) that sends exactly the recorded bytes and headers. */
export function toCurl(r: DeliveryRecord, to?: string): string {
  const body = decodeBody(r);
  const parts = [
    'curl',
    '-sS',
    '--globoff',
    '-X',
    shellQuote(r.method),
    shellQuote(requestUrl(r, to).href),
  ];
  for (const [k, v] of Object.entries(r.headers))
    if (!SKIP.has(k.toLowerCase())) parts.push('-H', shellQuote(`${k}: ${v}`));
  parts.push('--data-binary', '@-');
  const text = body.toString('utf8');
  if (r.bodyEncoding === 'utf8' && body.length <= INLINE_LIMIT && !text.includes('\0'))
    return `printf '%s' ${shellQuote(text)} | ${parts.join(' ')}`;
  const base64 = body.toString('base64').replace(/.{1,76}/g, '$&\n');
  return `base64 -d <<'BLUEHOOK_BODY' | ${parts.join(' ')}\n${base64}BLUEHOOK_BODY`;
}

export function toHar(r: DeliveryRecord, version: string, to?: string): unknown {
  const body = decodeBody(r);
  const url = requestUrl(r, to);
  const status = r.direction === 'out' ? (r.response?.status ?? 0) : (r.answer?.status ?? 0);
  const responseHeaders = r.direction === 'out' ? (r.response?.headers ?? {}) : {};
  const wait = r.direction === 'out' ? (r.attempts?.at(-1)?.durationMs ?? 0) : 0;
  return {
    log: {
      version: '1.2',
      creator: { name: 'bluehook', version },
      entries: [
        {
          startedDateTime: r.time,
          time: wait,
          request: {
            method: r.method,
            url: url.href,
            httpVersion: 'HTTP/1.1',
            cookies: [],
            headers: Object.entries(r.headers).map(([name, value]) => ({ name, value })),
            queryString: [...url.searchParams].map(([name, value]) => ({ name, value })),
            // HAR 1.2 has no encoding for a request body: a binary one is given as base64, and says so.
            postData:
              r.bodyEncoding === 'utf8'
                ? {
                    mimeType: r.headers['content-type'] ?? 'application/json',
                    text: body.toString('utf8'),
                  }
                : {
                    mimeType: r.headers['content-type'] ?? 'application/octet-stream',
                    text: body.toString('base64'),
                    comment: 'base64 of the exact bytes (not UTF-8 text)',
                  },
            headersSize: -1,
            bodySize: body.length,
          },
          response: {
            status,
            statusText: STATUS_CODES[status] ?? '',
            httpVersion: 'HTTP/1.1',
            cookies: [],
            headers: Object.entries(responseHeaders).map(([name, value]) => ({ name, value })),
            content: {
              size: r.response?.body?.length ?? 0,
              mimeType: responseHeaders['content-type'] ?? 'text/plain',
              text: r.response?.body ?? '',
            },
            redirectURL: '',
            headersSize: -1,
            bodySize: -1,
          },
          cache: {},
          timings: { send: 0, wait, receive: 0 },
          comment: `bluehook delivery ${r.id} (${r.direction})`,
        },
      ],
    },
  };
}
