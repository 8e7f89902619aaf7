import { setTimeout as sleep } from 'node:timers/promises';
import type { ListenOptions } from './listen.command.js';
import { shownClock } from '../time.js';
import { isBluehookError, networkError, usageError } from '../../errors.js';
import { ExitCode } from '../../exit-codes.js';
import { resolveEvent, resolveEventList } from '../../blue/catalogue.js';
import { candidatesFrom, makeVerifier } from '../../receiver/verifier.js';
import type { ReceivedDelivery } from '../../receiver/pipeline.js';
import {
  startListenSession,
  type ListenEvent,
  type ListenOutcome,
  type ListenSession,
} from '../../listen/session.js';
import { validateUrl } from '../../store/types.js';
import { isLoopbackAddress } from '../../util/loopback.js';
import { bindError } from '../../util/network-errors.js';
import { colors } from '../colors.js';
import { diagnosisText } from '../hints.js';
import { openHistoryFor, openStore } from '../context.js';
import { readFileSync } from 'node:fs';
import { redactUrl } from '../../util/redact.js';
import type { ResolvedConfig } from '../../config/config.js';
import type { Webhook, WebhookStore } from '../../store/types.js';
import type { Candidate } from '../../receiver/verifier.js';
import { defaultSubscriber, registerSessionWebhook } from '../../listen/register.js';
import { startRetention } from '../retention.js';
import { packageVersion } from '../version.js';
import { onStopSignal } from '../signals.js';
import { leaveCluster, listenWorker, runListenWorkers, workerReady } from '../listen-workers.js';
import { parseDuration, parseHeaders, readSecret } from '../inputs.js';
import { reportError, streamIsJson, type Io } from '../output.js';
import { ms, statusText } from '../render-delivery.js';
import { blockSafe, lineSafe } from '../../util/terminal-text.js';
import { capYoungGeneration } from '../../util/young-generation.js';

function parseSize(text: string): number {
  const m = /^(\d+)(b|kb|kib|k|mb|mib|m)?$/i.exec(text.trim());
  if (!m) throw usageError(`--max-body must be a size such as 1mb or 512kb, got "${text}"`);
  const unit = (m[2] ?? 'b').toLowerCase();
  return Number(m[1]) * (unit.startsWith('m') ? 1024 * 1024 : unit.startsWith('k') ? 1024 : 1);
}

export async function run(opts: ListenOptions, io: Io): Promise<number> {
  if (!opts.path.startsWith('/')) throw usageError(`--path must start with /, got "${opts.path}"`);
  const failRate = opts.failRate !== undefined ? Number(opts.failRate) : undefined;
  if (failRate !== undefined && !(failRate >= 0 && failRate <= 1))
    throw usageError(`--fail-rate must be between 0 and 1, got "${opts.failRate}"`);
  const expectEvent = opts.expectEvent ? resolveEvent(opts.expectEvent).name : undefined;
  const expect = opts.once ? 1 : opts.expect;
  if (expectEvent && expect === undefined)
    throw usageError('--expect-event needs --expect N (or --once)');
  // Without --expect nothing ends the session: a --timeout alone would be silently ignored.
  if (opts.timeout !== undefined && expect === undefined)
    throw usageError('--timeout is how long --expect N (or --once) waits: it needs one of them');
  const forwardTo = opts.forwardTo ? new URL(validateUrl(opts.forwardTo)) : undefined;
  const worker = listenWorker();
  if (opts.workers !== undefined && opts.workers > 1 && !worker) {
    // Counting (--expect), one inspector and one relay subscriber are one process's work.
    const single = [
      ['--expect/--once', expect !== undefined],
      ['--inspect', opts.inspect],
      ['--relay', opts.relay],
    ].find(([, given]) => given);
    if (single) throw usageError(`--workers cannot be combined with ${single[0]}`);
    return runListenWorkers(opts.workers);
  }
  if (worker) {
    // A Ctrl-C reaches every process of the terminal's group, and the primary passes it on too:
    // the first one stops this worker, a second must not kill it mid-way.
    process.on('SIGINT', () => undefined);
    process.on('SIGTERM', () => undefined);
  }
  capYoungGeneration(); // a long run under a stream of bodies: see util/young-generation.ts

  const { store, config } = await openStore(opts);
  const relay = relaySettings(opts, config);
  streamIsJson(Boolean(opts.json));
  try {
    return await listen(opts, io, {
      store,
      config,
      relay,
      failRate,
      expect,
      expectEvent,
      forwardTo,
    });
  } finally {
    if (worker) leaveCluster();
  }
}

