/** The definition of `bluehook send`: flags, help, examples. The handler is ./send.ts, loaded when it runs. */
import { Option } from '@commander-js/extra-typings';
import type { Program } from '../root.js';
import { examples, type OptionsOf, payloadFlags, schemeOption, secretFlags } from '../flags.js';
import { collect, intOption } from '../parsers.js';

/** The flags, help and examples of `bluehook send`. */
export function sendCommand(program: Program) {
  // --help shows the flags in groups, in the order a user reaches for them.
  const command = program
    .command('send')
    .alias('trigger')
    .argument('[event]', 'event to send (default TODO_CREATED)')
    .description(
      'build, sign and POST deliveries the way Blue does (retries, health check, load mode)',
    )
    .optionsGroup('Where and how it is signed:')
    .option('--url <url>', 'where to send')
    .option('--webhook <ref>', 'a stored webhook: its URL, secret and row (flags override)')
    .addOption(schemeOption());
  return payloadFlags(
    secretFlags(command)
      .optionsGroup('What is sent:')
      .option(
        '--data <file>',
        'send this body byte-for-byte instead of a generated one (- for stdin)',
      )
      .addOption(
        new Option(
          '--edit',
          'open the body in $VISUAL / $EDITOR before it is signed and sent',
        ).conflicts(['count', 'duration', 'allEvents']),
      ),
  )
    .option('-H, --header <header>', '"Name: value" header to add (repeatable)', collect)
    .option('--user-agent <ua>', 'User-Agent header')
    .optionsGroup('Delivery, as Blue does it:')
    .option(
      '--expect-status <list>',
      'statuses that count as success: codes, classes, lists',
      '2xx',
    )
    .option('--timeout <duration>', 'per-attempt timeout (default 7s, as Blue)')
    .option(
      '--retries <n>',
      'retries after the first attempt (default 4: 5 attempts, as Blue)',
      intOption('--retries', 0, 100),
    )
    .option('--backoff <duration>', 'first retry delay, doubling each time, +-20% jitter', '1s')
    .option('--no-retry', 'one attempt only')
    .option('--delay <duration>', "wait before the first attempt (Blue's queue delay is 5s)")
    .option('--full', 'print the whole response body')
    .optionsGroup('Health and smoke tests:')
    .addOption(
      new Option(
        '--health-check',
        'send the WEBHOOK_HEALTH_CHECK Blue sends on enable; report if Blue would enable',
      ).conflicts(['data', 'count', 'duration']),
    )
    .option(
      '--apply-health',
      "with --webhook: record Blue's verdict (enabled/UNHEALTHY) in the store",
    )
    .addOption(
      new Option(
        '--all-events',
        'send one delivery of every event (a receiver smoke test)',
      ).conflicts(['data', 'count', 'duration', 'healthCheck']),
    )
    .optionsGroup('Load mode:')
    .option('--count <n>', 'deliveries to send', intOption('--count', 1))
    .option('--duration <duration>', 'keep sending for this long (30s, 2m)')
    .option(
      '--concurrency <n>',
      'deliveries in flight at once',
      intOption('--concurrency', 1, 10_000),
    )
    .option('--rate <n>', 'deliveries started per second', intOption('--rate', 1))
    .option('--same-body', 'reuse one body instead of a fresh one per delivery')
    .option(
      '--duplicates <k>',
      'send each delivery k extra times (idempotency tests)',
      intOption('--duplicates', 0, 100),
    )
    .option('--shuffle', 'randomise the order (with --count)')
    .option(
      '--threads <n>',
      'sending threads (default 1; 2 on 4+ cores for runs of 1000+)',
      intOption('--threads', 1, 16),
    )
    .optionsGroup('Recording:')
    .option(
      '--record <what>',
      'what to record in the history: all, failed or none (default: all; load mode: failed)',
    )
    .option('--no-record', 'record nothing (same as --record none)')
    .addHelpText(
      'after',
      `\nExit codes: 0 expected status, 1 answered otherwise, 2 bad input, 3 unreachable (refused, DNS, TLS, timeout).` +
        examples(
          'bluehook send --url http://127.0.0.1:4000/ --secret-file secret.txt',
          'bluehook send TODO_DONE_STATUS_UPDATED --webhook orders --set currentValue.title=Hi',
          'bluehook send --webhook orders --health-check --apply-health',
          'bluehook send --url http://127.0.0.1:4000/ --secret s --all-events',
          'bluehook send --url http://127.0.0.1:4000/ --secret s --count 10000 --concurrency 50 --json | tail -1',
          'bluehook send --url http://127.0.0.1:4000/ --secret s --data body.json --no-retry --expect-status 401',
        ),
    );
}

/** What `bluehook send`'s handler receives: its options and the global ones. */
export type SendOptions = OptionsOf<ReturnType<typeof sendCommand>>;
