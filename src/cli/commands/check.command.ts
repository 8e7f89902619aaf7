/** The definition of `bluehook check`: flags, help, examples. The handler is ./check.ts, attached in ../attach.ts. */
import { Option } from '@commander-js/extra-typings';
import type { Program } from '../root.js';
import { examples, type OptionsOf, secretFlags } from '../flags.js';
import { collect, intOption } from '../parsers.js';

/** The flags, help and examples of `bluehook check`. */
export function checkCommand(program: Program) {
  return secretFlags(
    program
      .command('check')
      .argument('[url]', 'the endpoint to check (default: the --webhook’s URL)')
      .description(
        "prove that a receiver handles Blue's webhooks correctly: genuine deliveries, forgeries, re-serialised bodies, duplicates, order, size, load, timeouts",
      )
      .option('--webhook <ref>', 'a stored webhook: its URL, secret, row and events'),
  )
    .option(
      '--events <list>',
      'the events the webhook is subscribed to (comma-separated, repeatable; default: all, or the --webhook’s)',
      collect,
    )
    .option('--junit <file>', 'also write the results as JUnit XML (one <testcase> per check)')
    .option('--timeout <duration>', "each request's deadline (Blue's is 7s)", '7s')
    .option(
      '--only <checks>',
      'run only these checks (comma-separated, repeatable; forgery-*)',
      collect,
    )
    .option('--skip <checks>', 'do not run these checks (comma-separated, repeatable)', collect)
    .option(
      '--burst <n>',
      'deliveries in the burst check (default 32), 8 in flight at once as the emulator’s worker',
      intOption('--burst', 1, 10_000),
    )
    .addOption(new Option('--list', 'list the checks and what each proves, then exit'))
    .addHelpText(
      'after',
      `
Each check passes, fails or warns; the table says what was sent, what came back and, for a failure
or a warning, what it means and how to fix it. Every request is recorded in the history, marked
with the run's id (deliveries list --json shows "checkRun"), so a failure can be opened and replayed.

--json prints one JSON document when the run is over (not NDJSON):
{ runId, url, summary, latencyMs, unreachable, exitCode, checks: [...] }. --list names the checks.

A slow endpoint cannot hold a run for minutes: each request has the --timeout deadline, 8 are in
flight at once, and after 3 requests in a row get no answer nothing more is sent (the checks left
are skipped, saying why).

Exit codes: 0 nothing failed (warnings allowed), 1 a check failed, 2 usage, 3 the endpoint could not
be reached at all (refused, DNS, TLS), 4 store or history error.
` +
        examples(
          'bluehook check http://127.0.0.1:3000/webhooks/blue --secret-file secret.txt',
          'bluehook check --webhook orders --junit check-results.xml',
          'bluehook check http://127.0.0.1:3000/hook --secret-file secret.txt --only "forgery-*" --json',
          'bluehook check http://127.0.0.1:3000/hook --secret-file secret.txt --events TODO_CREATED,TODO_DELETED --skip burst',
          'bluehook check --list',
        ),
    );
}

/** What `bluehook check`'s handler receives: its options and the global ones. */
export type CheckOptions = OptionsOf<ReturnType<typeof checkCommand>>;
