/** What Blue does with a webhook after a delivery outcome (docs/blue-webhooks.md, section 4). */
import type { Webhook } from '../store/types.js';
import type { DeliveryOutcome } from './deliver.js';
import { BLUE_RETRY_POLICY } from './retry.js';

const BLUE_ATTEMPTS = BLUE_RETRY_POLICY.attempts;

export interface HealthVerdict {
  /** Blue's resulting webhook state. */
  enabled: boolean;
  status: 'HEALTHY' | 'UNHEALTHY';
  message: string;
}

/** After the last failed attempt Blue disables the webhook, marks it UNHEALTHY and emails its creator. */
export function afterDelivery(
  outcome: DeliveryOutcome,
  attemptsAllowed: number,
): HealthVerdict | undefined {
  // Only Blue's own policy (5 attempts) leads to its verdict; --no-retry or fewer retries do not.
  if (
    outcome.final.ok ||
    attemptsAllowed < BLUE_ATTEMPTS ||
    outcome.attempts.length < attemptsAllowed
  )
    return undefined;
  return {
    enabled: false,
    status: 'UNHEALTHY',
    message: `all ${attemptsAllowed} attempts failed: Blue would now disable this webhook, mark it UNHEALTHY and email its creator`,
  };
}

/** Enabling runs one signed WEBHOOK_HEALTH_CHECK POST: 2xx enables, anything else leaves it disabled. */
export function afterHealthCheck(outcome: DeliveryOutcome): HealthVerdict {
  return outcome.final.ok
    ? {
        enabled: true,
        status: 'HEALTHY',
        message: `health check answered ${outcome.final.status}: Blue would enable this webhook (HEALTHY)`,
      }
    : {
        enabled: false,
        status: 'UNHEALTHY',
        message: `health check ${outcome.final.status !== undefined ? `answered ${outcome.final.status}` : `failed (${outcome.final.error?.message})`}: Blue would leave this webhook disabled and UNHEALTHY`,
      };
}

/**
 * Why Blue would not deliver `event` (in `projectId`) to this webhook: disabled, or events or
 * projects listed without it (an empty list means all). Empty when Blue would deliver.
 */
export function deliveryBlockers(
  webhook: Pick<Webhook, 'id' | 'name' | 'enabled' | 'events' | 'projectIds'>,
  event: string | undefined,
  projectId?: string,
): string[] {
  const name = webhook.name ?? webhook.id;
  const reasons: string[] = [];
  if (!webhook.enabled) reasons.push(`webhook ${name} is disabled`);
  if (event && webhook.events.length && !webhook.events.includes(event))
    reasons.push(`webhook ${name} is not subscribed to ${event}`);
  if (projectId && webhook.projectIds.length && !webhook.projectIds.includes(projectId))
    reasons.push(`webhook ${name} does not listen to project ${projectId}`);
  return reasons;
}
