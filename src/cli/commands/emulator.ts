import { join } from 'node:path';
import { loadConfig } from '../../config/config.js';
import { usageError } from '../../errors.js';
import { ExitCode } from '../../exit-codes.js';
import { colors } from '../colors.js';
import { untilStopSignal } from '../signals.js';
import { parseDuration } from '../inputs.js';
import type { GlobalOptions, Io } from '../output.js';
import { bindError } from '../../util/network-errors.js';
import { capYoungGeneration } from '../../util/young-generation.js';

interface EmulatorFlags extends GlobalOptions {
  port: number;
  host: string;
  dataDir?: string;
  ephemeral?: boolean;
  token?: string[];
  allowPrivateUrls?: boolean;
  delay: string;
  backoff: string;
  attemptTimeout: string;
  maxWebhooks: number;
  maxTake: number;
}

function parseTokens(list: string[] = ['test-id:test-secret']): Map<string, string> {
  const tokens = new Map<string, string>();
  for (const t of list) {
    const colon = t.indexOf(':');
    if (colon <= 0 || colon === t.length - 1)
      throw usageError(`--token must be ID:SECRET, got "${t}"`);
    tokens.set(t.slice(0, colon), t.slice(colon + 1));
  }
  return tokens;
}

export async function run(opts: EmulatorFlags, io: Io): Promise<number> {
  capYoungGeneration(); // a long-running server: see util/young-generation.ts
  const tokens = parseTokens(opts.token);
  const config = await loadConfig({ ...opts, port: undefined });
  const dataDir = opts.ephemeral
    ? undefined
    : (opts.dataDir ?? join(config.values.storeDir, 'emulator'));
  const c = colors(opts);
  const { startEmulator } = await import('../../emulator/server.js');
  let running: Awaited<ReturnType<typeof startEmulator>>;
  try {
    running = await startEmulator({
      host: opts.host,
      port: opts.port,
      dataDir,
      tokens,
      allowPrivateUrls: Boolean(opts.allowPrivateUrls),
      delayMs: parseDuration(opts.delay, '--delay'),
      backoffMs: parseDuration(opts.backoff, '--backoff'),
      attemptTimeoutMs: parseDuration(opts.attemptTimeout, '--attempt-timeout'),
      attempts: 5,
      maxWebhooks: opts.maxWebhooks,
      maxTake: opts.maxTake,
      onAttempt: (a) => {
        if (opts.json) io.jsonLine({ type: 'attempt', ...a });
        else io.err(`${a.event} → ${a.webhookId} attempt ${a.attempt}: ${a.status ?? a.error}`);
      },
      onDropped: (d) => {
        if (opts.json) io.jsonLine({ type: 'dropped', ...d });
        else
          io.err(
            `${d.event} → ${d.webhookId} dropped before attempt ${d.attempt}: the webhook was deleted`,
          );
      },
    });
  } catch (error) {
    throw bindError(error, opts.host, opts.port);
  }
  if (opts.json)
    io.jsonLine({
      type: 'ready',
      url: running.graphqlUrl,
      tokens: [...tokens.keys()],
      dataDir: dataDir ?? null,
    });
  else {
    io.out(`Blue emulator on ${running.graphqlUrl}`);
    io.err(
      c.dim(
        `tokens: ${[...tokens.keys()].join(', ')}; state: ${dataDir ?? 'in memory'}; private URLs ${opts.allowPrivateUrls ? 'allowed' : 'refused (as Blue)'}; delay ${opts.delay}`,
      ),
    );
    io.err(
      c.dim(
        `use it: BLUE_TOKEN_ID=${[...tokens.keys()][0]} BLUE_TOKEN_SECRET=… BLUE_COMPANY_ID=acme bluehook --store blue --api-url ${running.graphqlUrl} list`,
      ),
    );
  }
  const code = await untilStopSignal();
  await running.close();
  return code;
}

export async function trigger(
  event: string,
  opts: GlobalOptions & { project?: string; set?: string[]; apiUrl?: string },
  io: Io,
): Promise<number> {
  const config = await loadConfig(opts);
  if (config.sources.apiUrl === 'default')
    throw usageError(
      'which emulator? pass --api-url http://127.0.0.1:4010/graphql (or set BLUE_API_URL)',
    );
  const { triggerEvent } = await import('../../emulator/client.js');
  const answer = await triggerEvent(config.values.apiUrl, {
    event,
    projectId: opts.project,
    set: opts.set,
  });
  if (opts.json) io.json(answer);
  else
    io.out(
      `queued ${answer.event} for ${answer.queued.length} webhook${answer.queued.length === 1 ? '' : 's'}${answer.queued.length ? `: ${answer.queued.join(', ')}` : ' (none matches: enabled, event and project filters)'}`,
    );
  return ExitCode.ok;
}
