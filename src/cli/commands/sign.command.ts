import { processIo } from '../output.js';
import type { Program } from '../root.js';
import { examples, exitWith, schemeOption, secretFlags } from '../flags.js';
import { intOption } from '../parsers.js';

export function defineSign(program: Program) {
  return secretFlags(
    program
      .command('sign')
      .argument('[file]', 'body file, or - for stdin (default: stdin)')
      .description('sign a body and print the headers to send with it'),
  )
    .addOption(schemeOption())
    .option('--id <id>', 'standard-webhooks: message id (default random)')
    .option(
      '--timestamp <unix>',
      'standard-webhooks: unix seconds (default now)',
      intOption('--timestamp'),
    )
    .addHelpText(
      'after',
      examples(
        'bluehook payload TODO_CREATED --seed 1 | bluehook sign --secret s',
        'bluehook sign --secret-file secret.txt body.json --json',
        'bluehook sign --scheme standard-webhooks --secret whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw body.json',
      ),
    )
    .action(async (a, _opts, cmd) =>
      exitWith(await (await import('./sign.js')).run(a, cmd.optsWithGlobals(), processIo)),
    );
}
