/** Headers that belong to one connection, not to a delivery: never forwarded, replayed or exported. */
export const HOP_BY_HOP_HEADERS: ReadonlySet<string> = new Set([
  'host',
  'connection',
  'keep-alive',
  'transfer-encoding',
  'content-length',
  'upgrade',
  'te',
  'trailer',
  'proxy-connection',
]);

/**
 * Headers as one string each: repeated headers joined with ", " as Node joins them, absent ones
 * dropped; names lower-cased when asked (Node and undici hand them over lower-cased already).
 */
export function flattenHeaders(
  headers: Record<string, string | string[] | undefined>,
  lowerCase = false,
): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers)) {
    if (value === undefined) continue;
    out[lowerCase ? name.toLowerCase() : name] = Array.isArray(value) ? value.join(', ') : value;
  }
  return out;
}