interface Prepared {
  store: WebhookStore;
  config: ResolvedConfig;
  relay: RelaySettings | undefined;
  failRate: number | undefined;
  expect: number | undefined;
  expectEvent: string | undefined;
  forwardTo: URL | undefined;
}

async function listen(opts: ListenOptions, io: Io, p: Prepared): Promise<number> {
  const { store, config, relay, failRate, expect, expectEvent, forwardTo } = p;
  const scheme = opts.scheme ?? config.values.scheme;
  const candidates: Candidate[] = await candidatesFrom({
    secret: readSecret(opts, { required: false }),
    webhook: opts.webhook,
    store,
  }).catch((error: unknown) => {
    // --register brings its own secret; stored ones (a killed session's webhook) are a bonus.
    if (opts.register && isBluehookError(error, 'usage')) return [];
    throw error;
  });
  // Swapped once --register has the new webhook's secret (made by Blue, after the token is checked).
  let verify = makeVerifier(candidates, scheme);
  const c = colors(opts);
  const history = opts.record === false ? undefined : await openHistoryFor(config, io);
  // The whole database is checked once in a worker; deliveries wait for its verdict, and a
  // database found corrupt stops the listener (exit 4) before any of them is acknowledged. Most
  // stores are checked in milliseconds: waiting up to a second here means the first deliveries are
  // not held (a sender that half-closes its socket would lose a held answer); a bigger one goes on
  // being checked while deliveries arrive.
  const integrity = history?.checkInBackground?.();
  const early = integrity
    ? await Promise.race([integrity, sleep(1000).then(() => 'pending' as const)])
    : undefined;
  if (early && early !== 'pending') {
    await history?.close();
    throw early;
  }
  const only = opts.events ? new Set(resolveEventList(opts.events.split(','))) : undefined;
  const drift = opts.drift === false ? undefined : await import('../../schema/drift.js');
  const render = renderer(opts, io, c, drift);

  let session: ListenSession;
  try {
    session = await startListenSession(
      {
        pipeline: {
          verify: (body, headers) => verify(body, headers),
          acceptInvalid: opts.acceptInvalid,
          respondStatus: opts.respondStatus,
          respondDelayMs: opts.respondDelay
            ? parseDuration(opts.respondDelay, '--respond-delay')
            : undefined,
          failRate,
          forward: forwardTo ? await forwarder(forwardTo, opts) : undefined,
          history,
          checkDrift: drift?.deliveryDrift,
        },
        only,
        expect:
          expect !== undefined
            ? {
                count: expect,
                event: expectEvent,
                timeoutMs: parseDuration(opts.timeout ?? '30s', '--timeout'),
              }
            : undefined,
        // With --relay, a local port too only when --port asks for one.
        local:
          relay && opts.port === undefined
            ? undefined
            : {
                host: opts.host,
                port: config.values.port,
                path: opts.path,
                maxBodyBytes: parseSize(opts.maxBody),
                explainRejections: opts.explainRejections,
              },
        relay: relay
          ? {
              url: relay.url,
              token: relay.token,
              subscriber: relay.subscriber,
              ca: relay.ca,
              attempts: relay.attempts,
              path: opts.path,
              // Tests only: a crash between the commit and the acknowledgement, made certain.
              skipAck: process.env.BLUEHOOK_TEST_RELAY_SKIP_ACK === '1',
            }
          : undefined,
      },
      render,
    );
  } catch (error) {
    throw bindError(error, opts.host, config.values.port);
  }
  // A check still running when the session started: a corrupt verdict stops it.
  let corrupt = false;
  void integrity?.then((error) => {
    if (!error) return;
    corrupt = true;
    reportError(error, Boolean(opts.json));
    session.stop();
  });

  // --register: a Blue webhook for this session, to the channel. Removed on every way out (unless --keep).
  let registered: Webhook | undefined;
  // What the start-up line counts: the session webhook's secret too, once it is registered.
  let secretCount = candidates.length;
  try {
    if (relay && opts.register) {
      registered = await register(store, relay, opts, io, c).catch(async (error: unknown) => {
        await session.close();
        throw error;
      });
      if (registered.secret) {
        secretCount += 1;
        verify = makeVerifier(
          [
            {
              secret: registered.secret,
              webhookId: registered.id,
              label: registered.name ?? registered.id,
            },
            ...candidates,
          ],
          scheme,
        );
      }
    }
    // The inspector reads the history even when this listener records nothing.
    let inspectorHistory = history;
    let inspector: import('../../inspector/server.js').RunningInspector | undefined;
    if (opts.inspect) {
      const inspectPort = opts.inspectPort ?? 4040;
      try {
        // The same port twice would be "in use" by the listener itself: said as such.
        if (
          inspectPort !== 0 &&
          session.local &&
          inspectPort === Number(new URL(session.local.url).port)
        )
          throw networkError(
            `port ${inspectPort} is the listener's own: the inspector needs another`,
            'pick another with --inspect-port, or --inspect-port 0 for a free one',
          );
        const { serveInspector } = await import('../../inspector/serve.js');
        inspectorHistory ??= await openHistoryFor(config, io);
        inspector = await serveInspector({
          history: inspectorHistory,
          store,
          scheme: config.values.scheme,
          timeoutMs: config.values.timeout,
          version: packageVersion(),
          host: '127.0.0.1',
          port: inspectPort,
        });
      } catch (error) {
        // Asked for an inspector and none could start: stop, like `inspect`, rather than catch
        // deliveries with no inspector (the listener's socket would keep this process running).
        await session.close();
        await history?.close();
        if (inspectorHistory !== history) await inspectorHistory?.close();
        if (isBluehookError(error) && error.code === 'address-in-use')
          throw networkError(
            `the inspector's ${error.message}`,
            'pick another with --inspect-port, or --inspect-port 0 for a free one',
            'inspector-address-in-use',
          );
        throw error;
      }
    }
    const local = session.local;
    if (local && !isLoopbackAddress(local.address))
      io.err(
        c.yellow(
          `warning: listening on ${local.address} (--host ${opts.host}) accepts deliveries from other machines on your network`,
        ),
      );
    const worker = listenWorker();
    if (worker && worker.index > 1) {
      // one ready line for the whole group: the first worker's
    } else if (opts.json)
      io.jsonLine({
        type: 'ready',
        url: local?.url ?? null,
        ...(worker ? { workers: worker.of } : {}),
        ...(relay ? { relay: redactUrl(relay.url.href), subscriber: relay.subscriber } : {}),
        ...(inspector ? { inspector: inspector.url } : {}),
      });
    else {
      if (local) io.out(`listening on ${local.url}${worker ? ` (${worker.of} workers)` : ''}`);
      if (relay)
        io.out(`relaying from ${redactUrl(relay.url.href)} as subscriber ${relay.subscriber}`);
      if (inspector) io.out(`inspector on ${inspector.url}`);
      io.err(
        c.dim(
          `verifying ${opts.scheme ?? config.values.scheme} signatures with ${secretCount} secret${secretCount === 1 ? '' : 's'}${history ? `; recording to ${history.location}` : ''}; Ctrl-C to stop`,
        ),
      );
    }

    const retention = history
      ? startRetention(history, config.values, (line) => io.err(c.dim(line)))
      : undefined;
    let signalled: number | undefined;
    const stopListening = onStopSignal((code) => {
      signalled = code;
      session.stop();
    });
    if (worker) workerReady(); // from here a stop signal the primary passes on is heard
    let outcome: ListenOutcome | undefined;
    let failure: unknown;
    try {
      outcome = await session.finished;
    } catch (error) {
      failure = error;
    }
    stopListening();
    retention?.stop();
    await session.close();
    await inspector?.close();
    await history?.close();
    if (inspectorHistory !== history) await inspectorHistory?.close();
    const { tally, matched } = session;
    const summary = `${tally.received} deliver${tally.received === 1 ? 'y' : 'ies'} received: ${tally.valid} valid, ${tally.invalid} invalid${tally.drift ? `, ${tally.drift} drifting from the schema` : ''}${tally.hidden ? ` (${tally.hidden} not shown: --events)` : ''}${history ? `; recorded in ${history.location}` : ''}`;
    const { duplicates: _duplicates, ...counts } = tally;
    if (opts.json) io.jsonLine({ type: 'summary', ...counts, history: history?.location ?? null });
    // A terminal echoed ^C where the cursor was: the summary starts on a line of its own.
    else
      io.err(
        `${signalled === ExitCode.interrupted && io.isTTY.stderr ? '\n' : ''}${c.dim(summary)}`,
      );
    if (failure) throw failure;
    if (corrupt) return ExitCode.store;
    if (outcome === 'timeout') {
      const msg = `expected ${expect} valid deliver${expect === 1 ? 'y' : 'ies'}${expectEvent ? ` of ${expectEvent}` : ''}, got ${matched} before the timeout`;
      if (opts.json)
        io.jsonLine({ type: 'result', ok: false, expected: expect, received: matched });
      io.err(`bluehook: ${msg}`);
      return ExitCode.checkFailed;
    }
    if (outcome === 'expected') {
      if (opts.json) io.jsonLine({ type: 'result', ok: true, expected: expect, received: matched });
      return ExitCode.ok;
    }
    return signalled ?? ExitCode.ok;
  } finally {
    if (registered) await unregister(store, registered, opts, io, c);
  }
}

