/** A client of a running emulator's own endpoint (POST /emulator/trigger), apart from Blue's API. */
import { networkError, usageError } from '../errors.js';

export interface TriggerInput {
  event: string;
  /** The project the event happens in (matched against each webhook's projectIds). */
  projectId?: string;
  /** Payload overrides, `path=value`. */
  set?: string[];
}

export interface TriggerResult {
  event: string;
  /** Ids of the webhooks the event was queued for. */
  queued: string[];
}

/** Asks the emulator behind `apiUrl` (its GraphQL URL) to deliver an event to every matching webhook. */
export async function triggerEvent(
  apiUrl: string,
  input: TriggerInput,
  timeoutMs = 10_000,
): Promise<TriggerResult> {
  const endpoint = new URL('/emulator/trigger', apiUrl);
  const { request } = await import('undici');
  let answer: Partial<TriggerResult> & { errors?: Array<{ message: string }> };
  try {
    const res = await request(endpoint, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ event: input.event, projectId: input.projectId, set: input.set }),
      signal: AbortSignal.timeout(timeoutMs),
    });
    answer = (await res.body.json()) as typeof answer;
  } catch (error) {
    throw networkError(
      `cannot reach the emulator at ${endpoint.href}: ${(error as Error).message}`,
      undefined,
      'emulator-unreachable',
    );
  }
  if (answer.errors?.length)
    throw usageError(`emulator: ${answer.errors[0]!.message}`, undefined, 'emulator-refused');
  return { event: answer.event ?? input.event, queued: answer.queued ?? [] };
}
