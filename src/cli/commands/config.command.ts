/** The definition of `bluehook config`: flags, help, examples. The handler is ./config.ts, loaded when it runs. */
import { Option } from '@commander-js/extra-typings';
import type { Program } from '../root.js';
import { examples, exitWith, payloadFlags, schemeOption, secretFlags, webhookFlags } from '../flags.js';
import { collect, intOption } from '../inputs.js';

export function defineConfig(program: Program) {
  return program
    .command('config')
    .description('print the resolved configuration and where each value came from')
    .addHelpText('after', examples('bluehook config', 'bluehook config --json', 'bluehook --config ./ci.bluehookrc.json config'))
    .action(async (_opts, cmd) => exitWith(await (await import('./config.js')).run(cmd.optsWithGlobals())));
}
