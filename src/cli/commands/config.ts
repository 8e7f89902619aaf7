import { CONFIG_KEYS } from '../../config/config.js';
import { redactUrl } from '../../util/redact.js';
import { colors } from '../colors.js';
import { openConfig } from '../context.js';
import { maskSecret, type GlobalOptions, type Io } from '../output.js';
import { table } from '../table.js';

export async function run(opts: GlobalOptions, io: Io): Promise<number> {
  const config = await openConfig(opts);
  // A history URL may hold a password: never printed.
  config.values.history = redactUrl(config.values.history);
  // A relay token is a credential: masked like a webhook's secret.
  if (config.values.relayToken) config.values.relayToken = maskSecret(config.values.relayToken);
  if (opts.json) {
    io.json({ file: config.file ?? null, values: config.values, sources: config.sources });
    return 0;
  }
  const c = colors(opts);
  const rows = [['KEY', 'VALUE', 'FROM'].map((h) => c.bold(h))];
  for (const k of CONFIG_KEYS)
    rows.push([
      k,
      config.values[k] === undefined ? c.dim('none') : String(config.values[k]),
      config.sources[k] === 'default' ? c.dim('default') : config.sources[k],
    ]);
  io.out(`${table(rows)}\n\nconfig file: ${config.file ?? c.dim('none found')}`);
  return 0;
}
