import { processIo } from '../output.js';
import type { Program } from '../root.js';
import { examples, exitWith, payloadFlags } from '../flags.js';

export function definePayload(program: Program) {
  return payloadFlags(
    program
      .command('payload')
      .argument('<event>', 'event name, case-insensitive (see `bluehook events`)')
      .description('print the exact body Blue would send for an event')
      .option('--pretty', 'indent for people (what is signed and sent is the compact form)')
      .option('-o, --out <file>', 'write the body to a file instead of stdout (mode 0600)'),
  )
    .addHelpText(
      'after',
      examples(
        'bluehook payload TODO_CREATED',
        'bluehook payload todo_done_status_updated --seed 42 --pretty',
        'bluehook payload TODO_CREATED --set currentValue.title="Ship it" --set currentValue.done=true',
        'bluehook payload COMMENT_CREATED --webhook-url https://example.com/hook -o comment.json',
      ),
    )
    .action(async (a, _opts, cmd) =>
      exitWith(await (await import('./payload.js')).run(a, cmd.optsWithGlobals(), processIo)),
    );
}
