/**
 * Text that came from the network (an event name, a path, headers, a body) shown on a terminal:
 * control characters are escaped so that it can never move the cursor, recolour, retitle the
 * window or forge a line. Bidirectional overrides are escaped too (they reorder what is shown).
 */
// C0 controls, DEL, C1 controls, and the Unicode bidi embedding/override/isolate characters.
const UNSAFE_IN_LINE = /[\u0000-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/g;
// The same, but newlines and tabs kept: a body shown as a block of lines.
const UNSAFE_IN_BLOCK = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/g;

const escapeChar = (c: string) => {
  const code = c.charCodeAt(0);
  if (c === '\n') return '\\n';
  if (c === '\r') return '\\r';
  if (c === '\t') return '\\t';
  return code <= 0xff
    ? `\\x${code.toString(16).padStart(2, '0')}`
    : `\\u${code.toString(16).padStart(4, '0')}`;
};

/** One line: every control character escaped, newlines included. */
export const lineSafe = (text: string): string => text.replace(UNSAFE_IN_LINE, escapeChar);

/** A block of lines (a body): newlines and tabs kept, every other control character escaped. */
export const blockSafe = (text: string): string => text.replace(UNSAFE_IN_BLOCK, escapeChar);
