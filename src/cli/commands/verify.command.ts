import type { Program } from '../root.js';
import { examples, type OptionsOf, schemeOption, secretFlags } from '../flags.js';
import { collect, intOption } from '../parsers.js';

/** The flags, help and examples of `bluehook verify`. */
export function verifyCommand(program: Program) {
  return secretFlags(
    program
      .command('verify')
      .argument('[file]', 'body file as received, or - for stdin (default: stdin)')
      .description('verify a signature; on failure, explain why (exit 1)'),
  )
    .addOption(schemeOption())
    .option('--signature <sig>', "the signature header's value (X-Signature for blue)")
    .option(
      '-H, --header <header>',
      '"Name: value" request header, repeatable (for schemes with several headers)',
      collect,
    )
    .option(
      '--tolerance <seconds>',
      'standard-webhooks: allowed timestamp age',
      intOption('--tolerance'),
      300,
    )
    .addHelpText(
      'after',
      examples(
        'bluehook verify --secret s --signature 5f2c…e1 body.json',
        'cat body.json | bluehook verify --secret s -H "X-Signature: 5f2c…e1"',
        'bluehook verify --scheme standard-webhooks --secret whsec_… -H "webhook-id: msg_1" -H "webhook-timestamp: 1614265330" -H "webhook-signature: v1,…" body.json',
      ),
    );
}

/** What `bluehook verify`'s handler receives: its options and the global ones. */
export type VerifyOptions = OptionsOf<ReturnType<typeof verifyCommand>>;
