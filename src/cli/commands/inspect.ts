import { childProcess } from '../../util/child-process.js';
import type { InspectOptions } from './inspect.command.js';
import { networkError } from '../../errors.js';
import { InspectorService } from '../../inspector/service.js';
import { startInspector, type RunningInspector } from '../../inspector/server.js';
import type { History } from '../../history/history.js';
import type { ResolvedConfig } from '../../config/config.js';
import type { WebhookStore } from '../../store/types.js';
import { colors } from '../colors.js';
import { openHistoryFor, openStore } from '../context.js';
import { packageVersion } from '../version.js';
import type { GlobalOptions, Io } from '../output.js';
import { untilStopSignal } from '../signals.js';
import { isLoopbackAddress } from '../../util/loopback.js';
import { capYoungGeneration } from '../../util/young-generation.js';

/** Starts the inspector over a history and store already open (also used by `listen --inspect`). */
export async function serveInspector(
  history: History,
  store: WebhookStore,
  config: ResolvedConfig,
  host: string,
  port: number,
  opts: GlobalOptions,
  io: Io,
): Promise<RunningInspector> {
  const service = new InspectorService({
    history,
    store,
    scheme: config.values.scheme,
    timeoutMs: config.values.timeout,
    version: packageVersion(),
  });
  try {
    const running = await startInspector(service, { host, port });
    if (!isLoopbackAddress(running.address))
      io.err(
        colors(opts).yellow(
          `warning: the inspector on ${running.address} (--host ${host}) can be reached from other machines; it can send requests and shows every recorded delivery`,
        ),
      );
    return running;
  } catch (error) {
    await service.close();
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'EADDRINUSE')
      throw networkError(
        `port ${port} on ${host} is in use`,
        'pick another with --port, or --port 0 for a free one',
        'port-in-use',
      );
    if (code === 'EADDRNOTAVAIL' || code === 'ENOTFOUND' || code === 'EACCES')
      throw networkError(`cannot listen on ${host}:${port} (${code})`);
    throw error;
  }
}

/** Opens the page in the user's browser (best effort: the URL is printed either way). */
export function openInBrowser(url: string): void {
  const cp = childProcess();
  const command =
    process.platform === 'darwin' ? 'open' : process.platform === 'win32' ? 'explorer' : 'xdg-open';
  try {
    cp?.spawn(command, [url], { stdio: 'ignore', detached: true })
      .on('error', () => undefined)
      .unref();
  } catch {
    // no browser here: the printed URL is enough
  }
}

export async function run(opts: InspectOptions, io: Io): Promise<number> {
  capYoungGeneration(); // a long-running server: see util/young-generation.ts
  const { store, config } = await openStore(opts);
  const history = await openHistoryFor(config, io);
  const inspector = await serveInspector(history, store, config, opts.host, opts.port, opts, io);
  if (opts.json) io.jsonLine({ type: 'ready', url: inspector.url, history: history.location });
  else {
    io.out(`inspector on ${inspector.url}`);
    io.err(colors(opts).dim(`showing ${history.location}; Ctrl-C to stop`));
  }
  if (opts.open) openInBrowser(inspector.url);
  const code = await untilStopSignal();
  await inspector.close();
  await history.close();
  return code;
}
