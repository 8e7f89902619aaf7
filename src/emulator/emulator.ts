/**
 * A local stand-in for Blue's webhook API and delivery worker, behaving as Blue is documented to
 * (docs/blue-webhooks.md, sections 4 and 5): per-user webhooks, secret returned once, lists
 * replaced on update, newest first with offset pagination, URL policy, plan cap, the health check
 * on enable, and deliveries with a queue delay, 7 s timeout, 5 attempts and UNHEALTHY at the end.
 */
import { deliveryBlockers } from '../delivery/health.js';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { GraphQLError, buildSchema, graphql, type GraphQLSchema } from 'graphql';
import { buildPayload } from '../blue/payload.js';
import { SampleRandom } from '../blue/random.js';
import { signRequest } from '../delivery/deliver.js';
import { HttpClient } from '../delivery/http.js';
import { backoffFor, BLUE_RETRY_POLICY, BLUE_WORKER_CONNECTIONS } from '../delivery/retry.js';
import { storeError } from '../errors.js';
import { blueScheme, safeEqual } from '../signing/schemes.js';
import { writeFileAtomic } from '../util/fs.js';
import { BLUE_ERRORS, BLUE_WEBHOOK_SDL } from './schema.js';
import { isIP } from 'node:net';
import { checkWebhookUrl, isPublicAddress, publicOnlyLookup } from './url-policy.js';

export interface EmulatorOptions {
  /** Where state persists; undefined = in memory only. */
  dataDir?: string;
  /** token id -> token secret; each token is one user. */
  tokens: Map<string, string>;
  allowPrivateUrls: boolean;
  /** Queue delay before the first attempt (Blue: 5 s). */
  delayMs: number;
  /** First retry backoff (doubling); Blue does not document its schedule. */
  backoffMs: number;
  attempts: number;
  attemptTimeoutMs: number;
  /** Enabled webhooks allowed per organisation, checked at creation. */
  maxWebhooks: number;
  /** The largest `take` a list accepts (Blue's cap is undocumented; Blue's own CLI asks for 500). */
  maxTake?: number;
  /** Called for every delivery attempt the worker makes (for logs). */
  onAttempt?: (info: {
    webhookId: string;
    event: string;
    attempt: number;
    status?: number;
    error?: string;
  }) => void;
  /** A queued delivery or retry was dropped before an attempt: its webhook was deleted or disabled meanwhile. */
  onDropped?: (info: {
    webhookId: string;
    event: string;
    attempt: number;
    reason: 'webhook-deleted' | 'webhook-disabled';
  }) => void;
}

interface StoredWebhook {
  id: string;
  uid: string;
  name: string | null;
  url: string;
  secret: string;
  status: 'HEALTHY' | 'UNHEALTHY';
  enabled: boolean;
  events: string[];
  projectIds: string[];
  createdById: string;
  companyId: string;
  createdAt: string;
  updatedAt: string;
}

interface Caller {
  userId: string;
  companyId?: string;
}

const fail = (code: keyof typeof BLUE_ERRORS, message: string = BLUE_ERRORS[code]) =>
  new GraphQLError(message, {
    extensions: { code: code === 'PRIVATE_URL' ? 'INTERNAL_SERVER_ERROR' : code },
  });

/** A stable user id per token id. */
const userIdFor = (tokenId: string) => new SampleRandom(`user:${tokenId}`).cuid();

/** Reads a header in either family: X-Bloo-* or blue-* (case-insensitive). */
function header(
  headers: Record<string, string | string[] | undefined>,
  ...names: string[]
): string | undefined {
  for (const n of names) {
    const v = headers[n.toLowerCase()];
    if (v) return Array.isArray(v) ? v[0] : v;
  }
  return undefined;
}

export class BlueEmulator {
  private webhooks: StoredWebhook[] = [];
  private readonly schema: GraphQLSchema = buildSchema(BLUE_WEBHOOK_SDL);
  private readonly client: HttpClient;
  private readonly pending = new Set<Promise<void>>();
  private closed = false;

