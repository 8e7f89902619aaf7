/**
 * The commander program: every command's flags, help and examples. Handlers live in
 * ./commands/<name>.js and are imported only when their command runs, so `--help` stays fast.
 */
import { Command, Option } from 'commander';
import { EXIT_CODES_TEXT, ExitCode } from '../exit-codes.js';
import { packageVersion } from './main.js';
import { collect, intOption } from './inputs.js';
import { reportError } from './output.js';

type Handler = (...args: any[]) => Promise<number | void> | number | void;

/** Defers to ./commands/<module>.js; its `run(positionals..., options)` returns the exit code. */
function lazy(module: string, exportName = 'run') {
  return async (...args: unknown[]) => {
    const command = args[args.length - 1] as Command;
    const positionals = args.slice(0, -2);
    const mod = (await import(`./commands/${module}.js`)) as Record<string, Handler>;
    const code = await mod[exportName]!(...positionals, command.optsWithGlobals());
    if (typeof code === 'number') process.exitCode = code;
  };
}

const examples = (...lines: string[]) => `\nExamples:\n${lines.map((l) => `  $ ${l}`).join('\n')}\n`;

function payloadFlags(cmd: Command): Command {
  return cmd
    .option('--seed <seed>', 'same seed, byte-identical output (no clock, no randomness)')
    .option('--set <path=value>', 'override a field (a.b[0].c); value parsed as JSON when it parses (repeatable)', collect)
    .option('--unset <path>', 'remove a field or array item (repeatable), after --set', collect)
    .option('--omit-previous', "omit previousValue on create events (the 2022 capture's form)")
    .option('--webhook-url <url>', 'url of the embedded webhook row')
    .option('--webhook-name <name>', 'name of the embedded webhook row')
    .option('--project <id>', "the entity's project id (also the webhook's projectIds)");
}

function webhookFlags(cmd: Command): Command {
  return cmd
    .option('--name <name>', 'a unique name')
    .option('--url <url>', 'the http(s) URL deliveries go to')
    .option('--events <list>', 'comma-separated events (case-insensitive)')
    .option('--event <event>', 'an event (repeatable)', collect)
    .option('--all-events', 'all events, including future ones (Blue: an empty list)')
    .option('--project <id>', 'a project id (repeatable); none = all projects', collect);
}

const secretFlags = (cmd: Command) =>
  cmd
    .option('--secret <secret>', 'the signing secret (or BLUEHOOK_SECRET)')
    .option('--secret-file <file>', 'read the signing secret from a file');

const schemeOption = () =>
  new Option('--scheme <scheme>', 'signature scheme').choices(['blue', 'standard-webhooks', 'github']).default('blue');

