/**
 * Shell completion. `bluehook completion bash|zsh|fish` prints a script that asks
 * `bluehook __complete <words…>` for candidates as the user types: commands and flags from the
 * commander program itself, event names from the catalogue, webhook names from the store, delivery
 * ids from the history (the newest first).
 */
import type { CommandUnknownOpts as Command, Option } from '@commander-js/extra-typings';
import { usageError } from '../errors.js';

export const SCRIPTS: Record<string, string> = {
  bash: `# bluehook completion for bash: eval "$(bluehook completion bash)" (e.g. in ~/.bashrc)
_bluehook() {
  local IFS=$'\\n' candidate quoted
  COMPREPLY=()
  # bash inserts a candidate as it is: quoted here, so that "my hook" becomes my\\ hook.
  for candidate in $(bluehook __complete "\${COMP_WORDS[@]:1:COMP_CWORD}" 2>/dev/null); do
    printf -v quoted '%q' "$candidate"
    COMPREPLY+=("$quoted")
  done
}
complete -o default -F _bluehook bluehook
`,
  // zsh's compadd and fish quote what they insert themselves (compadd unless -Q).
  zsh: `#compdef bluehook
# bluehook completion for zsh: eval "$(bluehook completion zsh)" (e.g. in ~/.zshrc, after compinit)
_bluehook() {
  local -a candidates
  candidates=("\${(@f)$(bluehook __complete "\${(@)words[2,CURRENT]}" 2>/dev/null)}")
  compadd -- $candidates
}
compdef _bluehook bluehook
`,
  fish: `# bluehook completion for fish: bluehook completion fish > ~/.config/fish/completions/bluehook.fish
complete -c bluehook -f -a '(bluehook __complete (commandline -opc)[2..-1] (commandline -ct) 2>/dev/null)'
`,
};

export function script(shell: string | undefined): string {
  const text = shell ? SCRIPTS[shell] : undefined;
  if (!text)
    throw usageError(`completion for which shell? bash, zsh or fish (got "${shell ?? ''}")`);
  return text;
}

const EVENT_OPTIONS = new Set(['--event', '--events', '--expect-event']);
const WEBHOOK_COMMANDS = new Set(['show', 'update', 'delete', 'enable', 'disable']);
const EVENT_COMMANDS = new Set(['payload', 'send', 'trigger', 'schema']);

function optionsOf(cmd: Command): Option[] {
  const all: Option[] = [];
  for (let c: Command | null = cmd; c; c = c.parent) all.push(...(c.options as Option[]));
  return all;
}

async function webhookNames(): Promise<string[]> {
  const { loadConfig } = await import('../config/config.js');
  const { LocalWebhookStore } = await import('../store/local-store.js');
  const config = await loadConfig({});
  const hooks = await new LocalWebhookStore(config.values.storeDir).list();
  return hooks.flatMap((w) => (w.name ? [w.name] : [w.id]));
}

async function deliveryIds(prefix: string): Promise<string[]> {
  const { loadConfig } = await import('../config/config.js');
  const { historySpec, openHistory } = await import('../history/open.js');
  const { history } = await openHistory(historySpec((await loadConfig({})).values));
  try {
    const page = await history.summaries(prefix ? { search: prefix } : {}, {
      order: 'newest',
      limit: 50,
    });
    return page.records.map((r) => r.id);
  } finally {
    await history.close();
  }
}

/**
 * A word as the shell will pass it, from the word as typed: the shells hand completion the raw
 * text (`my\\ h`, `'my h`), while names are matched unquoted.
 */
export function unquoteWord(raw: string): string {
  if (raw.startsWith("'")) return raw.slice(1).replace(/'$/, '');
  if (raw.startsWith('"'))
    return raw
      .slice(1)
      .replace(/"$/, '')
      .replace(/\\(["\\$`])/g, '$1');
  return raw.replace(/\\(.)/g, '$1');
}

/** Candidates for the last word, given the words before it (the words after `bluehook`). */
export async function candidates(program: Command, typed: string[]): Promise<string[]> {
  const words = typed.map(unquoteWord);
  const current = words.at(-1) ?? '';
  const before = words.slice(0, -1);
  let cmd = program;
  const positionals: string[] = [];
  for (let i = 0; i < before.length; i++) {
    const w = before[i]!;
    if (w.startsWith('-')) {
      const opt = optionsOf(cmd).find((o) => o.long === w || o.short === w);
      if (opt && (opt.required || opt.optional)) i++; // skip its value
      continue;
    }
    const sub = cmd.commands.find((c) => c.name() === w || c.aliases().includes(w));
    if (sub && !positionals.length) cmd = sub;
    else positionals.push(w);
  }
  const matching = (list: Iterable<string>) =>
    [...new Set(list)].filter((c) => c.startsWith(current)).sort();
  const { EVENTS } = await import('../blue/catalogue.js');
  const events = EVENTS.map((e) => e.name);
  const prev = before.at(-1);
  const valueOption = prev?.startsWith('-')
    ? optionsOf(cmd).find((o) => o.long === prev || o.short === prev)
    : undefined;
  if (valueOption && (valueOption.required || valueOption.optional)) {
    if (valueOption.argChoices) return matching(valueOption.argChoices);
    if (valueOption.long && EVENT_OPTIONS.has(valueOption.long)) return matching(events);
    if (valueOption.long === '--webhook') return matching(await webhookNames().catch(() => []));
    if (valueOption.long === '--replays-of')
      return matching(await deliveryIds(current).catch(() => []));
    return []; // a free value: the shell completes file names
  }
  if (current.startsWith('-'))
    return matching(
      optionsOf(cmd).flatMap((o) => [o.long ?? '', o.negate ? '' : ''].filter(Boolean)),
    );
  const subcommands = cmd.commands
    .filter((c) => !c.name().startsWith('_'))
    .flatMap((c) => [c.name(), ...c.aliases()]);
  if (subcommands.length && !positionals.length) return matching(subcommands);
  const path = [cmd.parent?.name() !== 'bluehook' ? cmd.parent?.name() : undefined, cmd.name()]
    .filter(Boolean)
    .join(' ');
  if (EVENT_COMMANDS.has(cmd.name()) && !positionals.length) return matching(events);
  if (WEBHOOK_COMMANDS.has(cmd.name()) && cmd.parent?.name() === 'bluehook')
    return matching(await webhookNames().catch(() => []));
  if (['deliveries show', 'deliveries export', 'deliveries rm', 'replay'].includes(path))
    return matching(await deliveryIds(current).catch(() => []));
  return [];
}
