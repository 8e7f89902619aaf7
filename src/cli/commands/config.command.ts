import { processIo } from '../output.js';
import type { Program } from '../root.js';
import { examples, exitWith } from '../flags.js';

export function defineConfig(program: Program) {
  return program
    .command('config')
    .description('print the resolved configuration and where each value came from')
    .addHelpText(
      'after',
      examples(
        'bluehook config',
        'bluehook config --json',
        'bluehook --config ./ci.bluehookrc.json config',
      ),
    )
    .action(async (_opts, cmd) =>
      exitWith(await (await import('./config.js')).run(cmd.optsWithGlobals(), processIo)),
    );
}
