import { processIo } from '../output.js';
import type { Program } from '../root.js';
import { examples, exitWith } from '../flags.js';

export function defineEnable(program: Program) {
  return program
    .command('enable')
    .argument('<ref>', 'id, unique id/uid prefix, or name')
    .description('enable a webhook (status HEALTHY)')
    .addHelpText('after', examples('bluehook enable orders', 'bluehook enable clb4zn --json'))
    .action(async (a, _opts, cmd) =>
      exitWith(await (await import('./toggle.js')).enable(a, cmd.optsWithGlobals(), processIo)),
    );
}

export function defineDisable(program: Program) {
  return program
    .command('disable')
    .argument('<ref>', 'id, unique id/uid prefix, or name')
    .description('disable a webhook (status UNHEALTHY, as Blue does)')
    .addHelpText('after', examples('bluehook disable orders'))
    .action(async (a, _opts, cmd) =>
      exitWith(await (await import('./toggle.js')).disable(a, cmd.optsWithGlobals(), processIo)),
    );
}
