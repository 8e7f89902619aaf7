import { childProcess } from '../../util/child-process.js';
import type { InspectOptions } from './inspect.command.js';
import { serveInspector } from '../../inspector/serve.js';
import { colors } from '../colors.js';
import { openHistoryFor, openStore } from '../context.js';
import { packageVersion } from '../version.js';
import type { Io } from '../output.js';
import { untilStopSignal } from '../signals.js';
import { isLoopbackAddress } from '../../util/loopback.js';
import { capYoungGeneration } from '../../util/young-generation.js';

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
  const inspector = await serveInspector({
    history,
    store,
    scheme: config.values.scheme,
    timeoutMs: config.values.timeout,
    version: packageVersion(),
    host: opts.host,
    port: opts.port,
  });
  if (!isLoopbackAddress(inspector.address))
    io.err(
      colors(opts).yellow(
        `warning: the inspector on ${inspector.address} (--host ${opts.host}) can be reached from other machines; it can send requests and shows every recorded delivery`,
      ),
    );
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
