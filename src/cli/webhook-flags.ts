/** The flags that describe a webhook (create, update), turned into store input. */
import { resolveEventList } from '../blue/catalogue.js';
import { usageError } from '../errors.js';
import type { WebhookAnswers } from './prompts.js';

export interface WebhookFlags {
  name?: string;
  url?: string;
  events?: string;
  event?: string[];
  allEvents?: boolean;
  project?: string[];
  allProjects?: boolean;
}

/** Only what was given: undefined fields are asked for (TTY) or defaulted. */
export function webhookFieldsFrom(flags: WebhookFlags): Partial<WebhookAnswers> {
  const fields: Partial<WebhookAnswers> = {};
  if (flags.name !== undefined) fields.name = flags.name.trim() || null;
  if (flags.url !== undefined) fields.url = flags.url.trim();
  // An empty --events is a list of nothing, not "all" (that is --all-events, said out loud).
  if (flags.events !== undefined && !flags.events.split(',').some((e) => e.trim()))
    throw usageError(
      `--events ${JSON.stringify(flags.events)} names no event`,
      'name them, as in --events TODO_CREATED,TODO_DELETED; or --all-events for all',
    );
  const listed = [...(flags.events ? [flags.events] : []), ...(flags.event ?? [])];
  if (flags.allEvents && listed.length)
    throw usageError('--all-events cannot be combined with --events/--event');
  if (flags.allEvents) fields.events = [];
  else if (listed.length) {
    fields.events = resolveEventList(listed);
    if (!fields.events.length)
      throw usageError('--events is empty; use --all-events for all events');
  }
  if (flags.allProjects && flags.project?.length)
    throw usageError('--all-projects cannot be combined with --project');
  if (flags.allProjects) fields.projectIds = [];
  else if (flags.project?.length)
    fields.projectIds = [
      ...new Set(
        flags.project
          .flatMap((p) => p.split(','))
          .map((p) => p.trim())
          .filter(Boolean),
      ),
    ];
  return fields;
}
