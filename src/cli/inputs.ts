import { durationMs } from '../util/duration.js';
/** Reading what users hand to commands: secrets, bodies, headers, repeatable flags. */
import { readFileSync } from 'node:fs';
import { usageError } from '../errors.js';

export { collect, intOption } from './parsers.js';
import { validateUrl } from '../store/types.js';
import type { PayloadOptions } from '../blue/payload.js';

export interface SecretOptions {
  secret?: string;
  secretFile?: string;
}

/**
 * The secret from --secret, --secret-file or BLUEHOOK_SECRET, in that order. A file's single
 * trailing newline is dropped (editors add one); the value is never echoed anywhere.
 */
export function readSecret(opts: SecretOptions, { required = true } = {}): string | undefined {
  let secret = opts.secret;
  if (secret === undefined && opts.secretFile) {
    try {
      secret = readFileSync(opts.secretFile, 'utf8').replace(/\r?\n$/, '');
    } catch (e) {
      throw usageError(
        `cannot read --secret-file ${opts.secretFile}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`,
      );
    }
  }
  secret ??= process.env.BLUEHOOK_SECRET;
  if (secret === undefined && required) {
    throw usageError('a secret is required: pass --secret, --secret-file or set BLUEHOOK_SECRET');
  }
  if (secret === '') throw usageError('the secret is empty');
  return secret;
}

/** Reads a body byte-for-byte from a file, or from stdin for "-" or when no file is named. */
export async function readBody(file: string | undefined, what = 'body'): Promise<Buffer> {
  if (file && file !== '-') {
    try {
      return readFileSync(file);
    } catch (e) {
      throw usageError(
        `cannot read ${what} file ${file}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`,
      );
    }
  }
  if (process.stdin.isTTY) throw usageError(`no ${what}: name a file, or pipe one on stdin`);
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

/** "Name: value" -> ["name", "value"], names lower-cased. */
export function parseHeader(text: string): [string, string] {
  const colon = text.indexOf(':');
  const name = colon > 0 ? text.slice(0, colon).trim() : '';
  if (!name || /[^!#$%&'*+.^_`|~0-9A-Za-z-]/.test(name))
    throw usageError(`header must look like "Name: value", got "${text}"`);
  const value = text.slice(colon + 1).trim();
  // CR or LF would end the header and start another (or the body): never sent, not even tried.
  if ([...value].some((c) => (c < ' ' && c !== '\t') || c === '\u007f'))
    throw usageError(
      `header ${name}'s value has a control character (CR, LF, NUL...) in it: ${JSON.stringify(value)}`,
    );
  return [name.toLowerCase(), value];
}

export function parseHeaders(list: readonly string[] = []): Record<string, string> {
  return Object.fromEntries(list.map(parseHeader));
}

/** Flags shared by `payload`, `send` and friends that shape the generated body. */
export interface PayloadFlags {
  seed?: string;
  set?: string[];
  unset?: string[];
  omitPrevious?: boolean;
  webhookUrl?: string;
  webhookName?: string;
  project?: string;
}

export function payloadOptionsFrom(flags: PayloadFlags): PayloadOptions {
  const webhook: PayloadOptions['webhook'] = {};
  if (flags.webhookUrl !== undefined) webhook.url = validateUrl(flags.webhookUrl);
  if (flags.project !== undefined && !/^[A-Za-z0-9_-]{1,64}$/.test(flags.project)) {
    throw usageError(
      `--project must be a project id (letters, digits, - and _), got ${JSON.stringify(flags.project)}`,
    );
  }
  if (flags.webhookName !== undefined) webhook.name = flags.webhookName;
  return {
    seed: flags.seed,
    set: flags.set,
    unset: flags.unset,
    omitPrevious: flags.omitPrevious,
    projectId: flags.project,
    webhook,
  };
}

/** "30s", "1500ms", "2m", "1h", "7d" or plain milliseconds -> milliseconds. */
export function parseDuration(text: string, flag = 'duration'): number {
  const ms = durationMs(text);
  if (ms === undefined)
    throw usageError(`${flag} must be a duration such as 500ms, 30s, 2m, 1h or 7d, got "${text}"`);
  return ms;
}
