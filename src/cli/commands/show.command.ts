import { processIo } from '../output.js';
import type { Program } from '../root.js';
import { examples, exitWith } from '../flags.js';

export function defineShow(program: Program) {
  return program
    .command('show')
    .argument('<ref>', 'id, unique id/uid prefix, or name')
    .description('show one webhook (secret masked)')
    .option('--reveal-secret', 'show the secret in full')
    .addHelpText(
      'after',
      examples(
        'bluehook show orders',
        'bluehook show clb4zn --reveal-secret',
        'bluehook show orders --json',
      ),
    )
    .action(async (a, _opts, cmd) =>
      exitWith(await (await import('./show.js')).run(a, cmd.optsWithGlobals(), processIo)),
    );
}
