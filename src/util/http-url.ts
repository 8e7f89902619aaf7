/** The one check that a text is an absolute http(s) URL with a host, for webhooks and for export targets. */
import { usageError } from '../errors.js';

export function httpUrl(text: string): URL {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw usageError(
      `invalid URL "${text}": expected an absolute http:// or https:// URL`,
      undefined,
      'bad-url',
    );
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:')
    throw usageError(`invalid URL "${text}": only http:// and https:// URLs`, undefined, 'bad-url');
  if (!url.hostname) throw usageError(`invalid URL "${text}": no host`, undefined, 'bad-url');
  return url;
}
