import type { ListenOptions } from './listen.command.js';
import { networkError, usageError } from '../../errors.js';
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
import { colors } from '../colors.js';
import { openHistoryFor, openStore } from '../context.js';
import { startRetention } from '../retention.js';
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
  const only = opts.events ? new Set(resolveEventList(opts.events.split(','))) : undefined;
  const render = renderer(opts, io, c);

  let session: ListenSession;
  try {
    session = await startListenSession(
      {
        pipeline: {
          verify: makeVerifier(candidates, opts.scheme ?? config.values.scheme),
          acceptInvalid: opts.acceptInvalid,
          respondStatus: opts.respondStatus,
          respondDelayMs: opts.respondDelay
            ? parseDuration(opts.respondDelay, '--respond-delay')
            : undefined,
          failRate,
          forward: forwardTo ? await forwarder(forwardTo, opts) : undefined,
          history,
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
        local: {
          host: opts.host,
          port: config.values.port,
          path: opts.path,
          maxBodyBytes: parseSize(opts.maxBody),
          explainRejections: opts.explainRejections,
        },
      },
      render,
    );
  } catch (error) {
    throw listenError(error, config.values.port, opts.host);
  }

  // The inspector reads the history even when this listener records nothing.
  let inspectorHistory = history;
  let inspector: Awaited<ReturnType<typeof import('./inspect.js')['serveInspector']>> | undefined;
  if (opts.inspect) {
    const { serveInspector } = await import('./inspect.js');
    inspectorHistory ??= await openHistoryFor(config, io);
    inspector = await serveInspector(
      inspectorHistory,
      store,
      config,
      '127.0.0.1',
      opts.inspectPort ?? 4040,
      opts,
      io,
    );
  }
  const local = session.local;
  if (local && !isLoopbackAddress(local.address))
    io.err(
      c.yellow(
        `warning: listening on ${local.address} (--host ${opts.host}) accepts deliveries from other machines on your network`,
      ),
    );
  if (opts.json)
    io.jsonLine({
      type: 'ready',
      url: local?.url ?? null,
      ...(inspector ? { inspector: inspector.url } : {}),
    });
  else {
    if (local) io.out(`listening on ${local.url}`);
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
  let signalled: number | undefined;
  const stopListening = onStopSignal((code) => {
    signalled = code;
    session.stop();
  });
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
  const summary = `${tally.received} deliver${tally.received === 1 ? 'y' : 'ies'} received: ${tally.valid} valid, ${tally.invalid} invalid${tally.hidden ? ` (${tally.hidden} not shown: --events)` : ''}${history ? `; recorded in ${history.location}` : ''}`;
  const { duplicates: _duplicates, ...counts } = tally;
  if (opts.json) io.jsonLine({ type: 'summary', ...counts, history: history?.location ?? null });
  else io.err(c.dim(summary));
  if (failure) throw failure;
  if (outcome === 'timeout') {
    const msg = `expected ${expect} valid deliver${expect === 1 ? 'y' : 'ies'}${expectEvent ? ` of ${expectEvent}` : ''}, got ${matched} before the timeout`;
    if (opts.json) io.jsonLine({ type: 'result', ok: false, expected: expect, received: matched });
    io.err(`bluehook: ${msg}`);
    return ExitCode.checkFailed;
  }
  if (outcome === 'expected') {
    if (opts.json) io.jsonLine({ type: 'result', ok: true, expected: expect, received: matched });
    return ExitCode.ok;
  }
  return signalled ?? ExitCode.ok;
}

/** Says the session's events: JSON lines under --json, else a line per delivery. */
function renderer(opts: ListenOptions, io: Io, c: ReturnType<typeof colors>) {
  return (e: ListenEvent): void => {
    switch (e.type) {
      case 'delivery':
        if (e.shown) renderDelivery(e.delivery, opts, io, c);
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
      default:
        return;
    }
  };
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
      message: d.verdict.message,
      webhookId: d.verdict.webhookId ?? null,
      bytes: d.bytes,
      status: d.status,
      durationMs: Math.round(d.durationMs * 100) / 100,
      forwarded: d.forwarded ?? null,
      ...(d.record.relayId ? { relayId: d.record.relayId } : {}),
    });
    return;
  }
  const time = d.record.time.slice(11, 19);
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
  if (!d.verdict.valid) io.line(c.dim(`          why: ${d.verdict.message}`));
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

/** Binding errors of the local port, in the words of the flags. */
function listenError(error: unknown, port: number, host: string): unknown {
  const code = (error as NodeJS.ErrnoException).code;
  if (code === 'EADDRINUSE')
    return networkError(
      `port ${port} on ${host} is in use`,
      'pick another with --port, or --port 0 for a free one',
    );
  if (code === 'EACCES')
    return networkError(`not allowed to listen on port ${port}`, 'use a port above 1023');
  if (code === 'EADDRNOTAVAIL' || code === 'ENOTFOUND')
    return networkError(`cannot listen on host ${host}`);
  return error;
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
