/** The definition of `bluehook list`: flags, help, examples. The handler is ./list.ts, loaded when it runs. */
import { Option } from '@commander-js/extra-typings';
import { processIo } from '../output.js';
import type { Program } from '../root.js';
import { examples, exitWith } from '../flags.js';

export function defineList(program: Program) {
  return program
    .command('list')
    .description('list webhooks, newest first')
    .addOption(new Option('--enabled', 'only enabled webhooks').conflicts('disabled'))
    .option('--disabled', 'only disabled webhooks')
    .option('--event <event>', 'only webhooks that receive this event')
    .addHelpText(
      'after',
      examples(
        'bluehook list',
        'bluehook list --disabled',
        'bluehook list --event TODO_CREATED --json',
      ),
    )
    .action(async (_opts, cmd) =>
      exitWith(await (await import('./list.js')).run(cmd.optsWithGlobals(), processIo)),
    );
}
