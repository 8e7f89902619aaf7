/** The `bluehook` command itself: its global options, help and error output. Commands attach to it. */
import { Command, Option } from '@commander-js/extra-typings';
import { EXIT_CODES_TEXT, ExitCode } from '../exit-codes.js';
import { examples } from './flags.js';
import { intOption } from './parsers.js';
import { packageVersion } from './version.js';

export function rootCommand(argv: readonly string[]) {
  return (
    new Command('bluehook')
      .description(
        'Webhook toolkit for Blue (blue.cc): manage webhooks, generate, sign, send, listen, verify, record and replay deliveries, offline.',
      )
      .version(packageVersion(), '-V, --version', 'print the version')
      .option('--json', 'machine-readable output on stdout')
      .option('--no-color', 'no colour (NO_COLOR and FORCE_COLOR are respected too)')
      .option('--config <file>', 'use this config file instead of searching for one')
      .option(
        '--store-dir <dir>',
        'local store directory (default: BLUEHOOK_HOME, config storeDir, platform data dir)',
      )
      .addOption(
        new Option(
          '--store <store>',
          'where webhook configs live (default: config store, then local)',
        ).choices(['local', 'blue'] as const),
      )
      .option('--api-url <url>', "Blue's GraphQL endpoint for --store blue (or BLUE_API_URL)")
      .option(
        '--history <where>',
        'the delivery history: sqlite (the store directory, default) or a postgres:// URL (or BLUEHOOK_HISTORY_URL)',
      )
      .option(
        '--commit-timeout <duration>',
        'PostgreSQL history: answer a delivery 500 (so Blue retries) when its commit takes longer (default 5s; or BLUEHOOK_COMMIT_TIMEOUT)',
      )
      .option(
        '--history-max-age <duration>',
        'retention: writers remove records older than this (30d)',
      )
      .option(
        '--history-max-records <n>',
        'retention: writers keep only the newest n records',
        intOption('--history-max-records', 1),
      )
      .showSuggestionAfterError()
      .configureHelp({ showGlobalOptions: true })
      // Commander's own usage errors become one "bluehook: ..." line, like ours.
      .configureOutput({
        outputError: (text, write) => {
          const message = text
            .trim()
            .replace(/^error: /, '')
            .replace(/\s*\n\s*/g, ' ');
          const json = {
            error: {
              message,
              hint: 'see --help',
              code: 'usage',
              category: 'usage',
              exitCode: ExitCode.usage,
            },
          };
          write(
            argv.includes('--json')
              ? `${JSON.stringify(json)}\n`
              : `bluehook: ${message} (see --help)\n`,
          );
        },
      })
      .addHelpText(
        'after',
        `\n${EXIT_CODES_TEXT}` +
          examples(
            'bluehook events',
            'bluehook payload TODO_CREATED --seed 1 --pretty',
            'bluehook payload TODO_CREATED --seed 1 | bluehook sign --secret-file secret.txt',
            'bluehook verify --secret-file secret.txt --signature <hex> body.json',
          ),
      )
  );
}

/** The root command's type: every command definition attaches to it and sees its global options. */
export type Program = ReturnType<typeof rootCommand>;
