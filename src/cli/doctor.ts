/**
 * `bluehook doctor` and its alias `deliveries check`: one definition, added under both names (a
 * cli/ module, so that neither command imports the other).
 */
import type { Command } from '@commander-js/extra-typings';
import { examples, exitWith } from './flags.js';
import { processIo } from './output.js';

const HELP = examples(
  'bluehook doctor',
  'bluehook doctor --full',
  'bluehook doctor --recover-to ~/bluehook-recovered.db',
);

export function addDoctor(parent: Command, name: string, description: string) {
  return parent
    .command(name)
    .description(description)
    .option(
      '--full',
      'the full integrity_check (also index contents; slower) instead of quick_check',
    )
    .option(
      '--recover-to <file>',
      'copy every readable row into a new database at <file>; the old one is only read',
    )
    .addHelpText('after', HELP)
    .action(async (opts, cmd) =>
      exitWith(
        await (await import('./commands/doctor.js')).run(
          { ...cmd.optsWithGlobals(), ...opts },
          processIo,
        ),
      ),
    );
}
