/**
 * What the inspector does, apart from HTTP: list and open recorded deliveries, replay them, edit
 * and resend, compose a Blue event and send it, verify again with a secret, export. It calls the
 * same core the CLI calls (the history, deliver, replayRequest, diagnose, buildPayload), in process.
 */
import { EVENTS, resolveEvent, type EventInfo } from '../blue/catalogue.js';
import { eventNamedIn } from '../blue/payload.js';
import {
  sampleBody,
  signRequest,
  webhookRowInput,
  type OutgoingRequest,
} from '../delivery/deliver.js';
import { parseExpectStatus } from '../delivery/expect.js';
import { HttpClient } from '../delivery/http.js';
import { replayRequests } from '../delivery/replay.js';
import { recorded } from '../delivery/recorded.js';
import { BLUE_RETRY_POLICY } from '../delivery/retry.js';
import { usageError } from '../errors.js';
import type { DeliveryFilter, History, PageRequest } from '../history/history.js';
import { decodeBody, type DeliveryRecord } from '../history/record.js';
import { diagnose } from '../signing/diagnose.js';
import { getScheme, type SchemeName } from '../signing/schemes.js';
import { toCurl, toHar } from '../history/export.js';
import { validateUrl, type Webhook, type WebhookStore } from '../store/types.js';
import { locateJsonError, type JsonError } from '../util/json-error.js';
import type {
  ApiBody,
  ApiDetail,
  ApiMeta,
  ApiPage,
  ApiReplayInput,
  ApiSendInput,
  ApiSendResult,
  ApiVerifyResult,
  ApiWebhook,
} from './api.js';

export interface InspectorOptions {
  history: History;
  store: WebhookStore;
  scheme: SchemeName;
  /** Per-attempt timeout of what the inspector sends. */
  timeoutMs: number;
  version: string;
}

export type BodyView = ApiBody;
export type DeliveryDetail = ApiDetail;

export type PublicWebhook = ApiWebhook;
const publicWebhook = (w: Webhook): PublicWebhook => ({
  id: w.id,
  name: w.name,
  url: w.url,
  enabled: w.enabled,
  events: w.events,
});

export type ReplayInput = ApiReplayInput;
export type SendInput = ApiSendInput;
export type SendResult = ApiSendResult;

function bodyView(record: DeliveryRecord): BodyView {
  const bytes = decodeBody(record);
  const text = record.bodyEncoding === 'utf8' ? bytes.toString('utf8') : null;
  let json: unknown;
  let jsonError: JsonError | null = null;
  if (text !== null) {
    try {
      json = JSON.parse(text);
    } catch {
      jsonError = locateJsonError(text);
    }
  }
  return { bytes: bytes.length, text, base64: bytes.toString('base64'), json, jsonError };
}

export class InspectorService {
  private readonly client = new HttpClient(8);

  constructor(private readonly o: InspectorOptions) {}

  get historyLocation(): string {
    return this.o.history.location;
  }

  async meta(): Promise<ApiMeta> {
    const webhooks = await this.o.store.list().catch(() => [] as Webhook[]);
    return {
      version: this.o.version,
      history: { engine: this.o.history.engine, location: this.o.history.location },
      scheme: this.o.scheme,
      events: EVENTS.map(({ name, group, kind, entity, description }) => ({
        name,
        group,
        kind,
        entity,
        description,
      })),
      webhooks: webhooks.map(publicWebhook),
    };
  }

  list(filter: DeliveryFilter, page: PageRequest): Promise<ApiPage> {
    return this.o.history.summaries(filter, page);
  }

  count(filter: DeliveryFilter): Promise<number> {
    return this.o.history.count(filter);
  }

  async detail(id: string): Promise<DeliveryDetail> {
    const record = await this.o.history.get(id);
    const webhookId = record.webhookId ?? record.verdict?.webhookId ?? null;
    const webhook = webhookId
      ? await this.o.store.get(webhookId).then(publicWebhook, () => null)
      : null;
    let event: EventInfo | null = null;
    try {
      event = record.event ? resolveEvent(record.event) : null;
    } catch {
      // not one of Blue's events: shown as recorded
    }
    return { record, body: bodyView(record), event, webhook };
  }

  /** The secret to sign with: given, else the stored webhook's. Never returned to the page. */
  private async secretFor(
    given: string | undefined,
    webhookId: string | null | undefined,
  ): Promise<string> {
    if (given) return given;
    if (webhookId) {
      const w = await this.o.store.get(webhookId).catch(() => undefined);
      if (w?.secret) return w.secret;
    }
    throw usageError(
      'no secret to sign with: give one, or choose a stored webhook whose secret is known',
    );
  }

