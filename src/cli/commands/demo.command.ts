/** The definition of `bluehook demo`: flags, help, examples. The handler is ./demo.ts, loaded when it runs. */
import { Option } from '@commander-js/extra-typings';
import type { Program } from '../root.js';
import { examples, exitWith, payloadFlags, schemeOption, secretFlags, webhookFlags } from '../flags.js';
import { collect, intOption } from '../inputs.js';

export function defineDemo(program: Program) {
  return program
    .command('demo')
    .description('a self-contained round trip on the embedded defaults (what `npm start` runs)')
    .addHelpText('after', examples('bluehook demo', 'npm start'))
    .action(async (_opts, cmd) => exitWith(await (await import('./demo.js')).run(cmd.optsWithGlobals())));
}
