import { processIo } from '../output.js';
import type { Program } from '../root.js';
import { examples, exitWith } from '../flags.js';

export function definePull(program: Program) {
  return program
    .command('pull')
    .description(
      "copy Blue's webhooks into the local store (secrets kept for those bluehook created)",
    )
    .addHelpText(
      'after',
      examples('bluehook pull', 'bluehook pull --api-url http://127.0.0.1:4010/graphql --json'),
    )
    .action(async (_opts, cmd) =>
      exitWith(await (await import('./sync.js')).pull(cmd.optsWithGlobals(), processIo)),
    );
}

export function definePush(program: Program) {
  return program
    .command('push')
    .description("create or update Blue's webhooks from the local store's; prints the plan first")
    .option('--dry-run', 'print the plan (create / update / unchanged) and change nothing')
    .addHelpText(
      'after',
      examples('bluehook push --dry-run', 'bluehook push', 'bluehook push --dry-run --json'),
    )
    .action(async (_opts, cmd) =>
      exitWith(await (await import('./sync.js')).push(cmd.optsWithGlobals(), processIo)),
    );
}
