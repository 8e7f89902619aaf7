/**
 * The CLI's words for the core's error codes: the core says what went wrong with a stable code and
 * no flag names; the hint that names a flag is added here, in one table. An error that brings its
 * own hint keeps it.
 */
import type { BluehookError } from '../errors.js';

const HINTS: Record<string, string> = {
  'address-in-use': 'pick another with --port, or --port 0 for a free one',
  'address-not-allowed': 'use a port above 1023',
};

/** The hint to show after an error's message, if any. */
export function hintFor(error: BluehookError): string | undefined {
  return error.hint ?? HINTS[error.code];
}
