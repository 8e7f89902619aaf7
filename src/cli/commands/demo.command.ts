import { processIo } from '../output.js';
import type { Program } from '../root.js';
import { examples, exitWith } from '../flags.js';

export function defineDemo(program: Program) {
  return program
    .command('demo')
    .description('a self-contained round trip on the embedded defaults (what `npm start` runs)')
    .addHelpText('after', examples('bluehook demo', 'npm start'))
    .action(async (_opts, cmd) =>
      exitWith(await (await import('./demo.js')).run(cmd.optsWithGlobals(), processIo)),
    );
}
