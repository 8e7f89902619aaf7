/**
 * The CLI's words for the core's error codes. The core says what went wrong with a stable code
 * and, at most, a hint that names no flag (what the inspector shows); the hint that names a flag
 * is written here, in one table, and replaces the core's when the CLI shows the error.
 */
import type { BluehookError } from '../errors.js';
import type { Diagnosis } from '../signing/diagnose.js';

/** By code: the hint, or how to make it from the core's. */
const HINTS: Record<string, string | ((coreHint: string | undefined) => string)> = {
  'address-in-use': 'pick another with --port, or --port 0 for a free one',
  'address-not-allowed': 'use a port above 1023',
  'ambiguous-delivery': 'see `bluehook deliveries list`',
  'bad-expected-status': 'see --expect-status in --help',
  'blue-private-url': (hint) => `${hint}, or the emulator with --allow-private-urls`,
  'blue-secret-not-settable': '--secret cannot be used with --store blue',
  'blue-write-unconfirmed':
    'the request may or may not have reached Blue: check with `bluehook list --store blue` before retrying',
  'config-unreadable': 'fix the file or pass --config another',
  'emulator-state-unreadable': 'move it away, or run with --ephemeral',
  'nothing-to-verify-with': 'pass --secret or --webhook, or create a webhook first',
  'received-needs-target': (hint) => `say where its copy goes with --to URL; ${hint}`,
  'resign-needs-secret': 'pass --secret',
  'secret-unknown': 'pass --secret',
  'store-db-foreign': 'choose another store directory (--store-dir)',
  'store-dir-shared': (hint) => `${hint} with --store-dir`,
  'store-dir-unusable': 'choose another with --store-dir or BLUEHOOK_HOME',
  'unknown-event': 'run `bluehook events` for the full list',
  'webhook-name-taken': 'choose another --name',
};

/** The hint to show after an error's message, if any. */
export function hintFor(error: BluehookError): string | undefined {
  const hint = HINTS[error.code];
  if (hint === undefined) return error.hint;
  return typeof hint === 'string' ? hint : hint(error.hint);
}

/** A diagnosis as the CLI says it: with the flag that fixes it, when one does. */
export function diagnosisText(d: Pick<Diagnosis, 'message' | 'signedWith'>): string {
  return d.signedWith ? `${d.message} (use --scheme ${d.signedWith})` : d.message;
}
