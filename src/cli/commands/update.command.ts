/** The definition of `bluehook update`: flags, help, examples. The handler is ./update.ts, loaded when it runs. */
import { Option } from '@commander-js/extra-typings';
import { processIo } from '../output.js';
import type { Program } from '../root.js';
import { examples, exitWith, webhookFlags } from '../flags.js';

export function defineUpdate(program: Program) {
  return webhookFlags(
    program
      .command('update')
      .argument('<ref>', 'id, unique id/uid prefix, or name')
      .description('change a webhook; lists given replace the stored ones, like Blue'),
  )
    .addOption(new Option('--all-projects', 'receive events of all projects').conflicts('project'))
    .addHelpText(
      'after',
      examples(
        'bluehook update orders --events TODO_CREATED,TODO_MOVED',
        'bluehook update orders --url https://example.com/v2 --all-events',
        'bluehook update orders    # on a terminal: asks',
      ),
    )
    .action(async (a, _opts, cmd) =>
      exitWith(await (await import('./update.js')).run(a, cmd.optsWithGlobals(), processIo)),
    );
}
