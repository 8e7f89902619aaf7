/** `--expect-status`: codes, classes and lists such as "2xx", "200,204", "4xx,503". */
import { usageError } from '../errors.js';

export type StatusMatcher = ((status: number | undefined) => boolean) & { text: string };

export function parseExpectStatus(text: string): StatusMatcher {
  const parts = text
    .split(',')
    .map((s) => s.trim().toLowerCase())
    .filter(Boolean);
  if (!parts.length)
    throw usageError('the expected statuses are empty', undefined, 'bad-expected-status');
  const tests = parts.map((p) => {
    if (/^[1-5]xx$/.test(p)) return (s: number) => Math.floor(s / 100) === Number(p[0]);
    if (/^[1-5]\d\d$/.test(p)) return (s: number) => s === Number(p);
    throw usageError(
      `expected status "${p}" is not a status code (200) or class (2xx)`,
      undefined,
      'bad-expected-status',
    );
  });
  const matcher = ((status: number | undefined) =>
    status !== undefined && tests.some((t) => t(status))) as StatusMatcher;
  matcher.text = parts.join(',');
  return matcher;
}
