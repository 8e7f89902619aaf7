/** bluehook's version, read from its package.json (no import of the JSON: it is not bundled). */
import { readFileSync } from 'node:fs';

/** The version in bluehook's package.json, found upward from this file (tsc output or bundle). */
export function packageVersion(): string {
  for (const up of ['../../package.json', '../../../package.json', '../package.json']) {
    try {
      const pkg = JSON.parse(readFileSync(new URL(up, import.meta.url), 'utf8')) as {
        name?: string;
        version: string;
      };
      if (pkg.name === 'bluehook') return pkg.version;
    } catch {
      // not at this level
    }
  }
  return 'unknown';
}
