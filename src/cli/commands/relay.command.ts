/** The definition of `bluehook relay` and `bluehook relay channel …`. Handlers: ./relay.ts and ./relay-channel.ts, loaded when they run. */
import { Option } from '@commander-js/extra-typings';
import { processIo } from '../output.js';
import type { Program } from '../root.js';
import { examples, exitWith, type OptionsOf } from '../flags.js';
import { intOption } from '../parsers.js';
import { definePruneWebhooks } from './relay-prune.command.js';

function relayCommand(program: Program) {
  return program
    .command('relay')
    .description(
      'a relay on a host Blue can reach: keeps deliveries per channel until your listen --relay takes them',
    )
    .option('--port <port>', 'port (0: a free one)', intOption('--port', 0, 65535), 8080)
    .option('--host <host>', 'address to bind', '0.0.0.0')
    .option(
      '--public-url <url>',
      'the URL Blue reaches this relay at (kept, so channel URLs can be shown)',
    )
    .option('--tls-cert <file>', 'serve HTTPS with this certificate (PEM)')
    .option('--tls-key <file>', 'the private key of --tls-cert (PEM)')
    .option(
      '--trust-proxy',
      'take the client address from X-Forwarded-For (only behind a proxy that sets it)',
    )
    .option('--max-body <size>', 'larger bodies get 413', '1mb')
    .option(
      '--rate-per-address <n>',
      'deliveries and stream openings a second from one address (0: no limit)',
      intOption('--rate-per-address', 0),
      100,
    )
    .option(
      '--rate-per-channel <n>',
      'deliveries a second to one channel (0: no limit)',
      intOption('--rate-per-channel', 0),
      1000,
    )
    .option(
      '--max-connections <n>',
      'connections at once; at the cap the longest-idle one is closed for a newcomer',
      intOption('--max-connections', 16),
      4096,
    )
    .option(
      '--max-connections-per-address <n>',
      'connections at once from one address (0: no limit; off with --trust-proxy)',
      intOption('--max-connections-per-address', 0),
      1024,
    )
    .option(
      '--max-streams <n>',
      'subscriber streams open at once, in all',
      intOption('--max-streams', 1),
      2000,
    )
    .option(
      '--max-streams-per-channel <n>',
      'subscriber streams open at once on one channel',
      intOption('--max-streams-per-channel', 1),
      100,
    )
    .addHelpText(
      'after',
      `\nChannels and deliveries live where the history does: relay.db in the store directory, or the --history PostgreSQL database (several relays may share it).` +
        examples(
          'bluehook relay --public-url https://relay.example.com',
          'bluehook relay --tls-cert cert.pem --tls-key key.pem --port 443',
          'bluehook --history postgres://relay@db/relay relay --port 8080   # several relays, one database',
          'bluehook relay channel create laptop --secret-file blue.secret',
        ),
    );
}

export type RelayOptions = OptionsOf<ReturnType<typeof relayCommand>>;

export function defineRelay(program: Program) {
  const relay = relayCommand(program).action(async (_opts, cmd) =>
    exitWith(await (await import('./relay.js')).run(cmd.optsWithGlobals(), processIo)),
  );
  const channel = relay
    .command('channel')
    .description("the relay's channels: one URL for Blue, one token for your listen --relay");
  channel
    .command('create')
    .argument('<name>', 'a name: letters, digits, . _ - (up to 64)')
    .description('create a channel; its subscriber token is shown once')
    .addOption(
      new Option(
        '--secret <secret>',
        "Blue's webhook secret: deliveries are verified, forgeries refused (visible in `ps`: prefer --secret-file)",
      ).conflicts('secretFile'),
    )
    .option('--secret-file <file>', "read Blue's webhook secret from a file")
    .option(
      '--public-url <url>',
      "the relay's public URL (default: the one the relay was started with)",
    )
    .addHelpText(
      'after',
      examples(
        'bluehook relay channel create laptop --secret-file blue.secret',
        'bluehook relay channel create ci --json     # {"name","path","url","token"}',
      ),
    )
    .action(async (name, _opts, cmd) =>
      exitWith(
        await (await import('./relay-channel.js')).create(name, cmd.optsWithGlobals(), processIo),
      ),
    );
  channel
    .command('list')
    .description('the channels (tokens and secrets are never shown)')
    .action(async (_opts, cmd) =>
      exitWith(await (await import('./relay-channel.js')).list(cmd.optsWithGlobals(), processIo)),
    );
  channel
    .command('rm')
    .argument('<name>', 'the channel')
    .description('remove a channel and every delivery it keeps')
    .option('-y, --yes', 'do not ask (required without a terminal)')
    .action(async (name, _opts, cmd) =>
      exitWith(
        await (await import('./relay-channel.js')).rm(name, cmd.optsWithGlobals(), processIo),
      ),
    );
  channel
    .command('rotate-token')
    .argument('<name>', 'the channel')
    .description('a new subscriber token, shown once; the old one is refused at once')
    .action(async (name, _opts, cmd) =>
      exitWith(
        await (await import('./relay-channel.js')).rotateToken(
          name,
          cmd.optsWithGlobals(),
          processIo,
        ),
      ),
    );
  definePruneWebhooks(relay);
  return relay;
}
