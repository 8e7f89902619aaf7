import { processIo } from '../output.js';
import type { Program } from '../root.js';
import { examples, exitWith } from '../flags.js';

export function defineDelete(program: Program) {
  return program
    .command('delete')
    .argument('<ref>', 'id, unique id/uid prefix, or name')
    .description('delete a webhook permanently')
    .option('-y, --yes', 'do not ask for confirmation (required without a terminal)')
    .addHelpText(
      'after',
      examples('bluehook delete orders          # asks to confirm', 'bluehook delete clb4zn --yes'),
    )
    .action(async (a, _opts, cmd) =>
      exitWith(await (await import('./delete.js')).run(a, cmd.optsWithGlobals(), processIo)),
    );
}
