/** Interactive prompts (inquirer), loaded only when a person is at a terminal. */
import { EVENTS, EVENT_GROUPS } from '../blue/catalogue.js';
import { validateUrl } from '../store/types.js';

export interface WebhookAnswers {
  name: string | null;
  url: string;
  events: string[];
  projectIds: string[];
}

const ALL = '__all__';

/** Asks for whatever was not given as a flag; `initial` holds current values when updating. */
export async function askWebhook(
  given: Partial<WebhookAnswers>,
  initial: Partial<WebhookAnswers> = {},
): Promise<WebhookAnswers> {
  const { input, checkbox, Separator } = await import('@inquirer/prompts');
  const name =
    given.name !== undefined
      ? given.name
      : (await input({ message: 'Name (optional)', default: initial.name ?? undefined })).trim() ||
        null;
  const url =
    given.url ??
    (
      await input({
        message: 'URL to deliver to',
        default: initial.url,
        validate: (value) => {
          try {
            validateUrl(value.trim());
            return true;
          } catch (e) {
            return (e as Error).message;
          }
        },
      })
    ).trim();
  let events = given.events;
  if (!events) {
    const current = new Set(initial.events ?? []);
    const choices: Array<
      { name: string; value: string; checked?: boolean } | InstanceType<typeof Separator>
    > = [
      // Pre-checked only for a webhook that has all events now (update); a new one starts empty.
      {
        name: 'All events (also future ones)',
        value: ALL,
        checked: initial.events !== undefined && current.size === 0,
      },
    ];
    for (const group of EVENT_GROUPS.filter((g) => g !== 'webhook')) {
      choices.push(new Separator(`── ${group} ──`));
      for (const e of EVENTS.filter((x) => x.group === group))
        choices.push({ name: e.name, value: e.name, checked: current.has(e.name) });
    }
    const picked = await checkbox({
      message: 'Events',
      choices,
      pageSize: 15,
      required: true,
      loop: false,
      // "All" with specific events is two answers: which one was meant is not guessed.
      validate: (chosen) =>
        chosen.some((c) => c.value === ALL) && chosen.length > 1
          ? 'choose "All events" or specific events, not both (space unticks)'
          : true,
    });
    events = picked.filter((e) => e !== ALL);
  }
  const projectIds =
    given.projectIds ??
    (
      await input({
        message: 'Project ids, comma separated (empty = all projects)',
        default: (initial.projectIds ?? []).join(','),
      })
    )
      .split(',')
      .map((s) => s.trim())
      .filter(Boolean);
  return { name, url, events, projectIds };
}

export async function confirm(message: string, initial = false): Promise<boolean> {
  const { confirm: ask } = await import('@inquirer/prompts');
  return ask({ message, default: initial });
}