  private async sendAndRecord(req: OutgoingRequest, replayOf?: string): Promise<SendResult> {
    const outcome = await recorded({ history: this.o.history })(req, {
      client: this.client,
      policy: { ...BLUE_RETRY_POLICY, attempts: 1 },
      timeoutMs: this.o.timeoutMs,
      expect: parseExpectStatus('2xx'),
      replayOf,
      keepBodyBytes: 4096,
    });
    return {
      record: outcome.record,
      ok: outcome.final.ok,
      status: outcome.final.status ?? null,
      error: outcome.final.error?.message ?? null,
    };
  }

  async replay(input: ReplayInput): Promise<SendResult> {
    const original = await this.o.history.get(input.id);
    if (input.to) validateUrl(input.to);
    // The CLI's replay: re-signed in the scheme the recorded headers show, else the configured one.
    const [request] = await replayRequests([original], {
      to: input.to,
      resign: input.resign
        ? {
            fallback: getScheme(this.o.scheme),
            secret: await this.secretFor(
              input.secret,
              original.webhookId ?? original.verdict?.webhookId,
            ),
            secretOf: async () => null,
          }
        : undefined,
    });
    return this.sendAndRecord(request!, original.id);
  }

  async send(input: SendInput): Promise<SendResult> {
    const webhook = input.webhookId ? await this.o.store.get(input.webhookId) : undefined;
    const url = input.url ?? webhook?.url;
    if (!url) throw usageError('say where to send: a stored webhook or a URL');
    const target = new URL(validateUrl(url));
    const secret = await this.secretFor(input.secret, webhook?.id);
    let body: Buffer;
    let event: string | null;
    if (input.body !== undefined) {
      body = Buffer.from(input.body, 'utf8');
      event = eventNamedIn(input.body);
    } else {
      event = resolveEvent(input.event ?? 'TODO_CREATED').name;
      body = sampleBody(event, {
        seed: input.seed || undefined,
        set: input.set,
        webhook: webhook ? webhookRowInput(webhook) : { url: target.href },
      });
    }
    const req = signRequest(target, body, event, webhook?.id ?? null, {
      scheme: getScheme(this.o.scheme),
      secret,
      userAgent: `bluehook-inspector/${this.o.version}`,
    });
    return this.sendAndRecord(req, input.replayOf);
  }

  /** Verifies a recorded delivery again with a secret (given, or its webhook's): the diagnosis in words. */
  async verify(id: string, secret?: string, webhookId?: string): Promise<ApiVerifyResult> {
    const r = await this.o.history.get(id);
    const key = await this.secretFor(secret, webhookId ?? r.webhookId ?? r.verdict?.webhookId);
    const result = diagnose(decodeBody(r), key, r.headers, this.o.scheme);
    return { valid: result.valid, cause: result.cause, message: result.message };
  }

  async exportAs(
    id: string,
    format: string,
    to?: string,
  ): Promise<{ contentType: string; filename: string; body: string | Buffer }> {
    const r = await this.o.history.get(id);
    switch (format) {
      case 'curl':
        return {
          contentType: 'text/plain; charset=utf-8',
          filename: `${r.id}.sh`,
          body: `${toCurl(r, to)}\n`,
        };
      case 'har':
        return {
          contentType: 'application/json',
          filename: `${r.id}.har`,
          body: `${JSON.stringify(toHar(r, this.o.version, to ?? (r.direction === 'out' ? undefined : 'http://127.0.0.1/')), null, 2)}\n`,
        };
      case 'json':
        return {
          contentType: 'application/json',
          filename: `${r.id}.json`,
          body: `${JSON.stringify(r, null, 2)}\n`,
        };
      case 'fixture':
      case 'raw':
        return {
          contentType: 'application/octet-stream',
          filename: `${r.id}.${format === 'fixture' ? 'json' : 'bin'}`,
          body: decodeBody(r),
        };
      default:
        throw usageError(`unknown format "${format}": curl, har, json, fixture or raw`);
    }
  }

  follow(filter: DeliveryFilter, signal: AbortSignal): AsyncIterable<DeliveryRecord> {
    return this.o.history.follow(filter, { signal, intervalMs: 200 });
  }

  async close(): Promise<void> {
    await this.client.close();
  }
}