/** Each command's definition; only the one being run is registered (start-up time). */
const COMMANDS: Record<string, (program: Command) => void> = {
  events: (program) => {
    program
      .command('events')
      .description('list the event catalogue: 37 events + WEBHOOK_HEALTH_CHECK')
      .option('--group <group>', 'only this group (record, checklist, list, custom field, tag, comment, webhook)')
      .addHelpText('after', examples('bluehook events', 'bluehook events --group checklist', 'bluehook events --json | jq -r ".[].name"'))
      .action(lazy('events'));
  },
  payload: (program) => {
    payloadFlags(
      program
        .command('payload')
        .argument('<event>', 'event name, case-insensitive (see `bluehook events`)')
        .description('print the exact body Blue would send for an event')
        .option('--pretty', 'indent for people (what is signed and sent is the compact form)')
        .option('-o, --out <file>', 'write the body to a file instead of stdout'),
    )
      .addHelpText(
        'after',
        examples(
          'bluehook payload TODO_CREATED',
          'bluehook payload todo_done_status_updated --seed 42 --pretty',
          'bluehook payload TODO_CREATED --set currentValue.title="Ship it" --set currentValue.done=true',
          'bluehook payload COMMENT_CREATED --webhook-url https://example.com/hook -o comment.json',
        ),
      )
      .action(lazy('payload'));
  },
  sign: (program) => {
    secretFlags(
      program
        .command('sign')
        .argument('[file]', 'body file, or - for stdin (default: stdin)')
        .description('sign a body and print the headers to send with it'),
    )
      .addOption(schemeOption())
      .option('--id <id>', 'standard-webhooks: message id (default random)')
      .option('--timestamp <unix>', 'standard-webhooks: unix seconds (default now)', intOption('--timestamp'))
      .addHelpText(
        'after',
        examples(
          'bluehook payload TODO_CREATED --seed 1 | bluehook sign --secret s',
          'bluehook sign --secret-file secret.txt body.json --json',
          'bluehook sign --scheme standard-webhooks --secret whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw body.json',
        ),
      )
      .action(lazy('sign'));
  },
  verify: (program) => {
    secretFlags(
      program
        .command('verify')
        .argument('[file]', 'body file as received, or - for stdin (default: stdin)')
        .description('verify a signature; on failure, explain why (exit 1)'),
    )
      .addOption(schemeOption())
      .option('--signature <sig>', "the signature header's value (X-Signature for blue)")
      .option('-H, --header <header>', '"Name: value" request header, repeatable (for schemes with several headers)', collect)
      .option('--tolerance <seconds>', 'standard-webhooks: allowed timestamp age', intOption('--tolerance'), 300)
      .addHelpText(
        'after',
        examples(
          'bluehook verify --secret s --signature 5f2c…e1 body.json',
          'cat body.json | bluehook verify --secret s -H "X-Signature: 5f2c…e1"',
          'bluehook verify --scheme standard-webhooks --secret whsec_… -H "webhook-id: msg_1" -H "webhook-timestamp: 1614265330" -H "webhook-signature: v1,…" body.json',
        ),
      )
      .action(lazy('verify'));
  },
  create: (program) => {
    webhookFlags(
      program
        .command('create')
        .description('create a webhook (asks for what is missing on a terminal)'),
    )
      .option('--secret <secret>', 'use this signing secret (default: generate one)')
      .option('--secret-file <file>', 'read the signing secret from a file')
      .option('--generate-secret', 'generate a secret (the default)')
      .option('--disabled', 'create it disabled')
      .option('-y, --yes', 'do not ask for confirmation')
      .addHelpText(
        'after',
        examples(
          'bluehook create                                  # on a terminal: asks name, URL, events, projects',
          'bluehook create --name orders --url https://example.com/hooks/blue --events TODO_CREATED,TODO_DELETED',
          'bluehook create --url http://127.0.0.1:4000/ --all-events --json | jq -r .secret',
        ),
      )
      .action(lazy('create'));
  },
  list: (program) => {
    program
      .command('list')
      .description('list webhooks, newest first')
      .option('--enabled', 'only enabled webhooks')
      .option('--disabled', 'only disabled webhooks')
      .option('--event <event>', 'only webhooks that receive this event')
      .addHelpText('after', examples('bluehook list', 'bluehook list --disabled', 'bluehook list --event TODO_CREATED --json'))
      .action(lazy('list'));
  },
  show: (program) => {
    program
      .command('show')
      .argument('<ref>', 'id, unique id/uid prefix, or name')
      .description('show one webhook (secret masked)')
      .option('--reveal-secret', 'show the secret in full')
      .addHelpText('after', examples('bluehook show orders', 'bluehook show clb4zn --reveal-secret', 'bluehook show orders --json'))
      .action(lazy('show'));
  },
  update: (program) => {
    webhookFlags(
      program
        .command('update')
        .argument('<ref>', 'id, unique id/uid prefix, or name')
        .description('change a webhook; lists given replace the stored ones, like Blue'),
    )
      .option('--all-projects', 'receive events of all projects')
      .addHelpText(
        'after',
        examples('bluehook update orders --events TODO_CREATED,TODO_MOVED', 'bluehook update orders --url https://example.com/v2 --all-events', 'bluehook update orders    # on a terminal: asks'),
      )
      .action(lazy('update'));
  },
  enable: (program) => {
    program
      .command('enable')
      .argument('<ref>', 'id, unique id/uid prefix, or name')
      .description('enable a webhook (status HEALTHY)')
      .addHelpText('after', examples('bluehook enable orders', 'bluehook enable clb4zn --json'))
      .action(lazy('toggle', 'enable'));
  },
  disable: (program) => {
    program
      .command('disable')
      .argument('<ref>', 'id, unique id/uid prefix, or name')
      .description('disable a webhook (status UNHEALTHY, as Blue does)')
      .addHelpText('after', examples('bluehook disable orders'))
      .action(lazy('toggle', 'disable'));
  },
  delete: (program) => {
    program
      .command('delete')
      .argument('<ref>', 'id, unique id/uid prefix, or name')
      .description('delete a webhook permanently')
      .option('-y, --yes', 'do not ask for confirmation (required without a terminal)')
      .addHelpText('after', examples('bluehook delete orders          # asks to confirm', 'bluehook delete clb4zn --yes'))
      .action(lazy('delete'));
  },
  send: (program) => {
    payloadFlags(
      secretFlags(
        program
          .command('send')
          .alias('trigger')
          .argument('[event]', 'event to send (default TODO_CREATED)')
          .description('build, sign and POST deliveries the way Blue does (retries, health check, load mode)')
          .option('--url <url>', 'where to send')
          .option('--webhook <ref>', 'a stored webhook: its URL, secret and row (flags override)'),
      ),
    )
      .option('--edit', 'open the body in $VISUAL / $EDITOR before it is signed and sent')
      .option('--data <file>', 'send this body byte-for-byte instead of a generated one (- for stdin)')
      .addOption(new Option('--scheme <scheme>', 'signature scheme (default: config, then blue)').choices(['blue', 'standard-webhooks', 'github']))
      .option('-H, --header <header>', '"Name: value" header to add (repeatable)', collect)
      .option('--user-agent <ua>', 'User-Agent header')
      .option('--expect-status <list>', 'statuses that count as success: codes, classes, lists', '2xx')
      .option('--full', 'print the whole response body')
      .option('--timeout <duration>', 'per-attempt timeout (default 7s, as Blue)')
      .option('--retries <n>', 'retries after the first attempt (default 4: 5 attempts, as Blue)', intOption('--retries', 0, 100))
      .option('--backoff <duration>', 'first retry delay, doubling each time, +-20% jitter', '1s')
      .option('--no-retry', 'one attempt only')
      .option('--delay <duration>', "wait before the first attempt (Blue's queue delay is 5s)")
      .option('--health-check', 'send the WEBHOOK_HEALTH_CHECK Blue sends on enable; report if Blue would enable')
      .option('--apply-health', "with --webhook: record Blue's verdict (enabled/UNHEALTHY) in the store")
      .option('--all-events', 'send one delivery of every event (a receiver smoke test)')
      .option('--count <n>', 'load mode: deliveries to send', intOption('--count', 1))
      .option('--duration <duration>', 'load mode: keep sending for this long (30s, 2m)')
      .option('--concurrency <n>', 'load mode: deliveries in flight at once', intOption('--concurrency', 1, 10_000))
      .option('--rate <n>', 'load mode: deliveries started per second', intOption('--rate', 1))
      .option('--same-body', 'load mode: reuse one body instead of a fresh one per delivery')
      .option('--duplicates <k>', 'load mode: send each delivery k extra times (idempotency tests)', intOption('--duplicates', 0, 100))
      .option('--shuffle', 'load mode: randomise the order (with --count)')
      .option('--threads <n>', 'load mode: sending threads (default 1; 2 on 4+ cores for runs of 1000+)', intOption('--threads', 1, 16))
      .option('--record <what>', 'what to record in the history: all, failed or none (default: all; load mode: failed)')
      .option('--no-record', 'record nothing (same as --record none)')
      .addHelpText(
        'after',
        `\nExit codes: 0 expected status, 1 answered otherwise, 2 bad input, 3 unreachable (refused, DNS, TLS, timeout).` +
          examples(
            'bluehook send --url http://127.0.0.1:4000/ --secret s',
            'bluehook send TODO_DONE_STATUS_UPDATED --webhook orders --set currentValue.title=Hi',
            'bluehook send --webhook orders --health-check --apply-health',
            'bluehook send --url http://127.0.0.1:4000/ --secret s --all-events',
            'bluehook send --url http://127.0.0.1:4000/ --secret s --count 10000 --concurrency 50 --json | tail -1',
            'bluehook send --url http://127.0.0.1:4000/ --secret s --data body.json --no-retry --expect-status 401',
          ),
      )
      .action(lazy('send'));
  },
  listen: (program) => {
    secretFlags(
      program
        .command('listen')
        .description('local catch server: verify, record, print, forward, assert')
        .option('--port <port>', 'port (default 4000; 0 for a free one)', intOption('--port', 0, 65535))
        .option('--host <host>', 'address to bind', '127.0.0.1')
        .option('--path <path>', 'the path deliveries are POSTed to', '/')
        .option('--webhook <ref>', "verify with this stored webhook's secret (default: every stored webhook)"),
    )
      .addOption(new Option('--scheme <scheme>', 'signature scheme (default: config, then blue)').choices(['blue', 'standard-webhooks', 'github']))
      .option('--max-body <size>', 'larger bodies get 413', '1mb')
      .option('--accept-invalid', 'answer 200 even when the signature is invalid')
      .option('--events <list>', 'show only these events (comma-separated); others are still answered and recorded')
      .option('--explain-rejections', 'put the signature diagnosis in the 401 answer too (off: senders get a plain 401; the diagnosis is printed and recorded)')
      .option('--respond-status <code>', 'answer valid deliveries with this status', intOption('--respond-status', 100, 599))
      .option('--respond-delay <duration>', 'wait this long before answering')
      .option('--fail-rate <fraction>', 'answer 500 to this fraction of deliveries (0..1)')
      .option('--forward-to <url>', 'forward verified deliveries byte-for-byte to a local app; its status is the answer')
      .option('--forward-header <header>', '"Name: value" added to forwarded deliveries (repeatable); only Content-Type, User-Agent and the signature headers are relayed from the sender', collect)
      .option('--forward-timeout <duration>', 'give up forwarding after this long (answer 504)', '10s')
      .option('--expect <n>', 'exit 0 once n valid deliveries have arrived, 1 on --timeout', intOption('--expect', 1))
      .option('--expect-event <event>', 'count only this event towards --expect')
      .option('--timeout <duration>', 'how long --expect waits', '30s')
      .option('--once', 'same as --expect 1')
      .option('--verbose', 'print headers and the pretty body of each delivery')
      .option('--inspect', 'also serve the web inspector over the history (see bluehook inspect)')
      .option('--inspect-port <port>', 'port of the inspector (default 4040; 0: a free one)', intOption('--inspect-port', 0, 65535))
      .option('--no-record', 'do not record in the history')
      .addHelpText(
        'after',
        `\nAnswers: 200 valid; 401 missing/invalid signature; 400 not JSON; 413 too large; 405 not POST; 404 other paths.` +
          examples(
            'bluehook listen --port 4000 --secret s',
            'bluehook listen --port 0 --secret s --expect 3 --json     # CI: exits 0 after 3 valid deliveries',
            'bluehook listen --webhook orders --forward-to http://127.0.0.1:3000/webhooks/blue',
            'bluehook listen --secret s --respond-status 503            # see what Blue does with a failing receiver',
          ),
      )
      .action(lazy('listen'));
  },
  deliveries: (program) => {
    const deliveries = program.command('deliveries').description('the recorded history: list, show, export, import, rm, clear, prune, count');
    deliveries.addHelpText('after', examples('bluehook deliveries list --limit 20', 'bluehook deliveries show d1a2b3', 'bluehook deliveries export d1a2b3 --format curl'));
    const filterFlags = (cmd: Command) =>
      cmd
        .option('--event <event>', 'only this event')
        .option('--webhook <ref>', 'only this webhook')
        .option('--invalid', 'only invalid (in) or failed (out) deliveries')
        .option('--valid', 'only valid (in) or delivered (out) deliveries')
        .option('--status <code>', 'only answers with this status (404) or class (5xx)')
        .option('--since <duration>', 'only newer than this (1h, 7d)')
        .option('--until <duration>', 'only older than this (1h, 7d)')
        .option('--replays-of <id>', 'only replays of this delivery')
        .option('--search <text>', 'only ids starting with, or events containing, this text')
        .addOption(new Option('--direction <dir>', 'received (in) or sent (out)').choices(['in', 'out']));
    filterFlags(deliveries.command('list').description('list recorded deliveries, oldest first (streams; --limit shows the newest n)'))
      .option('--limit <n>', 'only the newest n', intOption('--limit', 1))
      .option('-f, --follow', 'then print new deliveries as they are recorded, until Ctrl-C')
      .addHelpText('after', examples('bluehook deliveries list', 'bluehook deliveries list --direction in --invalid --since 1h', 'bluehook deliveries list --status 5xx --limit 20', 'bluehook deliveries list --json --limit 5', 'bluehook deliveries list --limit 5 --follow'))
      .action(lazy('deliveries', 'list'));
    deliveries
      .command('show')
      .argument('<id>', 'delivery id or unique prefix')
      .description('headers, pretty body, verdict and answer of one delivery')
      .addHelpText('after', examples('bluehook deliveries show d1a2b3', 'bluehook deliveries show d1a2b3 --json'))
      .action(lazy('deliveries', 'show'));
    filterFlags(
      deliveries
        .command('export')
        .argument('[ids...]', 'delivery ids or unique prefixes (ndjson: default every one the filters select)')
        .description('export a delivery as JSON, a curl command, a HAR 1.2 entry or a fixture (the exact body); or many as NDJSON'),
    )
      .addOption(new Option('--format <format>', 'output format').choices(['json', 'curl', 'har', 'fixture', 'ndjson']).default('json'))
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
      .action(lazy('deliveries', 'exportRecords'));
    deliveries
      .command('import')
      .argument('<file>', 'an NDJSON file (deliveries export --format ndjson, or an old deliveries.ndjson)')
      .description('import recorded deliveries; ids already recorded are skipped')
      .addHelpText('after', examples('bluehook deliveries import week.ndjson', 'bluehook --history postgres://ci@db/hooks deliveries import week.ndjson'))
      .action(lazy('deliveries', 'importFile'));
    deliveries
      .command('rm')
      .argument('<id...>', 'delivery ids or unique prefixes')
      .description('remove recorded deliveries (only those: records arriving meanwhile are kept)')
      .addHelpText('after', examples('bluehook deliveries rm d1a2b3 d4e5f6'))
      .action(lazy('deliveries', 'rm'));
    deliveries
      .command('clear')
      .description('remove all recorded deliveries, or those older than --before')
      .option('--before <duration>', 'only older than this (7d)')
      .option('-y, --yes', 'do not ask (required without a terminal)')
      .addHelpText('after', examples('bluehook deliveries clear --before 7d --yes', 'bluehook deliveries clear'))
      .action(lazy('deliveries', 'clear'));
    deliveries
      .command('prune')
      .description('apply the retention policy now (historyMaxAge / historyMaxRecords, or the flags)')
      .option('--max-age <duration>', 'remove records older than this (30d)')
      .option('--max-records <n>', 'keep only the newest n records', intOption('--max-records', 1))
      .addHelpText('after', examples('bluehook deliveries prune --max-age 30d', 'bluehook deliveries prune --max-records 100000 --json'))
      .action(lazy('deliveries', 'prune'));
    filterFlags(deliveries.command('count').description('how many recorded deliveries match, and where the history lives'))
      .addHelpText('after', examples('bluehook deliveries count', 'bluehook deliveries count --direction in --invalid --since 1d'))
      .action(lazy('deliveries', 'count'));
  },
  replay: (program) => {
    secretFlags(
      program
        .command('replay')
        .argument('[ids...]', 'recorded delivery ids or unique prefixes')
        .description('re-send recorded deliveries, verbatim or re-signed')
        .option('--last <n>', 'the last n recorded deliveries', intOption('--last', 1))
        .option('--event <event>', 'recorded deliveries of this event (with --last or alone)')
        .option('--since <duration>', 'only those newer than this (1h)')
        .option('--edit', 'open the body in $VISUAL / $EDITOR first; the edited body is signed again')
      .option('--to <url>', 'send here (required for received deliveries; default: where it was sent)')
        .option('--verbatim', 'original bytes and signature headers, unchanged (the default)')
        .option('--resign', 'sign again with --secret or the stored webhook secret'),
    )
      .addOption(new Option('--scheme <scheme>', 'signature scheme for --resign (default: the one the recorded headers show, then config)').choices(['blue', 'standard-webhooks', 'github']))
      .option('--concurrency <n>', 'deliveries in flight at once', intOption('--concurrency', 1, 10_000))
      .option('--dry-run', 'print what would be sent, as curl commands')
      .option('--expect-status <list>', 'statuses that count as success', '2xx')
      .option('--timeout <duration>', 'per-attempt timeout (default 7s)')
      .option('--retries <n>', 'retries after the first attempt (default 4)', intOption('--retries', 0, 100))
      .option('--backoff <duration>', 'first retry delay, doubling', '1s')
      .option('--no-retry', 'one attempt only')
      .option('--no-record', 'do not record in the history')
      .addHelpText(
        'after',
        examples(
          'bluehook replay d1a2b3',
          'bluehook replay --last 10 --to http://127.0.0.1:3000/webhooks/blue',
          'bluehook replay --event TODO_CREATED --since 1h --resign --secret new-secret',
          'bluehook replay d1a2b3 --dry-run',
        ),
      )
      .action(lazy('replay'));
  },
  pull: (program) => {
    program
      .command('pull')
      .description("copy Blue's webhooks into the local store (secrets kept for those bluehook created)")
      .addHelpText('after', examples('bluehook pull', 'bluehook pull --api-url http://127.0.0.1:4010/graphql --json'))
      .action(lazy('sync', 'pull'));
  },
  push: (program) => {
    program
      .command('push')
      .description("create or update Blue's webhooks from the local store's; prints the plan first")
      .option('--dry-run', 'print the plan (create / update / unchanged) and change nothing')
      .addHelpText('after', examples('bluehook push --dry-run', 'bluehook push', 'bluehook push --dry-run --json'))
      .action(lazy('sync', 'push'));
  },
  emulator: (program) => {
    const emulator = program
      .command('emulator')
      .description("a local stand-in for Blue's webhook API (GraphQL) and delivery worker")
      .option('--port <port>', 'port (0 for a free one)', intOption('--port', 0, 65535), 4010)
      .option('--host <host>', 'address to bind', '127.0.0.1')
      .option('--data-dir <dir>', 'where state persists (default: <store dir>/emulator)')
      .option('--ephemeral', 'keep state in memory only')
      .option('--token <id:secret>', 'an API token; each is one user (repeatable; default test-id:test-secret)', collect)
      .option('--allow-private-urls', 'accept loopback and private URLs (Blue refuses them; local testing needs them)')
      .option('--delay <duration>', "queue delay before the first delivery attempt (Blue: 5s)", '5s')
      .option('--backoff <duration>', 'first retry delay, doubling (undocumented by Blue)', '1s')
      .option('--attempt-timeout <duration>', 'per-attempt timeout (Blue: 7s)', '7s')
      .option('--max-webhooks <n>', 'plan cap: enabled webhooks per organisation, checked at creation', intOption('--max-webhooks', 0), 50)
      .addHelpText(
        'after',
        `\nEndpoints: POST /graphql (Blue's API, X-Bloo-* or blue-* auth headers), POST /emulator/trigger {"event","projectId","set"}, GET /emulator/webhooks.` +
          examples(
            'bluehook emulator --ephemeral --allow-private-urls --delay 1s',
            'BLUE_TOKEN_ID=test-id BLUE_TOKEN_SECRET=test-secret BLUE_COMPANY_ID=acme bluehook --store blue --api-url http://127.0.0.1:4010/graphql create --url http://127.0.0.1:4000/ --all-events',
            'bluehook emulator trigger TODO_CREATED --api-url http://127.0.0.1:4010/graphql',
          ),
      )
      .action(lazy('emulator'));
    emulator
      .command('trigger')
      .argument('<event>', 'the event to deliver')
      .description('make a running emulator deliver an event to every matching webhook')
      .option('--project <id>', 'the project the event happens in (matched against projectIds)')
      .option('--set <path=value>', 'override a payload field (repeatable)', collect)
      .addHelpText('after', examples('bluehook emulator trigger TODO_CREATED', 'bluehook emulator trigger TAG_CREATED --project cproj… --api-url http://127.0.0.1:4010/graphql'))
      .action(lazy('emulator', 'trigger'));
  },
  config: (program) => {
    program
      .command('config')
      .description('print the resolved configuration and where each value came from')
      .addHelpText('after', examples('bluehook config', 'bluehook config --json', 'bluehook --config ./ci.bluehookrc.json config'))
      .action(lazy('config'));
  },
  demo: (program) => {
    program
      .command('demo')
      .description('a self-contained round trip on the embedded defaults (what `npm start` runs)')
      .addHelpText('after', examples('bluehook demo', 'npm start'))
      .action(lazy('demo'));
  },
  completion: (program) => {
    program
      .command('completion')
      .argument('<shell>', 'bash, zsh or fish')
      .description('print a shell completion script: commands, flags, event names, webhook names, delivery ids')
      .addHelpText('after', examples('bluehook completion bash > ~/.local/share/bash-completion/completions/bluehook', 'eval "$(bluehook completion zsh)"         # in ~/.zshrc, after compinit', 'bluehook completion fish > ~/.config/fish/completions/bluehook.fish'))
      .action(async (shell: string) => {
        const { script } = await import('./completion.js');
        process.stdout.write(script(shell));
      });
  },
  inspect: (program) => {
    program
      .command('inspect')
      .description('a web inspector over the recorded deliveries: live list, detail, replay, edit and resend, compose, diff')
      .option('--port <port>', 'port of the page (0: a free one)', intOption('--port', 0, 65535), 4040)
      .option('--host <host>', 'address to bind (anything but loopback can be reached from other machines)', '127.0.0.1')
      .option('--open', 'open the page in the browser')
      .addHelpText(
        'after',
        examples('bluehook inspect --open', 'bluehook inspect --port 0 --json      # first line: {"type":"ready","url":…}', 'bluehook --history postgres://… inspect   # a team\'s shared history', 'bluehook listen --secret s --inspect     # both in one process'),
      )
      .action(lazy('inspect'));
  },
};

