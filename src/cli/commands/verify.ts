import type { VerifyOptions } from './verify.command.js';
import { usageError } from '../../errors.js';
import { diagnose } from '../../signing/diagnose.js';
import { loadConfig } from '../../config/config.js';
import { getScheme } from '../../signing/schemes.js';
import { parseHeaders, readBody, readSecret } from '../inputs.js';
import type { Io } from '../output.js';
import { colors } from '../colors.js';
import { diagnosisText } from '../hints.js';

export async function run(file: string | undefined, opts: VerifyOptions, io: Io): Promise<number> {
  // The scheme flag, else the config's (BLUEHOOK_SCHEME, a config file), as send and listen do.
  const scheme = getScheme(opts.scheme ?? (await loadConfig(opts)).values.scheme);
  const secret = readSecret(opts)!;
  scheme.checkSecret(secret);
  const headers = parseHeaders(opts.header);
  if (opts.signature !== undefined) {
    // --signature fills the scheme's signature header (webhook-signature for standard-webhooks).
    headers[scheme.headerNames[scheme.headerNames.length - 1]!] = opts.signature;
  }
  if (!scheme.headerNames.some((h) => headers[h] !== undefined) && !Object.keys(headers).length) {
    throw usageError('no signature given: pass --signature SIG or --header "Name: value"');
  }
  const body = await readBody(file);
  const result = diagnose(body, secret, headers, scheme.name, { toleranceSeconds: opts.tolerance });
  const c = colors(opts);
  if (opts.json)
    io.json({
      valid: result.valid,
      scheme: scheme.name,
      cause: result.cause,
      message: diagnosisText(result),
    });
  else if (result.valid) io.out(`${c.green('valid')}: ${result.message}`);
  else io.err(`${c.red('invalid')}: ${diagnosisText(result)}`);
  return result.valid ? 0 : 1;
}
