/** The definition of `bluehook listen`: flags, help, examples. The handler is ./listen.ts, loaded when it runs. */
import { Option } from '@commander-js/extra-typings';
import type { Program } from '../root.js';
import { examples, type OptionsOf, schemeOption, secretFlags } from '../flags.js';
import { collect, intOption } from '../parsers.js';

/** The flags, help and examples of `bluehook listen`. */
export function listenCommand(program: Program) {
  return secretFlags(
    program
      .command('listen')
      .description('local catch server: verify, record, print, forward, assert')
      .option(
        '--port <port>',
        'port (default 4000; 0 for a free one)',
        intOption('--port', 0, 65535),
      )
      .option('--host <host>', 'address to bind', '127.0.0.1')
      .option('--path <path>', 'the path deliveries are POSTed to', '/')
      .option(
        '--webhook <ref>',
        "verify with this stored webhook's secret (default: every stored webhook)",
      ),
  )
    .addOption(schemeOption())
    .option('--max-body <size>', 'larger bodies get 413', '1mb')
    .option('--accept-invalid', 'answer 200 even when the signature is invalid')
    .option(
      '--events <list>',
      'show only these events (comma-separated); others are still answered and recorded',
    )
    .option(
      '--explain-rejections',
      'put the signature diagnosis in the 401 answer too (off: senders get a plain 401; the diagnosis is printed and recorded)',
    )
    .option(
      '--respond-status <code>',
      'answer valid deliveries with this status',
      intOption('--respond-status', 100, 599),
    )
    .option('--respond-delay <duration>', 'wait this long before answering')
    .option('--fail-rate <fraction>', 'answer 500 to this fraction of deliveries (0..1)')
    .option(
      '--forward-to <url>',
      'forward verified deliveries byte-for-byte to a local app; its status is the answer',
    )
    .option(
      '--forward-header <header>',
      '"Name: value" added to forwarded deliveries (repeatable); only Content-Type, User-Agent and the signature headers are relayed from the sender',
      collect,
    )
    .option(
      '--forward-timeout <duration>',
      'give up forwarding after this long (answer 504)',
      '10s',
    )
    .option(
      '--expect <n>',
      'exit 0 once n valid deliveries have arrived, 1 on --timeout',
      intOption('--expect', 1),
    )
    .option('--expect-event <event>', 'count only this event towards --expect')
    .option('--timeout <duration>', 'how long --expect waits (default: 30s)')
    .addOption(new Option('--once', 'same as --expect 1').conflicts('expect'))
    .option('--verbose', 'print headers and the pretty body of each delivery')
    .option('--utc', 'times in UTC (default: local time, its offset shown)')
    .option('--inspect', 'also serve the web inspector over the history (see bluehook inspect)')
    .option(
      '--inspect-port <port>',
      'port of the inspector (default 4040; 0: a free one)',
      intOption('--inspect-port', 0, 65535),
    )
    .option('--no-record', 'do not record in the history')
    .option(
      '--no-drift',
      "do not compare valid deliveries with the event's schema (a missing or retyped key is a warning; a new key, information)",
    )
    .option(
      '--workers <n>',
      'listener processes on the port (node:cluster), for machines with cores to spare; each records before it answers',
      intOption('--workers', 1, 64),
    )
    .option(
      '--relay <url>',
      "receive a relay channel's deliveries (its URL, https://relay.example.com/c/…) instead of, or with --port besides, a local port",
    )
    .addOption(
      new Option(
        '--relay-token <token>',
        "the channel's subscriber token (visible in `ps`: prefer --relay-token-file or BLUEHOOK_RELAY_TOKEN)",
      ).conflicts('relayTokenFile'),
    )
    .option('--relay-token-file <file>', "read the channel's subscriber token from a file")
    .option(
      '--relay-subscriber <name>',
      'who this listener is to the relay, which keeps a position per name (default: the host name)',
    )
    .option('--relay-ca <file>', 'trust this PEM certificate for the relay (a self-signed one)')
    .option(
      '--relay-retries <n>',
      'connection attempts in a row before giving up with exit 3 (waits 0.5 s, doubling to 30 s)',
      intOption('--relay-retries', 1),
      10,
    )
    .option(
      '--register',
      "with --relay and the Blue store: create a Blue webhook to the channel's URL for this session (removed on exit)",
    )
    .option('--project <ids>', 'with --register: only these projects (comma-separated)')
    .option('--keep', 'with --register: leave the webhook in place on exit')
    .addHelpText(
      'after',
      `\nAnswers: 200 valid; 401 missing/invalid signature; 400 not JSON; 413 too large; 405 not POST; 404 other paths.` +
        examples(
          'bluehook listen --port 4000 --secret s',
          'bluehook listen --port 0 --secret s --expect 3 --json     # CI: exits 0 after 3 valid deliveries',
          'bluehook listen --webhook orders --forward-to http://127.0.0.1:3000/webhooks/blue',
          'bluehook listen --secret s --respond-status 503            # see what Blue does with a failing receiver',
          'bluehook listen --relay https://relay.example.com/c/Xy… --relay-token-file ~/.relay-token --webhook orders --forward-to http://127.0.0.1:3000',
          'bluehook --store blue listen --relay https://relay.example.com/c/Xy… --register --events TODO_CREATED --inspect',
        ),
    );
}

/** What `bluehook listen`'s handler receives: its options and the global ones. */
export type ListenOptions = OptionsOf<ReturnType<typeof listenCommand>>;
