/** Webhook configs as Blue keeps them, and the store interface every backend implements. */
import { notFoundError, usageError } from '../errors.js';
import { httpUrl } from '../util/http-url.js';

export type WebhookStatus = 'HEALTHY' | 'UNHEALTHY';

/** Mirrors Blue's webhook row (docs/blue-webhooks.md, section 5). Empty lists mean "all". */
export interface Webhook {
  id: string;
  uid: string;
  name: string | null;
  url: string;
  /** Known locally for webhooks this machine created; Blue returns it only once. */
  secret: string | null;
  status: WebhookStatus;
  enabled: boolean;
  events: string[];
  projectIds: string[];
  metadata: { events: string[]; projectIds: string[] };
  createdById: string;
  createdAt: string;
  updatedAt: string;
}

export interface CreateWebhookInput {
  name?: string | null;
  url: string;
  events?: string[];
  projectIds?: string[];
  /** Local store only: use this secret instead of generating one. */
  secret?: string;
  enabled?: boolean;
}

export interface UpdateWebhookInput {
  name?: string | null;
  url?: string;
  events?: string[];
  projectIds?: string[];
  enabled?: boolean;
  status?: WebhookStatus;
}

export interface EnableResult {
  webhook: Webhook;
  /** For Blue: whether the health check Blue sends on enable was answered 2xx. */
  healthy: boolean;
  detail?: string;
}

export interface WebhookStore {
  readonly kind: 'local' | 'blue';
  /** Newest first, like Blue's `webhooks` query. */
  list(filter?: { enabled?: boolean }): Promise<Webhook[]>;
  /** By id, unique id/uid prefix, or name. */
  get(ref: string): Promise<Webhook>;
  create(input: CreateWebhookInput): Promise<Webhook>;
  /** Only the fields given change; lists are replaced, like Blue. */
  update(id: string, patch: UpdateWebhookInput): Promise<Webhook>;
  enable(id: string): Promise<EnableResult>;
  disable(id: string): Promise<Webhook>;
  delete(id: string): Promise<void>;
}

/** Resolves a user's reference: exact id, exact name, then a unique prefix of id or uid. */
export function resolveRef(ref: string, webhooks: readonly Webhook[]): Webhook {
  const wanted = ref.trim();
  if (!wanted) throw usageError('an empty webhook reference', undefined, 'empty-webhook-ref');
  const exact = webhooks.find((w) => w.id === wanted) ?? webhooks.filter((w) => w.name === wanted);
  if (!Array.isArray(exact)) return exact;
  if (exact.length === 1) return exact[0]!;
  const lower = wanted.toLowerCase();
  const byPrefix = exact.length
    ? exact
    : webhooks.filter((w) => w.id.startsWith(lower) || w.uid.startsWith(lower));
  if (byPrefix.length === 1) return byPrefix[0]!;
  if (byPrefix.length === 0) {
    throw notFoundError(
      `no webhook matches "${ref}"`,
      'run `bluehook list` to see ids and names',
      'webhook-not-found',
    );
  }
  const names = byPrefix.slice(0, 6).map((w) => `${w.id}${w.name ? ` (${w.name})` : ''}`);
  throw usageError(
    `"${ref}" is ambiguous: it matches ${byPrefix.length} webhooks: ${names.join(', ')}${byPrefix.length > 6 ? ', …' : ''}`,
    'use more of the id',
    'ambiguous-webhook',
  );
}

/** Blue refuses what is not a valid http(s) URL (BAD_USER_INPUT). */
export function validateUrl(url: string): string {
  httpUrl(url);
  return url;
}

/** A Blue webhook id (a cuid): such a ref may name a webhook of another user, which lists never show. */
export const isBlueId = (ref: string): boolean => /^c[a-z0-9]{24}$/.test(ref);
