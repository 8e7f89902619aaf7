#!/usr/bin/env node
// Tiny shim: the CLI lives in the compiled output (npm run build). `--version` is answered here,
// before any module of ours loads (start-up is measured against `node -e 0`).
import { readFileSync } from 'node:fs';

const args = process.argv.slice(2);
if (args.length === 1 && (args[0] === '--version' || args[0] === '-V')) {
  const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8'));
  process.stdout.on('error', () => process.exit(0));
  process.stdout.write(`${pkg.version}\n`);
} else {
  import('../dist/cli/main.js')
    .then((m) => m.main(process.argv))
    .catch((err) => {
      if (
        err &&
        err.code === 'ERR_MODULE_NOT_FOUND' &&
        String(err.message).includes('dist/cli/main.js')
      ) {
        process.stderr.write('bluehook: not built yet; run `npm run build` first\n');
        process.exit(4);
      }
      throw err;
    });
}
