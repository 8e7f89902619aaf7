/** The definition of `bluehook create`: flags, help, examples. The handler is ./create.ts, loaded when it runs. */
import { Option } from '@commander-js/extra-typings';
import type { Program } from '../root.js';
import { examples, type OptionsOf, webhookFlags } from '../flags.js';

/** The flags, help and examples of `bluehook create`. */
export function createCommand(program: Program) {
  return webhookFlags(
    program
      .command('create')
      .description('create a webhook (asks for what is missing on a terminal)'),
  )
    .option('--secret <secret>', 'use this signing secret (default: generate one)')
    .option('--secret-file <file>', 'read the signing secret from a file')
    .addOption(
      new Option('--generate-secret', 'generate a secret (the default)').conflicts([
        'secret',
        'secretFile',
      ]),
    )
    .option(
      '--reveal-secret',
      'print the secret in full (default: masked; the store keeps it, `show --reveal-secret` prints it later)',
    )
    .option('--disabled', 'create it disabled')
    .option('-y, --yes', 'do not ask for confirmation')
    .addHelpText(
      'after',
      examples(
        'bluehook create                                  # on a terminal: asks name, URL, events, projects',
        'bluehook create --name orders --url https://example.com/hooks/blue --events TODO_CREATED,TODO_DELETED',
        'bluehook create --url http://127.0.0.1:4000/ --all-events --json --reveal-secret | jq -r .secret',
      ),
    );
}

/** What `bluehook create`'s handler receives: its options and the global ones. */
export type CreateOptions = OptionsOf<ReturnType<typeof createCommand>>;
