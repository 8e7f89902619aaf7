/** The definition of `bluehook deliveries`: flags, help, examples. The handler is ./deliveries.ts, loaded when it runs. */
import { addDoctor } from '../doctor.js';
import { Option, type Command, type OptionValues } from '@commander-js/extra-typings';
import { processIo } from '../output.js';
import type { Program } from '../root.js';
import { examples, exitWith, untyped, type AnyArgs, type With } from '../flags.js';
import { intOption } from '../parsers.js';

type FilterFlagValues = {
  event?: string;
  webhook?: string;
  invalid?: true;
  valid?: true;
  failed?: true;
  delivered?: true;
  status?: string;
  since?: string;
  until?: string;
  replaysOf?: string;
  checkRun?: string;
  search?: string;
  direction?: 'in' | 'out';
  drift?: true;
};

/** Which recorded deliveries: list, export and count take the same filters. */
function filterFlags<C extends Command<AnyArgs, OptionValues, OptionValues>>(
  cmd: C,
): With<C, FilterFlagValues> {
  untyped(cmd)
    .addOption(
      new Option('--invalid', 'only received deliveries whose signature was rejected').conflicts([
        'valid',
        'failed',
        'delivered',
      ]),
    )
    .addOption(
      new Option('--valid', 'only received deliveries that verified').conflicts([
        'failed',
        'delivered',
      ]),
    )
    .addOption(
      new Option('--failed', 'only sent deliveries not answered as expected').conflicts(
        'delivered',
      ),
    )
    .option('--delivered', 'only sent deliveries answered as expected')
    .option('--event <event>', 'only this event')
    .option('--webhook <ref>', 'only this webhook')
    .option('--status <code>', 'only answers with this status (404) or class (5xx)')
    .option('--since <duration>', 'only newer than this (1h, 7d)')
    .option('--until <duration>', 'only older than this (1h, 7d)')
    .option('--replays-of <id>', 'only replays of this delivery')
    .option('--check-run <id>', 'only the requests of this `bluehook check` run (its run id)')
    .option(
      '--search <text>',
      'ids starting with, events containing, or headers and bodies holding these words',
    )
    .option(
      '--drift',
      "only received deliveries that differ from their event's schema (warnings and new keys)",
    )
    .addOption(
      new Option('--direction <dir>', 'received (in) or sent (out)').choices(['in', 'out']),
    );
  return cmd as unknown as With<C, FilterFlagValues>;
}

