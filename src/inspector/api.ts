/**
 * The inspector's HTTP API: what each route takes and answers, as JSON. Types only, imported by
 * the server (server.ts), the service (service.ts) and the page (page/app.ts), so that a change on
 * one side that the other does not follow fails the type check. Imports only types that import
 * nothing (the page is type-checked without Node's types).
 */
import type { DeliveryRecord, DeliverySummary, Page } from '../history/types.js';

/** GET /api/deliveries: a page of summaries, newest first, `next` for the following one. */
export type ApiPage = Page<DeliverySummary>;
export type ApiSummary = DeliverySummary;
/** A recorded delivery as JSON (`deliveries show --json` prints the same). */
export type ApiRecord = DeliveryRecord;

export interface ApiEventInfo {
  name: string;
  group: string;
  kind: string;
  entity: string;
  description: string;
}

/** A stored webhook as the page may see it: never its secret. */
export interface ApiWebhook {
  id: string;
  name: string | null;
  url: string;
  enabled: boolean;
  events: string[];
}

/** GET /api/meta */
export interface ApiMeta {
  version: string;
  history: { engine: string; location: string };
  scheme: string;
  events: ApiEventInfo[];
  webhooks: ApiWebhook[];
}

export interface ApiBody {
  bytes: number;
  /** The body as text when it is UTF-8, else null (see base64). */
  text: string | null;
  base64: string;
  /** Parsed, when it is JSON. */
  json: unknown;
  /** Where it stops being JSON, when it is text but not JSON. */
  jsonError: { line: number; column: number; message: string; offset: number } | null;
}

/** GET /api/deliveries/:id */
export interface ApiDetail {
  record: ApiRecord;
  body: ApiBody;
  event: ApiEventInfo | null;
  /** The stored webhook it names (matched, or sent to). */
  webhook: ApiWebhook | null;
}

/** POST /api/replay */
export interface ApiReplayInput {
  id: string;
  /** Where to: the original target by default (a received delivery needs one). */
  to?: string;
  /** Sign again instead of sending the recorded signature headers. */
  resign?: boolean;
  /** With resign: this secret, or the stored webhook's. */
  secret?: string;
}

/** POST /api/send */
export interface ApiSendInput {
  /** A Blue event to build a sample of (default TODO_CREATED), unless `body` is given. */
  event?: string;
  seed?: string;
  set?: string[];
  /** Exact body to send instead of a sample (edit and resend). */
  body?: string;
  /** A stored webhook: its URL and secret (each overridable). */
  webhookId?: string;
  url?: string;
  secret?: string;
  /** Mark the delivery as a replay of this one (edit and resend). */
  replayOf?: string;
}

/** What POST /api/send and /api/replay answer. */
export interface ApiSendResult {
  record: ApiRecord;
  ok: boolean;
  status: number | null;
  error: string | null;
}

/** POST /api/verify */
export interface ApiVerifyResult {
  valid: boolean;
  cause: string;
  message: string;
}

/** GET /api/count */
export interface ApiCount {
  count: number;
}

/** Any error: the message, the core's stable code and its hint (no CLI flags in either). */
export interface ApiError {
  error: string;
  code?: string;
  hint?: string | null;
}
