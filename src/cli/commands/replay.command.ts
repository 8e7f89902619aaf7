/** The definition of `bluehook replay`: flags, help, examples. The handler is ./replay.ts, loaded when it runs. */
import { Option } from '@commander-js/extra-typings';
import type { Program } from '../root.js';
import { examples, type OptionsOf, SCHEMES, secretFlags } from '../flags.js';
import { intOption } from '../parsers.js';

/** The flags, help and examples of `bluehook replay`. */
export function replayCommand(program: Program) {
  return secretFlags(
    program
      .command('replay')
      .argument('[ids...]', 'recorded delivery ids or unique prefixes')
      .description('re-send recorded deliveries, verbatim or re-signed')
      .option('--last <n>', 'the last n recorded deliveries', intOption('--last', 1))
      .option('--event <event>', 'recorded deliveries of this event (with --last or alone)')
      .option('--since <duration>', 'only those newer than this (1h)')
      // An edited body no longer matches its recorded signature: it is signed again.
      .addOption(
        new Option(
          '--edit',
          'open the body in $VISUAL / $EDITOR first; the edited body is signed again',
        )
          .conflicts('verbatim')
          .implies({ resign: true }),
      )
      .option(
        '--to <url>',
        'send here (required for received deliveries; default: where it was sent)',
      )
      .addOption(
        new Option(
          '--verbatim',
          'original bytes and signature headers, unchanged (the default)',
        ).conflicts('resign'),
      )
      .option('--resign', 'sign again with --secret or the stored webhook secret'),
  )
    .addOption(
      new Option(
        '--scheme <scheme>',
        'signature scheme for --resign (default: the one the recorded headers show, then config)',
      ).choices(SCHEMES),
    )
    .option(
      '--concurrency <n>',
      'deliveries in flight at once',
      intOption('--concurrency', 1, 10_000),
    )
    .option('--dry-run', 'print what would be sent, as curl commands')
    .option('--expect-status <list>', 'statuses that count as success', '2xx')
    .option('--timeout <duration>', 'per-attempt timeout (default 7s)')
    .option(
      '--retries <n>',
      'retries after the first attempt (default 4)',
      intOption('--retries', 0, 100),
    )
    .option('--backoff <duration>', 'first retry delay, doubling', '1s')
    .option('--no-retry', 'one attempt only')
    .option('--no-record', 'do not record in the history')
    .addHelpText(
      'after',
      examples(
        'bluehook replay d1a2b3',
        'bluehook replay --last 10 --to http://127.0.0.1:3000/webhooks/blue',
        'bluehook replay --event TODO_CREATED --since 1h --resign --secret new-secret',
        'bluehook replay d1a2b3 --dry-run',
      ),
    );
}

/** What `bluehook replay`'s handler receives: its options and the global ones. */
export type ReplayOptions = OptionsOf<ReturnType<typeof replayCommand>>;