export function defineDeliveries(program: Program) {
  const deliveries = program
    .command('deliveries')
    .description('the recorded history: list, show, export, import, rm, clear, prune, count');
  deliveries.addHelpText(
    'after',
    examples(
      'bluehook deliveries list --limit 20',
      'bluehook deliveries show d1a2b3',
      'bluehook deliveries export d1a2b3 --format curl',
    ),
  );
  filterFlags(
    deliveries
      .command('list')
      .description('list recorded deliveries, oldest first (streams; --limit shows the newest n)'),
  )
    .option('--limit <n>', 'only the newest n', intOption('--limit', 1))
    .option('-f, --follow', 'then print new deliveries as they are recorded, until Ctrl-C')
    .option('--wide', "whole rows, however wide: not cut to the terminal's width")
    .option('--utc', 'times in UTC (default: local time, its offset shown)')
    .addHelpText(
      'after',
      examples(
        'bluehook deliveries list',
        'bluehook deliveries list --direction in --invalid --since 1h',
        'bluehook deliveries list --drift                      # deliveries that differ from the schema',
        'bluehook deliveries list --status 5xx --limit 20',
        'bluehook deliveries list --json --limit 5',
        'bluehook deliveries list --search "Ship it"          # words in bodies and headers too',
        'bluehook deliveries list --limit 5 --follow',
      ),
    )
    .action(async (_opts, cmd) =>
      exitWith(await (await import('./deliveries.js')).list(cmd.optsWithGlobals(), processIo)),
    );
  deliveries
    .command('show')
    .argument('<id>', 'delivery id or unique prefix')
    .description('headers, pretty body, verdict and answer of one delivery')
    .option('--utc', 'the time in UTC (default: local time, its offset shown)')
    .addHelpText(
      'after',
      examples('bluehook deliveries show d1a2b3', 'bluehook deliveries show d1a2b3 --json'),
    )
    .action(async (a, _opts, cmd) =>
      exitWith(await (await import('./deliveries.js')).show(a, cmd.optsWithGlobals(), processIo)),
    );
  filterFlags(
    deliveries
      .command('export')
      .argument(
        '[ids...]',
        'delivery ids or unique prefixes (ndjson: default every one the filters select)',
      )
      .description(
        'export a delivery as JSON, a curl command, a HAR 1.2 entry or a fixture (the exact body); or many as NDJSON',
      ),
  )
    .addOption(
      new Option('--format <format>', 'output format')
        .choices(['json', 'curl', 'har', 'fixture', 'ndjson'])
        .default('json'),
    )
    .option('--to <url>', 'target URL for curl/HAR (received deliveries have none)')
    .option('-o, --out <file>', 'write to a file (mode 0600)')
    .addHelpText(
      'after',
      examples(
        'bluehook deliveries export d1a2b3 --format curl',
        'bluehook deliveries export d1a2b3 --format har -o delivery.har',
        'bluehook deliveries export d1a2b3 --format fixture -o test/fixtures/todo.json',
        'bluehook deliveries export --format ndjson --since 7d -o week.ndjson     # the portable form; see deliveries import',
      ),
    )
    .action(async (a, _opts, cmd) =>
      exitWith(
        await (await import('./deliveries.js')).exportRecords(a, cmd.optsWithGlobals(), processIo),
      ),
    );
  deliveries
    .command('import')
    .argument(
      '<file>',
      'an NDJSON file (deliveries export --format ndjson, or an old deliveries.ndjson)',
    )
    .description('import recorded deliveries; ids already recorded are skipped')
    .addHelpText(
      'after',
      examples(
        'bluehook deliveries import week.ndjson',
        'bluehook --history postgres://ci@db/hooks deliveries import week.ndjson',
      ),
    )
    .action(async (a, _opts, cmd) =>
      exitWith(
        await (await import('./deliveries.js')).importFile(a, cmd.optsWithGlobals(), processIo),
      ),
    );
  addDoctor(
    deliveries,
    'check',
    'the same as bluehook doctor: check the store database, or --recover-to a new one',
  );
  deliveries
    .command('rm')
    .argument('<id...>', 'delivery ids or unique prefixes')
    .description('remove recorded deliveries (only those: records arriving meanwhile are kept)')
    .addHelpText('after', examples('bluehook deliveries rm d1a2b3 d4e5f6'))
    .action(async (a, _opts, cmd) =>
      exitWith(await (await import('./deliveries.js')).rm(a, cmd.optsWithGlobals(), processIo)),
    );
  deliveries
    .command('clear')
    .description('remove all recorded deliveries, or those older than --before')
    .option('--before <duration>', 'only older than this (7d)')
    .option('-y, --yes', 'do not ask (required without a terminal)')
    .addHelpText(
      'after',
      examples('bluehook deliveries clear --before 7d --yes', 'bluehook deliveries clear'),
    )
    .action(async (_opts, cmd) =>
      exitWith(await (await import('./deliveries.js')).clear(cmd.optsWithGlobals(), processIo)),
    );
  deliveries
    .command('prune')
    .description('apply the retention policy now (historyMaxAge / historyMaxRecords, or the flags)')
    .option('--max-age <duration>', 'remove records older than this (30d)')
    .option('--max-records <n>', 'keep only the newest n records', intOption('--max-records', 1))
    .addHelpText(
      'after',
      examples(
        'bluehook deliveries prune --max-age 30d',
        'bluehook deliveries prune --max-records 100000 --json',
      ),
    )
    .action(async (_opts, cmd) =>
      exitWith(await (await import('./deliveries.js')).prune(cmd.optsWithGlobals(), processIo)),
    );
  filterFlags(
    deliveries
      .command('count')
      .description('how many recorded deliveries match, and where the history lives'),
  )
    .addHelpText(
      'after',
      examples(
        'bluehook deliveries count',
        'bluehook deliveries count --direction in --invalid --since 1d',
      ),
    )
    .action(async (_opts, cmd) =>
      exitWith(await (await import('./deliveries.js')).count(cmd.optsWithGlobals(), processIo)),
    );
}
