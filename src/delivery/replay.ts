/** Turning a recorded delivery back into a request: verbatim, or signed again. */
import { SCHEME_NAMES, getScheme } from '../signing/schemes.js';
import { decodeBody, type DeliveryRecord } from '../history/record.js';
import type { OutgoingRequest, Signer } from './deliver.js';
import { HOP_BY_HOP_HEADERS } from '../util/headers.js';

const SIGNATURE_HEADERS = new Set(SCHEME_NAMES.flatMap((n) => getScheme(n).headerNames));

export function replayRequest(record: DeliveryRecord, target: URL, resign?: Signer): OutgoingRequest {
  const body = decodeBody(record);
  const headers: Record<string, string> = {};
  for (const [k, v] of Object.entries(record.headers)) {
    if (HOP_BY_HOP_HEADERS.has(k)) continue;
    if (resign && SIGNATURE_HEADERS.has(k)) continue;
    headers[k] = v;
  }
  if (resign) Object.assign(headers, resign.scheme.sign(body, resign.secret), resign.extraHeaders);
  return { url: target, event: record.event, webhookId: record.webhookId ?? record.verdict?.webhookId ?? null, body, headers };
}