async function unregister(
  store: WebhookStore,
  registered: Webhook,
  opts: ListenOptions,
  io: Io,
  c: ReturnType<typeof colors>,
): Promise<void> {
  if (opts.keep) {
    io.err(c.dim(`kept Blue webhook ${registered.id} (${registered.name}) (--keep)`));
    return;
  }
  try {
    await store.delete(registered.id);
    if (opts.json) io.jsonLine({ type: 'unregistered', webhookId: registered.id });
    else io.err(c.dim(`removed Blue webhook ${registered.id} (${registered.name})`));
  } catch (error) {
    io.err(
      c.yellow(
        `warning: could not remove Blue webhook ${registered.id} (${registered.name}): ${(error as Error).message}; \`bluehook relay prune-webhooks\` removes it`,
      ),
    );
  }
}

/** Says the session's events: JSON lines under --json, else a line per delivery. */
function renderer(
  opts: ListenOptions,
  io: Io,
  c: ReturnType<typeof colors>,
  drift: typeof import('../../schema/drift.js') | undefined,
) {
  // New keys are news once per run (per event and path); a missing or retyped key, every time.
  const toldNew = new Set<string>();
  const tellDrift = (d: ReceivedDelivery) => {
    if (!d.drift || !drift) return;
    const event = lineSafe(d.event ?? '?');
    const first = d.drift.issues[0]!;
    const more =
      d.drift.count > 1
        ? ` (+${d.drift.count - 1} more: bluehook deliveries show ${d.record.id})`
        : '';
    if (d.drift.level === 'warning') {
      io.err(c.yellow(`⚠ drift: ${event} ${lineSafe(drift.describeIssue(first))}${more}`));
      return;
    }
    const fresh = d.drift.issues.filter((i) => !toldNew.has(`${d.event} ${i.path}`));
    if (!fresh.length) return;
    for (const i of fresh) toldNew.add(`${d.event} ${i.path}`);
    io.err(
      c.dim(
        `ℹ drift: ${event} ${lineSafe(drift.describeIssue(fresh[0]!))}${fresh.length > 1 ? ` (+${fresh.length - 1} more)` : ''}: information, Blue sent something bluehook does not know`,
      ),
    );
  };
  return (e: ListenEvent): void => {
    switch (e.type) {
      case 'delivery':
        if (e.shown) {
          renderDelivery(e.delivery, opts, io, c);
          if (!opts.json) tellDrift(e.delivery);
        }
        return;
      case 'unrecorded':
        if (opts.json)
          io.jsonLine({ type: 'error', status: 500, message: `not recorded: ${e.error.message}` });
        else io.err(c.red(`✘ answered 500: not recorded: ${e.error.message}`));
        return;
      case 'rejected':
        if (opts.json) {
          const { type: _type, ...r } = e;
          io.jsonLine({ type: 'rejected', ...r });
        } else
          io.err(c.dim(`${lineSafe(e.method)} ${lineSafe(e.path)} → ${e.status} (${e.reason})`));
        return;
      case 'duplicate':
        if (opts.json) io.jsonLine({ type: 'duplicate', relayId: e.relayId, seq: e.seq });
        else
          io.err(
            c.dim(`relay: ${e.relayId} is recorded here already; acknowledged, not recorded again`),
          );
        return;
      case 'relay-connected':
        if (opts.json) {
          const { type: _type, ...rest } = e;
          io.jsonLine({ type: 'relay', state: 'connected', ...rest });
        } else
          io.err(
            c.dim(
              `relay: connected to channel ${lineSafe(e.channel)} as ${lineSafe(e.subscriber)}, resuming after #${e.resumeAfter}`,
            ),
          );
        if (e.dropped)
          io.err(
            c.yellow(
              `warning: the relay's retention removed ${e.dropped} deliver${e.dropped === 1 ? 'y' : 'ies'} before this subscriber read ${e.dropped === 1 ? 'it' : 'them'}`,
            ),
          );
        return;
      case 'relay-live':
        if (opts.json) io.jsonLine({ type: 'relay', state: 'live' });
        else io.err(c.dim('relay: caught up, live'));
        return;
      case 'relay-reconnecting':
        if (opts.json) {
          const { type: _type, ...rest } = e;
          io.jsonLine({ type: 'relay', state: 'reconnecting', ...rest });
        }
        io.err(
          c.yellow(
            `relay: ${e.reason}; reconnecting in ${(e.delayMs / 1000).toFixed(1)} s (attempt ${e.attempt} of ${e.of})`,
          ),
        );
        return;
      case 'relay-ack-failed':
        io.err(
          c.dim(
            `relay: acknowledging #${e.seq} failed (${e.reason}); it will be streamed again and skipped`,
          ),
        );
        return;
      default:
        return;
    }
  };
}

