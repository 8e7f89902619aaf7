/**
 * What happens to a delivery once its bytes are in, whichever way it came (a POST to the local
 * port, or the relay's stream): verify, decide the answer, forward a valid one to the local app,
 * record it BEFORE anyone is told it arrived. One pipeline, so both ways behave the same.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import type { History } from '../history/history.js';
import { encodeBody, newDeliveryId, type DeliveryRecord } from '../history/record.js';
import type { Verdict, Verifier } from './verifier.js';

export interface ForwardResult {
  status?: number;
  error?: string;
  durationMs: number;
}

export interface PipelineOptions {
  verify: Verifier;
  /** Answer 2xx even to an invalid signature. */
  acceptInvalid?: boolean;
  /** Misbehaviour on purpose, to see what Blue does. */
  respondStatus?: number;
  respondDelayMs?: number;
  failRate?: number;
  forward?: (record: DeliveryRecord, body: Buffer) => Promise<ForwardResult>;
  /** Where each delivery is recorded before it is answered. */
  history?: History;
}

/** A delivery's bytes and what came with them. */
export interface IncomingDelivery {
  body: Buffer;
  /** Lower-case names, flattened. */
  headers: Record<string, string>;
  /** The path (and query) it arrived on. */
  url: string;
  remoteAddress?: string;
  /** When it reached the first bluehook that saw it (default: now). */
  time?: string;
  /** The relay's delivery id, when it came through a relay. */
  relayId?: string;
  /** When it started to arrive (performance.now()), for the duration shown. */
  started?: number;
}

export interface ReceivedDelivery {
  record: DeliveryRecord;
  verdict: Verdict;
  event: string | null;
  bytes: number;
  status: number;
  durationMs: number;
  forwarded?: ForwardResult;
  body: Buffer;
}

function eventOf(text: string): { json: boolean; event: string | null } {
  try {
    const parsed = JSON.parse(text) as unknown;
    const event =
      parsed &&
      typeof parsed === 'object' &&
      typeof (parsed as { event?: unknown }).event === 'string'
        ? (parsed as { event: string }).event
        : null;
    return { json: true, event };
  } catch {
    return { json: false, event: null };
  }
}

/** The `event` a body names in its first 4 KiB (where Blue puts it first), without parsing the body. */
function eventNear(body: Buffer): string | null {
  const m = /"event"\s*:\s*("(?:[^"\\]|\\.)*")/.exec(body.subarray(0, 4096).toString('utf8'));
  if (!m) return null;
  try {
    return JSON.parse(m[1]!) as string; // the JSON string, unescaped as a full parse would
  } catch {
    return null;
  }
}

/** Verifies, forwards and records one delivery; resolves once it is committed (rejects if it could not be). */
export async function processDelivery(
  options: PipelineOptions,
  input: IncomingDelivery,
): Promise<ReceivedDelivery> {
  const started = input.started ?? performance.now();
  const { body, headers } = input;
  const verdict = options.verify(body, headers);
  // The record's copy of the body doubles as the text to parse: one string per delivery, not two.
  const encoded = encodeBody(body);
  // Parsing is for the 400 check of valid deliveries; a rejected body's event is only shown, and is
  // read from its first bytes (a flood of large invalid bodies must stay cheap).
  const { json, event } =
    verdict.valid || options.acceptInvalid
      ? eventOf(encoded.bodyEncoding === 'utf8' ? encoded.body : body.toString('utf8'))
      : { json: true, event: eventNear(body) };

  let status: number;
  let forwarded: ForwardResult | undefined;
  const record: DeliveryRecord = {
    id: newDeliveryId(),
    direction: 'in',
    time: input.time ?? new Date().toISOString(),
    event,
    webhookId: verdict.webhookId ?? null,
    url: input.url,
    method: 'POST',
    headers,
    ...encoded,
    remoteAddress: input.remoteAddress,
    ...(input.relayId !== undefined ? { relayId: input.relayId } : {}),
    verdict: {
      valid: verdict.valid,
      cause: verdict.cause,
      message: verdict.message,
      webhookId: verdict.webhookId ?? null,
    },
  };
  if (!verdict.valid && !options.acceptInvalid) status = 401;
  else if (!json) status = 400;
  else {
    status = 200;
    if (options.forward && verdict.valid) {
      forwarded = await options.forward(record, body);
      status = forwarded.status ?? 502;
    }
    if (options.respondStatus !== undefined) status = options.respondStatus;
    if (options.failRate && Math.random() < options.failRate) status = 500;
  }
  record.answer = { status };
  if (options.respondDelayMs) await sleep(options.respondDelayMs);
  // Durable before acknowledged: the answer goes out only once the record is written.
  if (options.history) await options.history.append(record, body);
  return {
    record,
    verdict,
    event,
    bytes: body.length,
    status,
    durationMs: performance.now() - started,
    forwarded,
    body,
  };
}
