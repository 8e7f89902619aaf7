/**
 * The commander program: the root command (./root.ts) and the command definitions, each in
 * ./commands/<name>.command.ts beside its handler ./commands/<name>.ts. Definitions are light and
 * imported here; a handler is imported only when its command runs, so `--help` stays fast.
 */
import { Help, type CommandUnknownOpts } from '@commander-js/extra-typings';
import { ExitCode } from '../exit-codes.js';
import { defineCompletion } from './commands/completion.command.js';
import { defineConfig } from './commands/config.command.js';
import { defineDelete } from './commands/delete.command.js';
import { defineDeliveries } from './commands/deliveries.command.js';
import { defineDemo } from './commands/demo.command.js';
import { defineEmulator } from './commands/emulator.command.js';
import { defineEvents } from './commands/events.command.js';
import { defineDoctor } from './commands/doctor.command.js';
import { defineList } from './commands/list.command.js';
import { definePayload } from './commands/payload.command.js';
import { defineSchema } from './commands/schema.command.js';
import { defineShow } from './commands/show.command.js';
import { defineSign } from './commands/sign.command.js';
import { definePull, definePush } from './commands/sync.command.js';
import { defineDisable, defineEnable } from './commands/toggle.command.js';
import { defineUpdate } from './commands/update.command.js';
import {
  defineCheck,
  defineCreate,
  defineInspect,
  defineListen,
  defineRelay,
  defineReplay,
  defineSend,
  defineVerify,
} from './attach.js';
import { BluehookError } from '../errors.js';
import { reportError } from './output.js';
import { rootCommand, type Program } from './root.js';

/** Every command, in the order `--help` lists them; only the one being run is registered (start-up time). */
const COMMANDS: Record<string, (program: Program) => unknown> = {
  events: defineEvents,
  payload: definePayload,
  sign: defineSign,
  verify: defineVerify,
  create: defineCreate,
  list: defineList,
  show: defineShow,
  update: defineUpdate,
  enable: defineEnable,
  disable: defineDisable,
  delete: defineDelete,
  send: defineSend,
  listen: defineListen,
  deliveries: defineDeliveries,
  replay: defineReplay,
  check: defineCheck,
  pull: definePull,
  push: definePush,
  emulator: defineEmulator,
  config: defineConfig,
  demo: defineDemo,
  completion: defineCompletion,
  inspect: defineInspect,
  schema: defineSchema,
  relay: defineRelay,
  doctor: defineDoctor,
};

// Other names of commands (Stripe's CLI calls sending an event `trigger`).
const ALIASES: Record<string, string> = { trigger: 'send' };

// Global options that take a value: skipped when looking for the command name.
const GLOBAL_WITH_VALUE = new Set([
  '--config',
  '--store-dir',
  '--store',
  '--api-url',
  '--history',
  '--history-max-age',
  '--history-max-records',
]);

/** The first word of the command line that is not an option or a global option's value. */
function firstWord(argv: readonly string[]): string | undefined {
  for (let i = 2; i < argv.length; i++) {
    const arg = argv[i]!;
    if (GLOBAL_WITH_VALUE.has(arg)) i++;
    else if (!arg.startsWith('-')) return arg;
  }
  return undefined;
}

/** A line of the root help's command list, as the full definition gives it (see listCommands). */
export interface CommandListing {
  name: string;
  aliases: string[];
  term: string;
  description: string;
}

/**
 * The root help's command list, made by the build from the definitions themselves
 * (src/cli/bundle.mjs, a constant in the bundle; undefined in the unbundled modules).
 */
declare const BLUEHOOK_COMMAND_LIST: readonly CommandListing[] | undefined;

/** The program for a command line; `every`: every command fully defined (shell completion). */
export function buildProgram(argv: readonly string[] = [], every = false) {
  const program = rootCommand(argv);
  const word = firstWord(argv);
  // No command on the line (`bluehook`, `bluehook --help`): the root help needs only the list of
  // commands, not their options (defining all of them was a third of --help's own time).
  if (!every && word === undefined && typeof BLUEHOOK_COMMAND_LIST !== 'undefined') {
    listCommands(program, BLUEHOOK_COMMAND_LIST);
    return program;
  }
  const wanted = word === undefined ? undefined : word in COMMANDS ? word : ALIASES[word];
  // An unknown word (`bluehook nope`, `bluehook help send`) gets them all: suggestions, help of one.
  for (const [name, define] of Object.entries(COMMANDS))
    if (!wanted || wanted === name) define(program);
  return program;
}

/** What the root help lists of each command: its term (name, aliases, arguments) and description. */
export function commandListing(program: Program): CommandListing[] {
  const help = program.createHelp();
  return program.commands.map((c) => ({
    name: c.name(),
    aliases: c.aliases(),
    term: help.subcommandTerm(c),
    description: help.subcommandDescription(c),
  }));
}

/** Commands that are only a line of the root help (nothing runs them: no command was named). */
function listCommands(program: Program, list: readonly CommandListing[]): void {
  const terms = new Map(list.map((c) => [c.name, c.term]));
  for (const c of list) program.command(c.name).aliases(c.aliases).description(c.description);
  const usual = new Help();
  program.configureHelp({
    ...program.configureHelp(),
    // `help [command]`, which commander adds itself, keeps its own term.
    subcommandTerm: (c) => terms.get(c.name()) ?? usual.subcommandTerm(c),
  });
}

export async function run(argv: string[]): Promise<void> {
  // The shell completion scripts call `bluehook __complete <words…>`: answered before commander
  // parses anything, since the words are a half-typed command line.
  if (argv[2] === '__complete') {
    const { candidates } = await import('./completion.js');
    const found = await candidates(buildProgram([], true), argv.slice(3)).catch(() => []);
    if (found.length) process.stdout.write(`${found.join('\n')}\n`);
    return;
  }
  const program = buildProgram(argv);
  const asked = argv.slice(2).some((a) => ['-h', '--help', '-V', '--version'].includes(a));
  if (firstWord(argv) === undefined && !asked) {
    // No command (`bluehook`, `bluehook --no-color`): the help, on stdout, exit 0 (as gh and the
    // Stripe CLI do; commander alone would put it on stderr once an option is given).
    program.outputHelp();
    return;
  }
  const override = (c: CommandUnknownOpts): void => {
    c.exitOverride();
    c.commands.forEach(override);
  };
  override(program);
  try {
    await program.parseAsync(argv);
  } catch (error) {
    const code = (error as { code?: string }).code;
    if (
      code === 'commander.helpDisplayed' ||
      code === 'commander.version' ||
      code === 'commander.help'
    ) {
      process.exitCode = ExitCode.ok;
    } else if (typeof code === 'string' && code.startsWith('commander.')) {
      process.exitCode = ExitCode.usage; // commander already printed its one-line message
    } else {
      process.exitCode = reportError(hintForStoreFlag(error, argv), argv.includes('--json'));
    }
  }
}

/**
 * A hint that names a command must name the store the user chose with `--store`: `bluehook list`
 * alone would list the other store. (Chosen in a config file, the plain command is right.)
 */
function hintForStoreFlag(error: unknown, argv: readonly string[]): unknown {
  const at = argv.indexOf('--store');
  const store = at >= 0 ? argv[at + 1] : argv.find((a) => a.startsWith('--store='))?.slice(8);
  if (store !== 'blue' || !(error instanceof BluehookError) || error.code !== 'webhook-not-found')
    return error;
  return new BluehookError(error.message, error.category, {
    code: error.code,
    hint: 'run `bluehook --store blue list` to see ids and names',
  });
}