interface RelaySettings {
  url: URL;
  token: string;
  subscriber: string;
  ca?: string;
  attempts: number;
}

/** --relay and its companions; the token from the flag, its file, BLUEHOOK_RELAY_TOKEN or the config. */
function relaySettings(opts: ListenOptions, config: ResolvedConfig): RelaySettings | undefined {
  if (!opts.relay) {
    for (const [flag, given] of [
      ['--register', opts.register],
      ['--relay-token', opts.relayToken],
      ['--relay-token-file', opts.relayTokenFile],
      ['--relay-subscriber', opts.relaySubscriber],
      ['--relay-ca', opts.relayCa],
    ] as const)
      if (given) throw usageError(`${flag} needs --relay <channel url>`);
    return undefined;
  }
  const url = new URL(validateUrl(opts.relay));
  let token = opts.relayToken;
  if (token === undefined && opts.relayTokenFile)
    token = readText(opts.relayTokenFile, '--relay-token-file');
  token ??= config.values.relayToken;
  if (!token)
    throw usageError(
      'the relay needs the subscriber token: --relay-token-file, BLUEHOOK_RELAY_TOKEN, or the relayToken config key',
    );
  const subscriber = opts.relaySubscriber ?? defaultSubscriber();
  if (!/^[A-Za-z0-9._-]{1,64}$/.test(subscriber))
    throw usageError(
      `--relay-subscriber must be 1 to 64 letters, digits, dots, dashes or underscores, got "${lineSafe(subscriber)}"`,
    );
  if (opts.register && config.values.store !== 'blue')
    throw usageError('--register creates a Blue webhook: it needs the Blue store (--store blue)');
  if ((opts.project || opts.keep) && !opts.register)
    throw usageError('--project and --keep go with --register');
  return {
    url,
    token,
    subscriber,
    ca: opts.relayCa ? readText(opts.relayCa, '--relay-ca') : undefined,
    attempts: opts.relayRetries,
  };
}

