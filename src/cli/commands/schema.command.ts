/** The definition of `bluehook schema`: flags, help, examples. The handler is ./schema.ts, loaded when it runs. */
import { Option } from '@commander-js/extra-typings';
import { processIo } from '../output.js';
import type { Program } from '../root.js';
import { examples, exitWith } from '../flags.js';

export function defineSchema(program: Program) {
  return program
    .command('schema')
    .argument('[events...]', 'only these events (default: every event), case-insensitive')
    .description(
      'JSON Schema / TypeScript / OpenAPI 3.1 / AsyncAPI 3 for the deliveries of every event',
    )
    .addOption(
      new Option('--format <format>', 'what to print')
        .choices(['json-schema', 'typescript', 'openapi', 'asyncapi'])
        .default('json-schema'),
    )
    .option('-o, --out <file>', 'write to a file instead of stdout')
    .option(
      '--strict',
      'refuse keys the schema does not know (additionalProperties: false): for tests, never for a production receiver',
    )
    .addHelpText(
      'after',
      examples(
        'bluehook schema > blue-delivery.schema.json',
        'bluehook schema --format typescript -o src/blue-webhooks.d.ts',
        'bluehook schema TODO_CREATED TODO_DELETED --format openapi',
        'bluehook schema --format asyncapi -o asyncapi.json',
      ),
    )
    .action(async (a, _opts, cmd) =>
      exitWith(await (await import('./schema.js')).run(a, cmd.optsWithGlobals(), processIo)),
    );
}
