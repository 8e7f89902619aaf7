/** The definition of `bluehook show`: flags, help, examples. The handler is ./show.ts, loaded when it runs. */
import { Option } from '@commander-js/extra-typings';
import type { Program } from '../root.js';
import { examples, exitWith, payloadFlags, schemeOption, secretFlags, webhookFlags } from '../flags.js';
import { collect, intOption } from '../inputs.js';

export function defineShow(program: Program) {
  return program
    .command('show')
    .argument('<ref>', 'id, unique id/uid prefix, or name')
    .description('show one webhook (secret masked)')
    .option('--reveal-secret', 'show the secret in full')
    .addHelpText('after', examples('bluehook show orders', 'bluehook show clb4zn --reveal-secret', 'bluehook show orders --json'))
    .action(async (a, _opts, cmd) => exitWith(await (await import('./show.js')).run(a, cmd.optsWithGlobals())));
}
