/** The definition of `bluehook emulator`: flags, help, examples. The handler is ./emulator.ts, loaded when it runs. */
import { Option } from '@commander-js/extra-typings';
import { processIo } from '../output.js';
import type { Program } from '../root.js';
import { examples, exitWith } from '../flags.js';
import { collect, intOption } from '../parsers.js';

export function defineEmulator(program: Program) {
  const emulator = program
    .command('emulator')
    .description("a local stand-in for Blue's webhook API (GraphQL) and delivery worker")
    .option('--port <port>', 'port (0 for a free one)', intOption('--port', 0, 65535), 4010)
    .option('--host <host>', 'address to bind', '127.0.0.1')
    .addOption(
      new Option(
        '--data-dir <dir>',
        'where state persists (default: <store dir>/emulator)',
      ).conflicts('ephemeral'),
    )
    .option('--ephemeral', 'keep state in memory only')
    .option(
      '--token <id:secret>',
      'an API token; each is one user (repeatable; default test-id:test-secret)',
      collect,
    )
    .option(
      '--allow-private-urls',
      'accept loopback and private URLs (Blue refuses them; local testing needs them)',
    )
    .option('--delay <duration>', 'queue delay before the first delivery attempt (Blue: 5s)', '5s')
    .option('--backoff <duration>', 'first retry delay, doubling (undocumented by Blue)', '1s')
    .option('--attempt-timeout <duration>', 'per-attempt timeout (Blue: 7s)', '7s')
    .option(
      '--max-webhooks <n>',
      'plan cap: enabled webhooks per organisation, checked at creation',
      intOption('--max-webhooks', 0),
      50,
    )
    .option(
      '--max-take <n>',
      "largest page a webhook list returns (Blue's cap is undocumented; Blue's CLI asks for 500)",
      intOption('--max-take', 1),
      500,
    )
    .addHelpText(
      'after',
      `\nEndpoints: POST /graphql (Blue's API, X-Bloo-* or blue-* auth headers), POST /emulator/trigger {"event","projectId","set"}, GET /emulator/webhooks.` +
        examples(
          'bluehook emulator --ephemeral --allow-private-urls --delay 1s',
          'BLUE_TOKEN_ID=test-id BLUE_TOKEN_SECRET=test-secret BLUE_COMPANY_ID=acme bluehook --store blue --api-url http://127.0.0.1:4010/graphql create --url http://127.0.0.1:4000/ --all-events',
          'bluehook emulator trigger TODO_CREATED --api-url http://127.0.0.1:4010/graphql',
        ),
    )
    .action(async (_opts, cmd) =>
      exitWith(await (await import('./emulator.js')).run(cmd.optsWithGlobals(), processIo)),
    );
  emulator
    .command('trigger')
    .argument('<event>', 'the event to deliver')
    .description('make a running emulator deliver an event to every matching webhook')
    .option('--project <id>', 'the project the event happens in (matched against projectIds)')
    .option('--set <path=value>', 'override a payload field (repeatable)', collect)
    .addHelpText(
      'after',
      examples(
        'bluehook emulator trigger TODO_CREATED',
        'bluehook emulator trigger TAG_CREATED --project cproj… --api-url http://127.0.0.1:4010/graphql',
      ),
    )
    .action(async (a, _opts, cmd) =>
      exitWith(await (await import('./emulator.js')).trigger(a, cmd.optsWithGlobals(), processIo)),
    );
}