function readText(file: string, flag: string): string {
  try {
    return readFileSync(file, 'utf8').replace(/\r?\n$/, '');
  } catch (e) {
    throw usageError(
      `cannot read ${flag} ${file}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`,
    );
  }
}

async function register(
  store: WebhookStore,
  relay: RelaySettings,
  opts: ListenOptions,
  io: Io,
  c: ReturnType<typeof colors>,
): Promise<Webhook> {
  const webhook = await registerSessionWebhook(store, {
    url: relay.url.href,
    subscriber: relay.subscriber,
    events: opts.events ? resolveEventList(opts.events.split(',')) : undefined,
    projectIds: opts.project
      ? opts.project
          .split(',')
          .map((p) => p.trim())
          .filter(Boolean)
      : undefined,
  });
  if (opts.json)
    io.jsonLine({
      type: 'registered',
      webhookId: webhook.id,
      name: webhook.name,
      url: webhook.url,
      kept: Boolean(opts.keep),
    });
  else
    io.err(
      c.dim(
        `created Blue webhook ${webhook.id} (${webhook.name}) → ${webhook.url}; ${opts.keep ? 'kept on exit (--keep)' : 'removed on exit'}`,
      ),
    );
  return webhook;
}

function renderDelivery(
  d: ReceivedDelivery,
  opts: ListenOptions,
  io: Io,
  c: ReturnType<typeof colors>,
): void {
  if (opts.json) {
    io.jsonLine({
      type: 'delivery',
      id: d.record.id,
      time: d.record.time,
      event: d.event,
      valid: d.verdict.valid,
      cause: d.verdict.cause,
      message: diagnosisText(d.verdict),
      webhookId: d.verdict.webhookId ?? null,
      bytes: d.bytes,
      status: d.status,
      durationMs: Math.round(d.durationMs * 100) / 100,
      forwarded: d.forwarded ?? null,
      drift: d.drift ?? null,
      ...(d.record.relayId ? { relayId: d.record.relayId } : {}),
    });
    return;
  }
  const time = shownClock(d.record.time, opts.utc === true);
  // The event name and everything under --verbose came from the sender: controls escaped.
  // Fixed columns on one line (the id last, for replay); an invalid delivery's why on the next.
  const verdictPlain = d.verdict.valid
    ? `✔ valid${d.verdict.label ? ` (${lineSafe(d.verdict.label)})` : ''}`
    : `✘ invalid (${d.verdict.cause})`;
  const verdict =
    (d.verdict.valid ? c.green : c.red)(verdictPlain) +
    ' '.repeat(Math.max(1, 26 - verdictPlain.length));
  const fwd = d.forwarded ? `  forwarded → ${d.forwarded.error ?? d.forwarded.status}` : '';
  io.line(
    `${c.dim(time)}  ${lineSafe(d.event ?? '(not JSON)').padEnd(28)} ${verdict}${`${d.bytes} B`.padEnd(9)}${ms(d.durationMs).padStart(9)}  → ${statusText(d.status, c)}${fwd}  ${c.dim(d.record.id)}`,
  );
  if (!d.verdict.valid) io.line(c.dim(`          why: ${diagnosisText(d.verdict)}`));
  if (opts.verbose) {
    for (const [k, v] of Object.entries(d.record.headers))
      io.line(c.dim(`    ${lineSafe(k)}: ${lineSafe(v)}`));
    let pretty = d.body.toString('utf8');
    try {
      pretty = JSON.stringify(JSON.parse(pretty), null, 2);
    } catch {
      // not JSON: shown as received
    }
    io.line(blockSafe(pretty).replace(/^/gm, '    '));
  }
}

async function forwarder(target: URL, opts: ListenOptions) {
  const { makeForwarder, isOriginOnly } = await import('../../receiver/forward.js');
  return makeForwarder(
    target,
    parseDuration(opts.forwardTimeout, '--forward-timeout'),
    parseHeaders(opts.forwardHeader),
    isOriginOnly(opts.forwardTo!),
  );
}