// Other names of commands (Stripe's CLI calls sending an event `trigger`).
const ALIASES: Record<string, string> = { trigger: 'send' };

// Global options that take a value: skipped when looking for the command name.
const GLOBAL_WITH_VALUE = new Set(['--config', '--store-dir', '--store', '--api-url', '--history', '--history-max-age', '--history-max-records']);

/** The command named on the command line, when it is a known one; undefined means register all. */
function commandName(argv: readonly string[]): string | undefined {
  for (let i = 2; i < argv.length; i++) {
    const arg = argv[i]!;
    if (GLOBAL_WITH_VALUE.has(arg)) i++;
    else if (!arg.startsWith('-')) return arg in COMMANDS ? arg : ALIASES[arg];
  }
  return undefined;
}

export function buildProgram(argv: readonly string[] = []): Command {
  const program = new Command('bluehook')
    .description('Webhook toolkit for Blue (blue.cc): manage webhooks, generate, sign, send, listen, verify, record and replay deliveries, offline.')
    .version(packageVersion(), '-V, --version', 'print the version')
    .option('--json', 'machine-readable output on stdout')
    .option('--no-color', 'no colour (NO_COLOR and FORCE_COLOR are respected too)')
    .option('--config <file>', 'use this config file instead of searching for one')
    .option('--store-dir <dir>', 'local store directory (default: BLUEHOOK_HOME, config storeDir, platform data dir)')
    .addOption(new Option('--store <store>', 'where webhook configs live (default: config store, then local)').choices(['local', 'blue']))
    .option('--api-url <url>', "Blue's GraphQL endpoint for --store blue (or BLUE_API_URL)")
    .option('--history <where>', 'the delivery history: sqlite (the store directory, default) or a postgres:// URL (or BLUEHOOK_HISTORY_URL)')
    .option('--history-max-age <duration>', 'retention: writers remove records older than this (30d)')
    .option('--history-max-records <n>', 'retention: writers keep only the newest n records', intOption('--history-max-records', 1))
    .showSuggestionAfterError()
    .configureHelp({ showGlobalOptions: true })
    // Commander's own usage errors become one "bluehook: ..." line, like ours.
    .configureOutput({
      outputError: (text, write) => {
        const message = text.trim().replace(/^error: /, '').replace(/\s*\n\s*/g, ' ');
        write(argv.includes('--json') ? `${JSON.stringify({ error: { message, hint: 'see --help', code: 'usage', category: 'usage', exitCode: ExitCode.usage } })}\n` : `bluehook: ${message} (see --help)\n`);
      },
    })
    .addHelpText(
      'after',
      `\n${EXIT_CODES_TEXT}` +
        examples(
          'bluehook events',
          'bluehook payload TODO_CREATED --seed 1 --pretty',
          'bluehook payload TODO_CREATED --seed 1 | bluehook sign --secret s',
          'bluehook verify --secret s --signature <hex> body.json',
        ),
    );

  const wanted = commandName(argv);
  for (const [name, define] of Object.entries(COMMANDS)) if (!wanted || wanted === name) define(program);
  return program;
}

export async function run(argv: string[]): Promise<void> {
  // The shell completion scripts call `bluehook __complete <words…>`: answered before commander
  // parses anything, since the words are a half-typed command line.
  if (argv[2] === '__complete') {
    const { candidates } = await import('./completion.js');
    const found = await candidates(buildProgram(), argv.slice(3)).catch(() => []);
    if (found.length) process.stdout.write(`${found.join('\n')}\n`);
    return;
  }
  const program = buildProgram(argv);
  if (argv.length <= 2) {
    // No command: the help, on stdout, exit 0 (as gh and the Stripe CLI do).
    program.outputHelp();
    return;
  }
  const override = (c: Command): void => {
    c.exitOverride();
    c.commands.forEach(override);
  };
  override(program);
  try {
    await program.parseAsync(argv);
  } catch (error) {
    const code = (error as { code?: string }).code;
    if (code === 'commander.helpDisplayed' || code === 'commander.version' || code === 'commander.help') {
      process.exitCode = ExitCode.ok;
    } else if (typeof code === 'string' && code.startsWith('commander.')) {
      process.exitCode = ExitCode.usage; // commander already printed its one-line message
    } else {
      process.exitCode = reportError(error, argv.includes('--json'));
    }
  }
}
