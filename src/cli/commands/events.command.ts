import { processIo } from '../output.js';
import type { Program } from '../root.js';
import { examples, exitWith } from '../flags.js';

export function defineEvents(program: Program) {
  return program
    .command('events')
    .description('list the event catalogue: 37 events + WEBHOOK_HEALTH_CHECK')
    .option(
      '--group <group>',
      'only this group (record, checklist, list, custom field, tag, comment, webhook)',
    )
    .addHelpText(
      'after',
      examples(
        'bluehook events',
        'bluehook events --group checklist',
        'bluehook events --json | jq -r ".[].name"',
      ),
    )
    .action(async (_opts, cmd) =>
      exitWith(await (await import('./events.js')).run(cmd.optsWithGlobals(), processIo)),
    );
}
