/**
 * The remote store: Blue's GraphQL API (docs/blue-webhooks.md, section 5), with exactly the
 * documented operations and fields. Reads are retried on timeouts and connection errors;
 * mutations are sent once, so a create can never make a duplicate webhook.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import {
  BluehookError,
  isBluehookError,
  networkError,
  notFoundError,
  storeError,
  usageError,
} from '../errors.js';
import { classifyError } from '../util/network-errors.js';
import type { KeptSecrets } from './local-store.js';
import {
  isBlueId,
  resolveRef,
  validateUrl,
  type CreateWebhookInput,
  type EnableResult,
  type UpdateWebhookInput,
  type Webhook,
  type WebhookStore,
} from './types.js';

export interface BlueCredentials {
  tokenId?: string;
  tokenSecret?: string;
  companyId?: string;
  /** The variable names, for messages. */
  names: { tokenId: string; tokenSecret: string; companyId: string };
}

const FIELDS =
  'id uid name url secret status events projectIds enabled metadata createdAt updatedAt';
const PAGE = 20;

interface RemoteWebhook {
  id: string;
  uid: string;
  name: string | null;
  url: string;
  secret: string | null;
  status: 'HEALTHY' | 'UNHEALTHY';
  events: string[] | null;
  projectIds: string[] | null;
  enabled: boolean | null;
  metadata: unknown;
  createdAt: string;
  updatedAt: string;
}

interface GraphQLErrorShape {
  message: string;
  extensions?: { code?: string };
}

export class BlueWebhookStore implements WebhookStore {
  readonly kind = 'blue' as const;

  constructor(
    private readonly apiUrl: string,
    private readonly credentials: BlueCredentials,
    private readonly secrets: Pick<KeptSecrets, 'get' | 'set'>,
    private readonly timeoutMs = 15_000,
  ) {}

  /** One GraphQL call; `read` calls are retried on transient network failures. */
  private async call<T>(
    query: string,
    variables: Record<string, unknown>,
    { read, needsCompany = false }: { read: boolean; needsCompany?: boolean },
  ): Promise<T> {
    const { tokenId, tokenSecret, companyId, names } = this.credentials;
    if (!tokenId || !tokenSecret) {
      throw storeError(
        `Blue credentials are missing: set ${names.tokenId} and ${names.tokenSecret}`,
        `${names.companyId} too, to create webhooks`,
        'blue-credentials-missing',
      );
    }
    if (needsCompany && !companyId)
      throw storeError(
        `creating a webhook in Blue needs the organisation: set ${names.companyId}`,
        undefined,
        'blue-company-missing',
      );
    const headers: Record<string, string> = {
      'content-type': 'application/json',
      'x-bloo-token-id': tokenId,
      'x-bloo-token-secret': tokenSecret,
    };
    if (companyId) headers['x-bloo-company-id'] = companyId;
    const { request } = await import('undici');
    const attempts = read ? 3 : 1;
    for (let attempt = 1; ; attempt++) {
      let status: number;
      let text: string;
      try {
        const res = await request(this.apiUrl, {
          method: 'POST',
          headers,
          body: JSON.stringify({ query, variables }),
          signal: AbortSignal.timeout(this.timeoutMs),
        });
        status = res.statusCode;
        text = await res.body.text();
      } catch (error) {
        const { kind, message } = classifyError(error);
        if (attempt < attempts && (kind === 'timeout' || kind === 'refused' || kind === 'reset')) {
          await sleep(200 * 2 ** attempt);
          continue;
        }
        // A write that got no answer may have been applied: a code of its own, so the edges can say so.
        throw read
          ? networkError(
              `cannot reach Blue's API at ${this.apiUrl}: ${message}`,
              undefined,
              'blue-unreachable',
            )
          : networkError(
              `cannot reach Blue's API at ${this.apiUrl}: ${message}`,
              "the request may or may not have reached Blue: list Blue's webhooks before retrying",
              'blue-write-unconfirmed',
            );
      }
      let body: { data?: T; errors?: GraphQLErrorShape[] };
      try {
        body = JSON.parse(text) as typeof body;
      } catch {
        throw networkError(
          `Blue's API at ${this.apiUrl} answered ${status} with something that is not JSON`,
          undefined,
          'blue-bad-answer',
        );
      }
      if (body.errors?.length) throw this.mapError(body.errors[0]!);
      if (status >= 400 || !body.data)
        throw networkError(
          `Blue's API at ${this.apiUrl} answered ${status}`,
          undefined,
          'blue-bad-answer',
        );
      return body.data;
    }
  }