  constructor(private readonly options: EmulatorOptions) {
    // Unless private URLs are allowed, every connection's address is checked as it is made.
    this.client = new HttpClient(
      BLUE_WORKER_CONNECTIONS,
      7_000,
      options.allowPrivateUrls ? undefined : publicOnlyLookup,
    );
    if (options.dataDir && existsSync(this.file!)) {
      let state: { webhooks?: unknown };
      try {
        state = JSON.parse(readFileSync(this.file!, 'utf8')) as { webhooks?: unknown };
      } catch (e) {
        throw storeError(
          `emulator state ${this.file} is corrupt (${(e as Error).message}); it was left untouched`,
          'move it away',
          'emulator-state-unreadable',
        );
      }
      if (!state || !Array.isArray(state.webhooks))
        throw storeError(
          `emulator state ${this.file} is not the emulator's (no webhooks list); it was left untouched`,
          'move it away',
          'emulator-state-unreadable',
        );
      this.webhooks = state.webhooks as StoredWebhook[];
    }
  }

  private get file(): string | undefined {
    return this.options.dataDir ? join(this.options.dataDir, 'emulator.json') : undefined;
  }

  private save(): void {
    if (!this.file) return;
    mkdirSync(this.options.dataDir!, { recursive: true, mode: 0o700 });
    writeFileAtomic(this.file, `${JSON.stringify({ webhooks: this.webhooks }, null, 2)}\n`, 0o600);
  }

  /** Who is calling, from either header family; undefined when the token is unknown. */
  authenticate(headers: Record<string, string | string[] | undefined>): Caller | undefined {
    const id = header(headers, 'x-bloo-token-id', 'blue-token-id');
    const secret = header(headers, 'x-bloo-token-secret', 'blue-token-secret');
    const expected = id ? this.options.tokens.get(id) : undefined;
    // Constant time, as for signatures: a token secret must not leak through timing.
    if (!id || !secret || expected === undefined || !safeEqual(expected, secret)) return undefined;
    return {
      userId: userIdFor(id),
      companyId: header(headers, 'x-bloo-company-id', 'blue-org-id'),
    };
  }

  async execute(
    body: { query?: unknown; variables?: unknown; operationName?: unknown },
    caller: Caller | undefined,
  ): Promise<unknown> {
    if (typeof body.query !== 'string')
      return {
        errors: [{ message: 'Must provide query string.', extensions: { code: 'BAD_USER_INPUT' } }],
      };
    const result = await graphql({
      schema: this.schema,
      source: body.query,
      variableValues: (body.variables ?? undefined) as Record<string, unknown> | undefined,
      operationName: typeof body.operationName === 'string' ? body.operationName : undefined,
      rootValue: this.resolvers(caller),
    });
    // graphql-js leaves parse, validation and variable errors without a code; Apollo (and Blue)
    // give them one, which clients branch on.
    for (const error of result.errors ?? []) {
      if (error.extensions.code !== undefined) continue;
      (error.extensions as Record<string, unknown>).code = error.message.startsWith('Syntax Error')
        ? 'GRAPHQL_PARSE_FAILED'
        : error.message.startsWith('Variable ')
          ? 'BAD_USER_INPUT'
          : 'GRAPHQL_VALIDATION_FAILED';
    }
    return result;
  }

  /** The public shape: the secret only where the caller passes it (create). */
  private view(w: StoredWebhook, withSecret = false) {
    return {
      id: w.id,
      uid: w.uid,
      name: w.name,
      url: w.url,
      secret: withSecret ? w.secret : null,
      status: w.status,
      events: w.events,
      projectIds: w.projectIds,
      enabled: w.enabled,
      metadata: { events: w.events, projectIds: w.projectIds },
      createdAt: w.createdAt,
      updatedAt: w.updatedAt,
    };
  }

  private find(id: string, caller: Caller, { ownerOnly = true } = {}): StoredWebhook {
    const w = this.webhooks.find((x) => x.id === id);
    if (!w) throw fail('WEBHOOK_NOT_FOUND');
    if (ownerOnly && w.createdById !== caller.userId) throw fail('FORBIDDEN');
    return w;
  }

  private async checkUrl(url: string): Promise<void> {
    const verdict = await checkWebhookUrl(url, this.options.allowPrivateUrls);
    if (verdict === 'invalid') throw fail('BAD_USER_INPUT');
    if (verdict === 'unresolvable')
      throw fail('BAD_USER_INPUT', `Invalid URL: ${new URL(url).hostname} does not resolve.`);
    if (verdict === 'private') throw fail('PRIVATE_URL');
  }

