import { processIo } from '../output.js';
import type { Program } from '../root.js';
import { examples, exitWith } from '../flags.js';

export interface DoctorOptions {
  full?: boolean;
  recoverTo?: string;
}

/** The options `doctor` and its alias `deliveries check` share. */
export const doctorHelp = examples(
  'bluehook doctor',
  'bluehook doctor --full',
  'bluehook doctor --recover-to ~/bluehook-recovered.db',
);

export function defineDoctor(program: Program) {
  return program
    .command('doctor')
    .description(
      "check the store's database with SQLite's integrity check (exit 0 healthy, 1 problems found); --recover-to copies what is readable into a new database",
    )
    .option(
      '--full',
      'the full integrity_check (also index contents; slower) instead of quick_check',
    )
    .option(
      '--recover-to <file>',
      'copy every readable row into a new database at <file>; the old one is only read',
    )
    .addHelpText('after', doctorHelp)
    .action(async (opts, cmd) =>
      exitWith(
        await (await import('./doctor.js')).run({ ...cmd.optsWithGlobals(), ...opts }, processIo),
      ),
    );
}