  private mapError(e: GraphQLErrorShape): BluehookError {
    const code = e.extensions?.code ?? 'UNKNOWN';
    const { names } = this.credentials;
    switch (code) {
      case 'UNAUTHENTICATED':
        return storeError(
          `Blue: ${e.message} (UNAUTHENTICATED)`,
          `check ${names.tokenId} and ${names.tokenSecret}`,
          'blue-unauthenticated',
        );
      case 'FORBIDDEN':
        return storeError(
          `Blue: ${e.message} (FORBIDDEN)`,
          'only the creator of a webhook may read, change or delete it (anyone may disable it by id)',
          'blue-forbidden',
        );
      case 'COMPANY_NOT_FOUND':
        return storeError(
          `Blue: ${e.message} (COMPANY_NOT_FOUND)`,
          `check ${names.companyId}`,
          'blue-company-not-found',
        );
      case 'WEBHOOK_NOT_FOUND':
        return notFoundError(
          `Blue: ${e.message} (WEBHOOK_NOT_FOUND)`,
          "list Blue's webhooks",
          'webhook-not-found',
        );
      case 'BAD_USER_INPUT':
        return usageError(`Blue: ${e.message} (BAD_USER_INPUT)`, undefined, 'blue-bad-user-input');
      case 'PLAN_LIMIT_REACHED':
        return storeError(
          `Blue: ${e.message} (PLAN_LIMIT_REACHED)`,
          'disable or delete a webhook, or upgrade the plan',
          'blue-plan-limit-reached',
        );
      default:
        if (/private\/internal address/i.test(e.message)) {
          return usageError(
            `Blue: ${e.message}`,
            'Blue only delivers to public addresses; use a public URL',
            'blue-private-url',
          );
        }
        return new BluehookError(`Blue: ${e.message} (${code})`, 'store', {
          code: `blue-${code.toLowerCase()}`,
        });
    }
  }

  private toWebhook(r: RemoteWebhook, secret?: string | null): Webhook {
    const events = r.events ?? [];
    const projectIds = r.projectIds ?? [];
    return {
      id: r.id,
      uid: r.uid,
      name: r.name,
      url: r.url,
      secret: secret ?? r.secret ?? this.secrets.get(r.id) ?? null,
      status: r.status,
      enabled: r.enabled ?? false,
      events,
      projectIds,
      metadata: { events, projectIds },
      createdById: '',
      createdAt: r.createdAt,
      updatedAt: r.updatedAt,
    };
  }

  async list(filter: { enabled?: boolean } = {}): Promise<Webhook[]> {
    const all: Webhook[] = [];
    for (let skip = 0; ; skip += PAGE) {
      const data = await this.call<{
        webhooks: { items: RemoteWebhook[]; pageInfo: { hasNextPage: boolean } };
      }>(
        `query Webhooks($filter: WebhookFilter, $skip: Int, $take: Int) { webhooks(filter: $filter, skip: $skip, take: $take) { items { ${FIELDS} } pageInfo { hasNextPage totalItems } } }`,
        {
          filter: filter.enabled === undefined ? null : { enabled: filter.enabled },
          skip,
          take: PAGE,
        },
        { read: true },
      );
      all.push(...data.webhooks.items.map((r) => this.toWebhook(r)));
      if (!data.webhooks.pageInfo.hasNextPage || data.webhooks.items.length === 0) return all;
    }
  }

