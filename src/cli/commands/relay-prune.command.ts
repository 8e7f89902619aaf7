/** The definition of `bluehook relay prune-webhooks`. The handler is ./relay-prune.ts, loaded when it runs. */
import type { Command, OptionValues } from '@commander-js/extra-typings';
import { type GlobalOptions, processIo } from '../output.js';
import { type AnyArgs, examples, exitWith } from '../flags.js';

/** What the handler receives: its own flags and the global ones. */
export type PruneWebhooksOptions = GlobalOptions & { relay?: string; dryRun?: true };

/** Attached to `bluehook relay` (whatever its own options: this one needs only the global ones). */
export function definePruneWebhooks(relay: Command<AnyArgs, OptionValues, OptionValues>) {
  return relay
    .command('prune-webhooks')
    .description(
      "remove the Blue webhooks `listen --register` left behind (a killed session's): their names start with bluehook-relay-",
    )
    .option('--relay <url>', "only those pointing at this channel's URL")
    .option('--dry-run', 'show what would be removed, remove nothing')
    .addHelpText(
      'after',
      `\nA session removes its own webhook when it ends; this is for those a kill -9 or a power cut left. It also removes the webhook of a session that is running: run it when none is.` +
        examples(
          'bluehook --store blue relay prune-webhooks --dry-run',
          'bluehook --store blue relay prune-webhooks --relay https://relay.example.com/c/Xy…',
        ),
    )
    .action(async (_opts, cmd) =>
      exitWith(
        await (await import('./relay-prune.js')).run(
          cmd.optsWithGlobals() as PruneWebhooksOptions,
          processIo,
        ),
      ),
    );
}
