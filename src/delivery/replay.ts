/**
 * The replay use case: pick recorded deliveries, turn each back into a request (verbatim, or signed
 * again), and send them. Reports through a sink of typed events, like the send use cases.
 */
import { resolveEvent } from '../blue/catalogue.js';
import { usageError } from '../errors.js';
import {
  getAll,
  iterate,
  newest,
  type DeliveryFilter,
  type History,
  type PageSource,
} from '../history/history.js';
import { decodeBody, encodeBody, type DeliveryRecord } from '../history/record.js';
import { recorded } from './recorded.js';
import { SCHEME_NAMES, getScheme, type SignatureScheme } from '../signing/schemes.js';
import { HOP_BY_HOP_HEADERS } from '../util/headers.js';
import type { DeliveryOutcome, OutgoingRequest, Signer } from './deliver.js';
import type { StatusMatcher } from './expect.js';
import type { DeliveryClient } from './http.js';
import { runLoad } from './load.js';
import type { RetryPolicy } from './retry.js';
import { LoadStats } from './stats.js';

const SIGNATURE_HEADERS = new Set(SCHEME_NAMES.flatMap((n) => getScheme(n).headerNames));

/** The scheme a record was signed with, from its signature headers (none: unsigned or unknown). */
export function recordedScheme(
  record: Pick<DeliveryRecord, 'headers'>,
): SignatureScheme | undefined {
  const name = SCHEME_NAMES.find((n) => getScheme(n).headerNames.every((h) => h in record.headers));
  return name ? getScheme(name) : undefined;
}

export function replayRequest(
  record: DeliveryRecord,
  target: URL,
  resign?: Signer,
): OutgoingRequest {
  const body = decodeBody(record);
  const headers: Record<string, string> = {};
  for (const [k, v] of Object.entries(record.headers)) {
    if (HOP_BY_HOP_HEADERS.has(k)) continue;
    if (resign && SIGNATURE_HEADERS.has(k)) continue;
    headers[k] = v;
  }
  if (resign) Object.assign(headers, resign.scheme.sign(body, resign.secret), resign.extraHeaders);
  return {
    url: target,
    event: record.event,
    webhookId: record.webhookId ?? record.verdict?.webhookId ?? null,
    body,
    headers,
  };
}

/** Which recorded deliveries to replay: by id, or the newest `last` (of an event, since a time). */
export interface ReplaySelection {
  ids: string[];
  last?: number;
  event?: string;
  /** Epoch ms: only deliveries recorded after it. */
  since?: number;
}

export async function selectForReplay(
  history: History,
  selection: ReplaySelection,
): Promise<DeliveryRecord[]> {
  if (selection.ids.length) return getAll(history, selection.ids);
  const filter: DeliveryFilter = {};
  if (selection.event) filter.event = resolveEvent(selection.event).name;
  if (selection.since !== undefined) filter.since = selection.since;
  const source: PageSource<DeliveryRecord> = (page) => history.query(filter, page);
  if (selection.last !== undefined) return newest(source, selection.last);
  const picked: DeliveryRecord[] = [];
  for await (const r of iterate(source, 'oldest')) picked.push(r);
  return picked;
}

export interface ReplayTargets {
  /** Send here instead of where each delivery was sent (required for received ones). */
  to?: string;
  /** Sign again with this scheme instead of sending the recorded signature headers. */
  resign?: {
    /** The scheme to sign with; default: the one the recorded signature headers show, else `fallback`. */
    scheme?: SignatureScheme;
    fallback: SignatureScheme;
    secret?: string;
    secretOf: (webhookId: string) => Promise<string | null>;
  };
  /** Replace a record's body before it is sent (an edited body must be signed again). */
  edit?: (record: DeliveryRecord) => Promise<Buffer>;
}

/**
 * Each record's request, resolved before anything is sent, so a missing target or secret fails
 * the whole replay up front.
 */
export async function replayRequests(
  records: DeliveryRecord[],
  targets: ReplayTargets,
): Promise<OutgoingRequest[]> {
  const secrets = new Map<string, string | null>();
  const requests: OutgoingRequest[] = [];
  for (const r of records) {
    const to = targets.to ?? (r.direction === 'out' ? r.url : undefined);
    if (!to)
      throw usageError(
        `delivery ${r.id} was received, not sent: say where to send it (a target URL)`,
        undefined,
        'replay-needs-target',
      );
    let signer: Signer | undefined;
    if (targets.resign) {
      const webhookId = r.webhookId ?? r.verdict?.webhookId ?? undefined;
      let secret = targets.resign.secret;
      if (!secret && webhookId) {
        if (!secrets.has(webhookId))
          secrets.set(webhookId, await targets.resign.secretOf(webhookId));
        secret = secrets.get(webhookId) || undefined;
      }
      if (!secret)
        throw usageError(
          `re-signing delivery ${r.id} needs a secret`,
          'give the secret',
          'resign-needs-secret',
        );
      signer = {
        scheme: targets.resign.scheme ?? recordedScheme(r) ?? targets.resign.fallback,
        secret,
      };
    }
    const edited = targets.edit ? { ...r, ...encodeBody(await targets.edit(r)) } : r;
    requests.push(replayRequest(edited, new URL(to), signer));
  }
  return requests;
}

export type ReplayEvent = {
  type: 'delivery';
  index: number;
  replayOf: string;
  request: OutgoingRequest;
  outcome: DeliveryOutcome;
};

export interface ReplayContext {
  client: DeliveryClient;
  policy: RetryPolicy;
  timeoutMs: number;
  expect: StatusMatcher;
  concurrency: number;
  signal?: AbortSignal;
  /** Where replays are recorded (none: not recorded). */
  history?: History;
}

export interface ReplayResult {
  stats: LoadStats;
  unreachable: number;
}

/** Sends the requests (`requests[i]` replays `records[i]`), `concurrency` at a time, each recorded as a replay. */
export async function replayAll(
  ctx: ReplayContext,
  records: DeliveryRecord[],
  requests: OutgoingRequest[],
  sink: (event: ReplayEvent) => void,
): Promise<ReplayResult> {
  const stats = new LoadStats();
  const deliverAndRecord = recorded({ history: ctx.history });
  let unreachable = 0;
  await runLoad(
    { count: requests.length, concurrency: ctx.concurrency, signal: ctx.signal },
    async (index) => {
      const request = requests[index]!;
      const replayOf = records[index]!.id;
      const outcome = await deliverAndRecord(request, {
        client: ctx.client,
        policy: ctx.policy,
        timeoutMs: ctx.timeoutMs,
        expect: ctx.expect,
        signal: ctx.signal,
        replayOf,
      });
      stats.record(outcome.final, outcome.expected);
      if (outcome.unreachable) unreachable++;
      sink({ type: 'delivery', index, replayOf, request, outcome });
    },
  );
  return { stats, unreachable };
}
