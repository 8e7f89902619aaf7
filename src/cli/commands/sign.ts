import { loadConfig } from '../../config/config.js';
import { getScheme } from '../../signing/schemes.js';
import { readBody, readSecret, type SecretOptions } from '../inputs.js';
import { displayHeaderName, type GlobalOptions, type Io } from '../output.js';

export async function run(
  file: string | undefined,
  opts: GlobalOptions & SecretOptions & { scheme?: string; id?: string; timestamp?: number },
  io: Io,
) {
  // The scheme flag, else the config's (BLUEHOOK_SCHEME, a config file), as send and listen do.
  const scheme = getScheme(opts.scheme ?? (await loadConfig(opts)).values.scheme);
  const secret = readSecret(opts)!;
  const body = await readBody(file);
  const headers = scheme.sign(body, secret, { id: opts.id, timestamp: opts.timestamp });
  const shown = Object.fromEntries(
    Object.entries(headers).map(([k, v]) => [displayHeaderName(k), v]),
  );
  if (opts.json) io.json(shown);
  else
    io.out(
      Object.entries(shown)
        .map(([k, v]) => `${k}: ${v}`)
        .join('\n'),
    );
  return 0;
}
