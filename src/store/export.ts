/** Recorded deliveries in other forms: a curl command, a HAR 1.2 entry, a fixture. */
import { STATUS_CODES } from 'node:http';
import { decodeBody, type DeliveryRecord } from '../history/record.js';
import { HOP_BY_HOP_HEADERS } from '../util/headers.js';

// Headers that curl sets itself or that describe one connection.
const SKIP = new Set([...HOP_BY_HOP_HEADERS, 'accept-encoding']);

const shellQuote = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;

/** Where a recorded delivery was sent, or for a received one, where it arrived. */
export function requestUrl(r: DeliveryRecord, to?: string): string {
  if (to) return to;
  if (r.direction === 'out') return r.url;
  return `http://${r.headers.host ?? '127.0.0.1'}${r.url}`;
}

/** A curl command that sends exactly the recorded bytes and headers. */
export function toCurl(r: DeliveryRecord, to?: string): string {
  const body = decodeBody(r);
  const parts = ['curl', '-sS', '-X', r.method, shellQuote(requestUrl(r, to))];
  for (const [k, v] of Object.entries(r.headers)) if (!SKIP.has(k)) parts.push('-H', shellQuote(`${k}: ${v}`));
  // Text bodies are quoted as they are; anything else travels as base64 and is decoded on the fly.
  if (r.bodyEncoding === 'utf8' && !body.includes(0)) parts.push('--data-binary', shellQuote(body.toString('utf8')));
  else parts.push('--data-binary', `@<(printf %s ${shellQuote(body.toString('base64'))} | base64 -d)`);
  return parts.join(' ');
}

export function toHar(r: DeliveryRecord, version: string, to?: string): unknown {
  const body = decodeBody(r);
  const status = r.direction === 'out' ? r.response?.status ?? 0 : r.answer?.status ?? 0;
  const responseHeaders = r.direction === 'out' ? r.response?.headers ?? {} : {};
  const wait = r.direction === 'out' ? r.attempts?.at(-1)?.durationMs ?? 0 : 0;
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
            url: requestUrl(r, to),
            httpVersion: 'HTTP/1.1',
            cookies: [],
            headers: Object.entries(r.headers).map(([name, value]) => ({ name, value })),
            queryString: [],
            postData: { mimeType: r.headers['content-type'] ?? 'application/json', text: r.bodyEncoding === 'utf8' ? body.toString('utf8') : body.toString('base64'), ...(r.bodyEncoding === 'base64' ? { encoding: 'base64' } : {}) },
            headersSize: -1,
            bodySize: body.length,
          },
          response: {
            status,
            statusText: STATUS_CODES[status] ?? '',
            httpVersion: 'HTTP/1.1',
            cookies: [],
            headers: Object.entries(responseHeaders).map(([name, value]) => ({ name, value })),
            content: { size: r.response?.body?.length ?? 0, mimeType: responseHeaders['content-type'] ?? 'text/plain', text: r.response?.body ?? '' },
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