  async get(ref: string): Promise<Webhook> {
    if (isBlueId(ref)) {
      try {
        const data = await this.call<{ webhook: RemoteWebhook }>(
          `query Webhook($id: String!) { webhook(id: $id) { ${FIELDS} } }`,
          { id: ref },
          { read: true },
        );
        return this.toWebhook(data.webhook);
      } catch (e) {
        if (!(isBluehookError(e, 'not-found') && e.code === 'webhook-not-found')) throw e;
      }
    }
    return resolveRef(ref, await this.list());
  }

  async create(input: CreateWebhookInput): Promise<Webhook> {
    validateUrl(input.url);
    if (input.secret)
      throw usageError(
        'Blue generates the secret itself: a webhook in Blue cannot be given one',
        undefined,
        'blue-secret-not-settable',
      );
    const data = await this.call<{ createWebhook: RemoteWebhook }>(
      `mutation Create($input: CreateWebhookInput!) { createWebhook(input: $input) { ${FIELDS} } }`,
      {
        input: {
          name: input.name ?? null,
          url: input.url,
          events: input.events ?? [],
          projectIds: input.projectIds ?? [],
        },
      },
      { read: false, needsCompany: true },
    );
    const created = data.createWebhook;
    // The one moment Blue shows the secret: keep it, so send/listen --webhook work later.
    if (created.secret) await this.secrets.set(created.id, created.secret);
    let webhook = this.toWebhook(created, created.secret);
    if (input.enabled === false)
      webhook = { ...(await this.disable(created.id)), secret: created.secret };
    return webhook;
  }

  async update(id: string, patch: UpdateWebhookInput): Promise<Webhook> {
    if (patch.url !== undefined) validateUrl(patch.url);
    const input: Record<string, unknown> = { webhookId: id };
    for (const k of ['name', 'url', 'events', 'projectIds', 'enabled'] as const)
      if (patch[k] !== undefined) input[k] = patch[k];
    const data = await this.call<{ updateWebhook: RemoteWebhook }>(
      `mutation Update($input: UpdateWebhookInput!) { updateWebhook(input: $input) { ${FIELDS} } }`,
      { input },
      { read: false },
    );
    return this.toWebhook(data.updateWebhook);
  }

  async enable(id: string): Promise<EnableResult> {
    const webhook = await this.update(id, { enabled: true });
    const healthy = webhook.enabled && webhook.status === 'HEALTHY';
    return {
      webhook,
      healthy,
      detail: healthy ? undefined : "Blue's WEBHOOK_HEALTH_CHECK to the URL did not get a 2xx",
    };
  }

  /**
   * Any authenticated user may disable a webhook (docs section 5), though only its creator can read
   * it: another user's webhook is disabled by id, and what comes back is what is then known of it.
   */
  async disable(id: string): Promise<Webhook> {
    await this.call(
      `mutation Disable($input: DisableWebhookInput!) { disableWebhook(input: $input) { success operationId } }`,
      { input: { webhookId: id } },
      { read: false },
    );
    try {
      return await this.get(id);
    } catch (e) {
      if (!isBluehookError(e) || e.code !== 'blue-forbidden') throw e;
      const now = new Date().toISOString();
      return this.toWebhook({
        id,
        uid: '',
        name: null,
        url: '',
        secret: null,
        status: 'UNHEALTHY',
        enabled: false,
        events: [],
        projectIds: [],
        metadata: null,
        createdAt: now,
        updatedAt: now,
      });
    }
  }

  async delete(id: string): Promise<void> {
    await this.call(
      `mutation Delete($input: DeleteWebhookInput!) { deleteWebhook(input: $input) { success operationId } }`,
      { input: { webhookId: id } },
      { read: false },
    );
    await this.secrets.set(id, undefined);
  }
}
