/**
 * A temporary Blue webhook for a listening session through a relay: created pointing at the
 * channel's public URL, removed when the session ends. Its name starts with a fixed prefix, so a
 * leftover of a session that was killed can be found and removed later (`relay prune-webhooks`).
 */
import { hostname } from 'node:os';
import type { Webhook, WebhookStore } from '../store/types.js';

/** Every session webhook's name starts with this. */
export const SESSION_WEBHOOK_PREFIX = 'bluehook-relay-';

/** A subscriber name the relay accepts (1–64 of [A-Za-z0-9._-]), from the host's name. */
export function defaultSubscriber(): string {
  const name = hostname()
    .replace(/[^A-Za-z0-9._-]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, 64);
  return name || 'default';
}

export const isSessionWebhook = (w: Pick<Webhook, 'name'>) =>
  !!w.name && w.name.startsWith(SESSION_WEBHOOK_PREFIX);

export async function registerSessionWebhook(
  store: WebhookStore,
  input: { url: string; subscriber: string; events?: string[]; projectIds?: string[] },
): Promise<Webhook> {
  return store.create({
    name: `${SESSION_WEBHOOK_PREFIX}${input.subscriber}-${Date.now().toString(36)}`,
    url: input.url,
    events: input.events ?? [],
    projectIds: input.projectIds ?? [],
  });
}

/** The session webhooks in a store (of one channel URL, when given). */
export async function sessionWebhooks(store: WebhookStore, url?: string): Promise<Webhook[]> {
  return (await store.list()).filter(
    (w) => isSessionWebhook(w) && (url === undefined || w.url === url),
  );
}
