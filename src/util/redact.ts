/**
 * A database URL as it may be shown: every password masked. libpq and node-postgres take a
 * password in the user-info (`user:pass@`) and as a query parameter (`?password=`, `&password=`,
 * `sslpassword=`, the name percent-encoded or not); every form is masked here, the one place a
 * URL is made printable.
 */
export function redactUrl(url: string): string {
  const masked = '***';
  try {
    const u = new URL(url);
    if (u.password) u.password = masked;
    if ([...u.searchParams.keys()].some(isSecretKey)) {
      const params = new URLSearchParams();
      for (const [k, v] of u.searchParams) params.append(k, isSecretKey(k) ? masked : v);
      u.search = params.toString().replaceAll('%2A', '*');
    }
    return u.toString();
  } catch {
    // Not a URL the WHATWG parser takes: mask by pattern what a driver could still read.
    return url
      .replace(/\/\/([^:/@]*):[^@]*@/, `//$1:${masked}@`)
      .replace(
        /([?&;\s]|^)([^=&;\s]*(?:pass|secret|token)[^=&;\s]*)\s*=\s*('(?:[^'\\]|\\.)*'|[^&;\s]*)/gi,
        `$1$2=${masked}`,
      );
  }
}

/** A query parameter that holds a secret (`password`, `sslpassword`, any spelling of them). */
const isSecretKey = (key: string) => /pass(word)?$|secret|token/i.test(key);
