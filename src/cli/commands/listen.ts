import type { ListenOptions } from './listen.command.js';
import { shownClock } from '../time.js';
import { isBluehookError, networkError, usageError } from '../../errors.js';
import { ExitCode } from '../../exit-codes.js';
import { resolveEvent, resolveEventList } from '../../blue/catalogue.js';
import { candidatesFrom, makeVerifier } from '../../receiver/verifier.js';
import { startCatchServer, type ReceivedDelivery } from '../../receiver/server.js';
import { validateUrl } from '../../store/types.js';
import { isLoopbackAddress } from '../../util/loopback.js';
import { bindError } from '../../util/network-errors.js';
import { colors } from '../colors.js';
import { diagnosisText } from '../hints.js';
import { openHistoryFor, openStore } from '../context.js';
import { startRetention } from '../retention.js';
import { packageVersion } from '../version.js';
import { onStopSignal } from '../signals.js';
import { parseDuration, parseHeaders, readSecret } from '../inputs.js';
import { streamIsJson, type Io } from '../output.js';
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
  const forwardTo = opts.forwardTo ? new URL(validateUrl(opts.forwardTo)) : undefined;
  capYoungGeneration(); // a long run under a stream of bodies: see util/young-generation.ts

  const { store, config } = await openStore(opts);
  const candidates = await candidatesFrom({
    secret: readSecret(opts, { required: false }),
    webhook: opts.webhook,
    store,
  });

  streamIsJson(Boolean(opts.json));
  const c = colors(opts);
  const history = opts.record === false ? undefined : await openHistoryFor(config, io);
  let matched = 0;
  let finish: (code: number) => void = () => undefined;
  const finished = new Promise<number>((r) => (finish = r));

  const only = opts.events ? new Set(resolveEventList(opts.events.split(','))) : undefined;
  const tally = { received: 0, valid: 0, invalid: 0, hidden: 0, drift: 0 };
  const drift = opts.drift === false ? undefined : await import('../../schema/drift.js');
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
  const onDelivery = (d: ReceivedDelivery) => {
    tally.received++;
    if (d.verdict.valid) tally.valid++;
    else tally.invalid++;
    if (d.drift) tally.drift++;
    // --events filters what is shown (and counted by --expect); everything is still answered and recorded.
    if (only && !(d.event && only.has(d.event))) {
      tally.hidden++;
      return;
    }
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
      });
    } else {
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
      tellDrift(d);
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
    if (expect !== undefined && d.verdict.valid && (!expectEvent || d.event === expectEvent)) {
      matched++;
      if (matched >= expect) finish(ExitCode.ok);
    }
  };

  let receiver: Awaited<ReturnType<typeof startCatchServer>>;
  try {
    receiver = await startCatchServer({
      host: opts.host,
      port: config.values.port,
      path: opts.path,
      maxBodyBytes: parseSize(opts.maxBody),
      verify: makeVerifier(candidates, opts.scheme ?? config.values.scheme),
      acceptInvalid: opts.acceptInvalid,
      explainRejections: opts.explainRejections,
      respondStatus: opts.respondStatus,
      respondDelayMs: opts.respondDelay
        ? parseDuration(opts.respondDelay, '--respond-delay')
        : undefined,
      failRate,
      forward: forwardTo ? await forwarder(forwardTo, opts) : undefined,
      history,
      checkDrift: drift?.deliveryDrift,
      onDelivery,
      onUnrecorded: (error) => {
        if (opts.json)
          io.jsonLine({ type: 'error', status: 500, message: `not recorded: ${error.message}` });
        else io.err(c.red(`✘ answered 500: not recorded: ${error.message}`));
      },
      onRejected: (r) => {
        if (opts.json) io.jsonLine({ type: 'rejected', ...r });
        else io.err(c.dim(`${lineSafe(r.method)} ${lineSafe(r.path)} → ${r.status} (${r.reason})`));
      },
    });
  } catch (error) {
    throw bindError(error, opts.host, config.values.port);
  }

  // The inspector reads the history even when this listener records nothing.
  let inspectorHistory = history;
  let inspector: import('../../inspector/server.js').RunningInspector | undefined;
  if (opts.inspect) {
    const inspectPort = opts.inspectPort ?? 4040;
    try {
      // The same port twice would be "in use" by the listener itself: said as such.
      if (inspectPort !== 0 && inspectPort === Number(new URL(receiver.url).port))
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
      await receiver.close();
      await history?.close();
      if (inspectorHistory !== history) await inspectorHistory?.close();
      if (isBluehookError(error) && error.code === 'address-in-use')
        throw networkError(
          `the inspector's ${error.message}`,
          'pick another with --inspect-port, or --inspect-port 0 for a free one',
          'port-in-use',
        );
      throw error;
    }
  }
  if (!isLoopbackAddress(receiver.address))
    io.err(
      c.yellow(
        `warning: listening on ${receiver.address} (--host ${opts.host}) accepts deliveries from other machines on your network`,
      ),
    );
  if (opts.json)
    io.jsonLine({
      type: 'ready',
      url: receiver.url,
      ...(inspector ? { inspector: inspector.url } : {}),
    });
  else {
    io.out(`listening on ${receiver.url}`);
    if (inspector) io.out(`inspector on ${inspector.url}`);
    io.err(
      c.dim(
        `verifying ${opts.scheme ?? config.values.scheme} signatures with ${candidates.length} secret${candidates.length === 1 ? '' : 's'}${history ? `; recording to ${history.location}` : ''}; Ctrl-C to stop`,
      ),
    );
  }

  const retention = history
    ? startRetention(history, config.values, (line) => io.err(c.dim(line)))
    : undefined;
  const stopListening = onStopSignal(finish);
  const timer =
    expect !== undefined
      ? setTimeout(
          () => finish(ExitCode.checkFailed),
          parseDuration(opts.timeout ?? '30s', '--timeout'),
        )
      : undefined;
  const code = await finished;
  if (timer) clearTimeout(timer);
  stopListening();
  retention?.stop();
  await receiver.close();
  await inspector?.close();
  await history?.close();
  if (inspectorHistory !== history) await inspectorHistory?.close();
  const summary = `${tally.received} deliver${tally.received === 1 ? 'y' : 'ies'} received: ${tally.valid} valid, ${tally.invalid} invalid${tally.drift ? `, ${tally.drift} drifting from the schema` : ''}${tally.hidden ? ` (${tally.hidden} not shown: --events)` : ''}${history ? `; recorded in ${history.location}` : ''}`;
  if (opts.json) io.jsonLine({ type: 'summary', ...tally, history: history?.location ?? null });
  // A terminal echoed ^C where the cursor was: the summary starts on a line of its own.
  else io.err(`${code === ExitCode.interrupted && io.isTTY.stderr ? '\n' : ''}${c.dim(summary)}`);
  if (code === ExitCode.checkFailed) {
    const msg = `expected ${expect} valid deliver${expect === 1 ? 'y' : 'ies'}${expectEvent ? ` of ${expectEvent}` : ''}, got ${matched} before the timeout`;
    if (opts.json) io.jsonLine({ type: 'result', ok: false, expected: expect, received: matched });
    io.err(`bluehook: ${msg}`);
  } else if (code === ExitCode.ok && opts.json)
    io.jsonLine({ type: 'result', ok: true, expected: expect, received: matched });
  return code;
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