  private resolvers(caller: Caller | undefined) {
    const who = (): Caller => {
      if (!caller) throw fail('UNAUTHENTICATED');
      return caller;
    };
    return {
      webhook: ({ id }: { id: string }) => this.view(this.find(id, who())),
      webhooks: ({
        filter,
        skip,
        take,
      }: {
        filter?: { enabled?: boolean | null };
        skip: number;
        take: number;
      }) => {
        const me = who();
        const maxTake = this.options.maxTake ?? 500;
        if (skip < 0 || take < 1 || take > maxTake)
          throw new GraphQLError(`skip must be >= 0 and take between 1 and ${maxTake}`, {
            extensions: { code: 'BAD_USER_INPUT' },
          });
        const mine = this.webhooks
          .filter(
            (w) =>
              w.createdById === me.userId &&
              (filter?.enabled == null || w.enabled === filter.enabled),
          )
          .reverse(); // newest first
        const items = mine.slice(skip, skip + take).map((w) => this.view(w));
        return {
          items,
          pageInfo: {
            totalItems: mine.length,
            totalPages: Math.ceil(mine.length / take),
            page: Math.floor(skip / take) + 1,
            perPage: take,
            hasNextPage: skip + take < mine.length,
            hasPreviousPage: skip > 0,
          },
        };
      },
      createWebhook: async ({
        input,
      }: {
        input: {
          name?: string | null;
          url: string;
          events?: string[] | null;
          projectIds?: string[] | null;
        };
      }) => {
        const me = who();
        if (!me.companyId) throw fail('COMPANY_NOT_FOUND');
        await this.checkUrl(input.url);
        const enabledInCompany = this.webhooks.filter(
          (w) => w.companyId === me.companyId && w.enabled,
        ).length;
        if (enabledInCompany >= this.options.maxWebhooks) throw fail('PLAN_LIMIT_REACHED');
        const rnd = new SampleRandom();
        const now = new Date().toISOString();
        const w: StoredWebhook = {
          id: rnd.cuid(Date.now()),
          uid: rnd.uid(),
          name: input.name ?? null,
          url: input.url,
          secret: `whsec_${randomBytes(24).toString('base64')}`,
          status: 'HEALTHY',
          enabled: true,
          events: [...(input.events ?? [])],
          projectIds: [...(input.projectIds ?? [])],
          createdById: me.userId,
          companyId: me.companyId,
          createdAt: now,
          updatedAt: now,
        };
        this.webhooks.push(w);
        this.save();
        return this.view(w, true);
      },
      updateWebhook: async ({
        input,
      }: {
        input: {
          webhookId: string;
          enabled?: boolean | null;
          name?: string | null;
          url?: string | null;
          events?: string[] | null;
          projectIds?: string[] | null;
        };
      }) => {
        const w = this.find(input.webhookId, who());
        if (input.url != null) await this.checkUrl(input.url);
        if (input.name !== undefined) w.name = input.name;
        if (input.url != null) w.url = input.url;
        if (input.events != null) w.events = input.events.filter((e): e is string => e != null);
        if (input.projectIds != null)
          w.projectIds = input.projectIds.filter((p): p is string => p != null);
        if (input.enabled === false) w.enabled = false;
        if (input.enabled === true) {
          // Every enable first POSTs a signed health check to the (new) URL.
          const healthy = await this.healthCheck(w);
          w.enabled = healthy;
          w.status = healthy ? 'HEALTHY' : 'UNHEALTHY';
        }
        w.updatedAt = new Date().toISOString();
        this.save();
        return this.view(w);
      },
      disableWebhook: ({ input }: { input: { webhookId: string } }) => {
        const w = this.find(input.webhookId, who(), { ownerOnly: false });
        w.enabled = false;
        w.status = 'UNHEALTHY';
        w.updatedAt = new Date().toISOString();
        this.save();
        return { success: true, operationId: null };
      },
      deleteWebhook: ({ input }: { input: { webhookId: string } }) => {
        const w = this.find(input.webhookId, who());
        this.webhooks = this.webhooks.filter((x) => x !== w);
        this.save();
        return { success: true, operationId: null };
      },
    };
  }

