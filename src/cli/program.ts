/**
 * The commander program: the root command (./root.ts) and the command definitions, each in
 * ./commands/<name>.command.ts beside its handler ./commands/<name>.ts. Definitions are light and
 * imported here; a handler is imported only when its command runs, so `--help` stays fast.
 */
import type { CommandUnknownOpts } from '@commander-js/extra-typings';
import { ExitCode } from '../exit-codes.js';
import { defineCheck } from './commands/check.command.js';
import { defineCompletion } from './commands/completion.command.js';
import { defineConfig } from './commands/config.command.js';
import { defineDelete } from './commands/delete.command.js';
import { defineDeliveries } from './commands/deliveries.command.js';
import { defineDemo } from './commands/demo.command.js';
import { defineEmulator } from './commands/emulator.command.js';
import { defineEvents } from './commands/events.command.js';
import { defineList } from './commands/list.command.js';
import { definePayload } from './commands/payload.command.js';
import { defineRelay } from './commands/relay.command.js';
import { defineShow } from './commands/show.command.js';
import { defineSign } from './commands/sign.command.js';
import { definePull, definePush } from './commands/sync.command.js';
import { defineDisable, defineEnable } from './commands/toggle.command.js';
import { defineUpdate } from './commands/update.command.js';
import {
  defineCreate,
  defineInspect,
  defineListen,
  defineReplay,
  defineSend,
  defineVerify,
} from './attach.js';
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
  relay: defineRelay,
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

/** The command named on the command line, when it is a known one; undefined means register all. */
function commandName(argv: readonly string[]): string | undefined {
  for (let i = 2; i < argv.length; i++) {
    const arg = argv[i]!;
    if (GLOBAL_WITH_VALUE.has(arg)) i++;
    else if (!arg.startsWith('-')) return arg in COMMANDS ? arg : ALIASES[arg];
  }
  return undefined;
}

export function buildProgram(argv: readonly string[] = []) {
  const program = rootCommand(argv);
  const wanted = commandName(argv);
  for (const [name, define] of Object.entries(COMMANDS))
    if (!wanted || wanted === name) define(program);
  return program;
}

export async function run(argv: string[]): Promise<void> {
  // The shell completion scripts call `bluehook __complete <words…>`: answered before commander
  // parses anything, since the words are a half-typed command line.
  if (argv[2] === '__complete') {
    const { candidates } = await import('./completion.js');
    const found = await candidates(buildProgram(), argv.slice(3)).catch(() => []);
    if (found.length) process.stdout.write(`${found.join('\n')}\n`);
    return;
  }
  const program = buildProgram(argv);
  if (argv.length <= 2) {
    // No command: the help, on stdout, exit 0 (as gh and the Stripe CLI do).
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
      process.exitCode = reportError(error, argv.includes('--json'));
    }
  }
}
