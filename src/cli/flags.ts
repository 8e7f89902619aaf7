/**
 * Flag groups several commands share, help-text helpers, and how a definition hands over to its
 * handler. Light on purpose: every command definition imports it, handlers load only when they run.
 */
import {
  Option,
  type Command,
  type CommandUnknownOpts,
  type OptionValues,
} from '@commander-js/extra-typings';
import { collect } from './parsers.js';

// biome-ignore lint/suspicious/noExplicitAny: a command's positional arguments can be of any shape
export type AnyArgs = any[];

export const examples = (...lines: string[]) =>
  `\nExamples:\n${lines.map((l) => `  $ ${l}`).join('\n')}\n`;

/** A handler's exit code becomes the process's (handlers return it rather than exit). */
export function exitWith(code: unknown): void {
  if (typeof code === 'number') process.exitCode = code;
}

/** The options a command's handler receives: its own and the global ones, as commander parsed them. */
export type OptionsOf<C extends { optsWithGlobals(): unknown }> = ReturnType<C['optsWithGlobals']>;

// The same names as signing/schemes.ts SCHEME_NAMES (a unit test ties them): importing that module
// here would load node:crypto into every start-up, --help included.
export const SCHEMES = ['blue', 'standard-webhooks', 'github'] as const;

/** --scheme with its choices; `fallback` says what is used when it is not given. */
export const schemeOption = (fallback = 'config, then blue') =>
  new Option('--scheme <scheme>', `signature scheme (default: ${fallback})`).choices(SCHEMES);

/*
 * The flag groups below say the option types they add in their signatures: inferring them through
 * a generic command made the type checker run for minutes. Each group's type is next to its flags.
 */
export type With<C, Added extends OptionValues> =
  C extends Command<infer A, infer O, infer G> ? Command<A, O & Added, G> : never;
export const untyped = (cmd: unknown) => cmd as CommandUnknownOpts;

export type SecretFlagValues = {
  secret?: string;
  secretFile?: string;
};

/** --secret or --secret-file (never both: which would win is a guess). */
export function secretFlags<C extends Command<AnyArgs, OptionValues, OptionValues>>(
  cmd: C,
): With<C, SecretFlagValues> {
  untyped(cmd)
    .addOption(
      new Option(
        '--secret <secret>',
        'the signing secret (visible in `ps`: prefer --secret-file or BLUEHOOK_SECRET)',
      ).conflicts('secretFile'),
    )
    .option('--secret-file <file>', 'read the signing secret from a file');
  return cmd as unknown as With<C, SecretFlagValues>;
}

export type PayloadFlagValues = {
  seed?: string;
  set?: string[];
  unset?: string[];
  omitPrevious?: true;
  webhookUrl?: string;
  webhookName?: string;
  project?: string;
};

/** How a generated body is shaped: seed, overrides, the embedded webhook row. */
export function payloadFlags<C extends Command<AnyArgs, OptionValues, OptionValues>>(
  cmd: C,
): With<C, PayloadFlagValues> {
  untyped(cmd)
    .option('--seed <seed>', 'same seed, byte-identical output (no clock, no randomness)')
    .option(
      '--set <path=value>',
      'override a field (a.b[0].c); value parsed as JSON when it parses (repeatable)',
      collect,
    )
    .option('--unset <path>', 'remove a field or array item (repeatable), after --set', collect)
    .option('--omit-previous', "omit previousValue on create events (the 2022 capture's form)")
    .option('--webhook-url <url>', 'url of the embedded webhook row')
    .option('--webhook-name <name>', 'name of the embedded webhook row')
    .option('--project <id>', "the entity's project id (also the webhook's projectIds)");
  return cmd as unknown as With<C, PayloadFlagValues>;
}

export type WebhookFlagValues = {
  name?: string;
  url?: string;
  events?: string;
  event?: string[];
  allEvents?: true;
  project?: string[];
};

/** A webhook's fields, for create and update. */
export function webhookFlags<C extends Command<AnyArgs, OptionValues, OptionValues>>(
  cmd: C,
): With<C, WebhookFlagValues> {
  untyped(cmd)
    .option('--name <name>', 'a unique name')
    .option('--url <url>', 'the http(s) URL deliveries go to')
    .option('--events <list>', 'comma-separated events (case-insensitive)')
    .option('--event <event>', 'an event (repeatable)', collect)
    .option('--all-events', 'all events, including future ones (Blue: an empty list)')
    .option('--project <id>', 'a project id (repeatable); none = all projects', collect);
  return cmd as unknown as With<C, WebhookFlagValues>;
}