  private row(w: StoredWebhook) {
    return {
      id: w.id,
      uid: w.uid,
      name: w.name,
      url: w.url,
      status: w.status,
      enabled: w.enabled,
      events: w.events,
      projectIds: w.projectIds,
      createdById: w.createdById,
      createdAt: w.createdAt,
      updatedAt: w.updatedAt,
    };
  }

  private async post(w: StoredWebhook, event: string, body: Buffer) {
    // An address literal is checked here (no lookup happens for it); a name, at connection time.
    const host = new URL(w.url).hostname.replace(/^\[|\]$/g, '');
    if (!this.options.allowPrivateUrls && isIP(host) && !isPublicAddress(host)) {
      return {
        ok: false,
        durationMs: 0,
        error: {
          kind: 'error' as const,
          message: `${host} is a private/internal address; not connecting`,
        },
      };
    }
    const req = signRequest(new URL(w.url), body, event, w.id, {
      scheme: blueScheme,
      secret: w.secret,
      userAgent: 'bluehook-emulator',
    });
    return this.client.post(req.url, req.body, req.headers, {
      timeoutMs: this.options.attemptTimeoutMs,
      keepBodyBytes: 1024,
    });
  }

  private async healthCheck(w: StoredWebhook): Promise<boolean> {
    const body = Buffer.from(
      JSON.stringify(buildPayload('WEBHOOK_HEALTH_CHECK', { webhook: this.row(w) })),
    );
    const result = await this.post(w, 'WEBHOOK_HEALTH_CHECK', body);
    this.options.onAttempt?.({
      webhookId: w.id,
      event: 'WEBHOOK_HEALTH_CHECK',
      attempt: 1,
      status: result.status,
      error: result.error?.message,
    });
    return result.ok;
  }

  /**
   * Fans an event out to every matching webhook (enabled; event listed or list empty; project
   * listed or list empty) and queues a delivery for each. Returns the ids queued for.
   */
  trigger(event: string, options: { projectId?: string; set?: string[] } = {}): string[] {
    const projectId = options.projectId ?? new SampleRandom().cuid();
    // Blue's matching rule, the one `send` warns with.
    const targets = this.webhooks.filter((w) => deliveryBlockers(w, event, projectId).length === 0);
    for (const w of targets) {
      const body = Buffer.from(
        JSON.stringify(buildPayload(event, { webhook: this.row(w), projectId, set: options.set })),
      );
      const job = this.deliver(w.id, event, body);
      this.pending.add(job);
      void job.finally(() => this.pending.delete(job));
    }
    return targets.map((w) => w.id);
  }

  private async deliver(id: string, event: string, body: Buffer): Promise<void> {
    await sleep(this.options.delayMs);
    for (let attempt = 1; attempt <= this.options.attempts && !this.closed; attempt++) {
      // Re-read before each POST: a deleted webhook's queued deliveries are dropped, and so are a
      // disabled one's (Blue does not document this; a webhook disabled by one event's exhausted
      // retries gets no more attempts for the others queued, which is what disabling means).
      const w = this.webhooks.find((x) => x.id === id);
      if (!w?.enabled) {
        const reason = w ? 'webhook-disabled' : 'webhook-deleted';
        this.options.onDropped?.({ webhookId: id, event, attempt, reason });
        return;
      }
      const result = await this.post(w, event, body);
      const exhausted = !result.ok && attempt === this.options.attempts;
      if (exhausted) {
        const current = this.webhooks.find((x) => x.id === id);
        if (current) {
          current.enabled = false;
          current.status = 'UNHEALTHY';
          current.updatedAt = new Date().toISOString();
          this.save();
        }
      }
      // Said after the webhook's state changed: the last attempt's line means it is disabled.
      this.options.onAttempt?.({
        webhookId: id,
        event,
        attempt,
        status: result.status,
        error: result.error?.message,
      });
      if (result.ok || exhausted) return;
      await sleep(backoffFor(attempt, { ...BLUE_RETRY_POLICY, backoffMs: this.options.backoffMs }));
    }
  }

  /** For tests and `emulator state`: every webhook with its owner, secrets masked. */
  snapshot() {
    return this.webhooks.map((w) => ({
      ...this.view(w),
      createdById: w.createdById,
      companyId: w.companyId,
    }));
  }

  async close(): Promise<void> {
    this.closed = true;
    await this.client.close();
  }
}
