import type { Program } from '../root.js';
import { examples, type OptionsOf } from '../flags.js';
import { intOption } from '../parsers.js';

/** The flags, help and examples of `bluehook inspect`. */
export function inspectCommand(program: Program) {
  return program
    .command('inspect')
    .description(
      'a web inspector over the recorded deliveries: live list, detail, replay, edit and resend, compose, diff',
    )
    .option(
      '--port <port>',
      'port of the page (0: a free one)',
      intOption('--port', 0, 65535),
      4040,
    )
    .option(
      '--host <host>',
      'address to bind (anything but loopback can be reached from other machines)',
      '127.0.0.1',
    )
    .option('--open', 'open the page in the browser')
    .addHelpText(
      'after',
      examples(
        'bluehook inspect --open',
        'bluehook inspect --port 0 --json      # first line: {"type":"ready","url":…}',
        "bluehook --history postgres://… inspect   # a team's shared history",
        'bluehook listen --secret s --inspect     # both in one process',
      ),
    );
}

/** What `bluehook inspect`'s handler receives: its options and the global ones. */
export type InspectOptions = OptionsOf<ReturnType<typeof inspectCommand>>;
