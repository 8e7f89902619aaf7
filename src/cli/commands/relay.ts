import type { RelayOptions } from './relay.command.js';
import { readFileSync } from 'node:fs';
import { networkError, usageError } from '../../errors.js';
import { openRelayStore } from '../../relay/open.js';
import { startRelay, type RelayEvent } from '../../relay/server.js';
import { DEFAULT_RELAY_RETENTION } from '../../relay/store.js';
import { openConfig } from '../context.js';
import { colors } from '../colors.js';
import { streamIsJson, type Io } from '../output.js';
import { onStopSignal } from '../signals.js';
import { lineSafe } from '../../util/terminal-text.js';
import { capYoungGeneration } from '../../util/young-generation.js';
import { parsePublicUrl } from './relay-channel.js';

/** The same sizes --max-body takes on listen. */
function parseSize(text: string): number {
  const m = /^(\d+)(b|kb|kib|k|mb|mib|m)?$/i.exec(text.trim());
  if (!m) throw usageError(`--max-body must be a size such as 1mb or 512kb, got "${text}"`);
  const unit = (m[2] ?? 'b').toLowerCase();
  return Number(m[1]) * (unit.startsWith('m') ? 1024 * 1024 : unit.startsWith('k') ? 1024 : 1);
}

function readPem(file: string, flag: string): Buffer {
  try {
    return readFileSync(file);
  } catch (e) {
    throw usageError(
      `cannot read ${flag} ${file}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`,
    );
  }
}

export async function run(opts: RelayOptions, io: Io): Promise<number> {
  if (Boolean(opts.tlsCert) !== Boolean(opts.tlsKey))
    throw usageError('--tls-cert and --tls-key go together');
  const tls = opts.tlsCert
    ? { cert: readPem(opts.tlsCert, '--tls-cert'), key: readPem(opts.tlsKey!, '--tls-key') }
    : undefined;
  const publicUrl = opts.publicUrl ? parsePublicUrl(opts.publicUrl) : undefined;
  const maxBodyBytes = parseSize(opts.maxBody);
  capYoungGeneration();
  const config = await openConfig(opts);
  const store = await openRelayStore(config.values);
  if (publicUrl) await store.setSetting('public_url', publicUrl);
  streamIsJson(Boolean(opts.json));
  const c = colors(opts);
  const retention = {
    maxAgeMs: config.values.historyMaxAge ?? DEFAULT_RELAY_RETENTION.maxAgeMs,
    maxPerChannel: config.values.historyMaxRecords ?? DEFAULT_RELAY_RETENTION.maxPerChannel,
  };

  // Nothing from a request is printed unescaped; tokens and secrets never reach an event.
  const render = (e: RelayEvent) => {
    if (opts.json) return io.jsonLine(e);
    const time = new Date().toISOString().slice(11, 19);
    switch (e.type) {
      case 'delivery':
        return io.line(
          `${c.dim(time)}  ${lineSafe(e.channel).padEnd(20)} ${e.valid === false ? c.red(`✘ ${e.cause}`) : e.valid ? c.green('✔ valid') : 'unverified'}  ${e.bytes} B  → ${e.status}  ${c.dim(e.id)}`,
        );
      case 'rejected':
        return io.err(
          c.dim(`${time}  ${lineSafe(e.method)} → ${e.status} (${e.reason}) from ${e.address}`),
        );
      case 'rate-limited':
        return io.err(
          c.yellow(
            `${time}  429 (${e.scope} rate limit) for ${e.address}${e.channel ? ` on ${lineSafe(e.channel)}` : ''}`,
          ),
        );
      case 'auth-failed':
        return io.err(
          c.yellow(
            `${time}  wrong or missing token from ${e.address}${e.channel ? ` for channel ${lineSafe(e.channel)}` : ''}`,
          ),
        );
      case 'stream-open':
        return io.err(
          c.dim(
            `${time}  ${lineSafe(e.channel)}: subscriber ${e.subscriber} connected from ${e.address}, resuming after ${e.resumeAfter}`,
          ),
        );
      case 'stream-close':
        return io.err(
          c.dim(
            `${time}  ${lineSafe(e.channel)}: subscriber ${e.subscriber} left (${e.sent} sent; ${e.reason})`,
          ),
        );
      case 'ack':
        return undefined;
      case 'unrecorded':
        return io.err(
          c.red(`✘ answered 500: not recorded on ${lineSafe(e.channel)}: ${e.message}`),
        );
      case 'pruned':
        return io.err(c.dim(`retention: removed ${e.removed} deliveries (${e.unread} unread)`));
      case 'error':
        return io.err(c.red(`relay: ${e.message}`));
    }
  };

  let relay: Awaited<ReturnType<typeof startRelay>>;
  try {
    relay = await startRelay({
      host: opts.host,
      port: opts.port,
      store,
      tls,
      trustProxy: opts.trustProxy,
      retention,
      limits: {
        maxBodyBytes,
        ratePerAddress: opts.ratePerAddress,
        ratePerChannel: opts.ratePerChannel,
        maxStreams: opts.maxStreams,
        maxConnections: opts.maxConnections,
        maxConnectionsPerAddress: opts.maxConnectionsPerAddress,
        maxStreamsPerChannel: opts.maxStreamsPerChannel,
      },
      onEvent: render,
    });
  } catch (error) {
    await store.close();
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'EADDRINUSE')
      throw networkError(`port ${opts.port} on ${opts.host} is in use`, 'pick another with --port');
    if (code === 'EACCES')
      throw networkError(`not allowed to listen on port ${opts.port}`, 'use a port above 1023');
    if (code === 'EADDRNOTAVAIL' || code === 'ENOTFOUND')
      throw networkError(`cannot listen on host ${opts.host}`);
    throw error;
  }
  const shownUrl = publicUrl ?? (await store.getSetting('public_url')) ?? null;
  if (opts.json)
    io.jsonLine({ type: 'ready', url: relay.url, publicUrl: shownUrl, store: store.location });
  else {
    io.out(`relay listening on ${relay.url}${shownUrl ? ` (public: ${shownUrl})` : ''}`);
    io.err(
      c.dim(
        `channels and deliveries in ${store.location}; kept until read, at most ${retention.maxAgeMs % 86_400_000 === 0 ? `${retention.maxAgeMs / 86_400_000} d` : `${Math.round(retention.maxAgeMs / 3600_000)} h`} and ${retention.maxPerChannel} per channel; Ctrl-C to stop`,
      ),
    );
  }
  const code = await new Promise<number>((resolve) => {
    const stop = onStopSignal((c) => {
      stop();
      resolve(c);
    });
  });
  await relay.close();
  await store.close();
  return code;
}
