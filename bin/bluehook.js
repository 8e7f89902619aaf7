#!/usr/bin/env node
// Tiny shim: the CLI lives in the compiled output (npm run build). CommonJS (bin/package.json), so
// that `--version` is answered before node starts its ES module loader or any module of ours
// loads (start-up is measured against `node -e 0`); everything else imports the ES module bundle.
'use strict';

const args = process.argv.slice(2);
if (args.length === 1 && (args[0] === '--version' || args[0] === '-V')) {
  const { readFileSync } = require('node:fs');
  const { join } = require('node:path');
  const pkg = JSON.parse(readFileSync(join(__dirname, '..', 'package.json'), 'utf8'));
  // Written to the descriptor: process.stdout on a pipe would first load node's stream and net
  // modules (~5 ms). A reader that went away (EPIPE) is no error; a non-blocking pipe that is full
  // (EAGAIN) gets the stream after all.
  try {
    require('node:fs').writeSync(1, `${pkg.version}\n`);
  } catch (e) {
    if (e.code === 'EAGAIN') process.stdout.write(`${pkg.version}\n`);
    else if (e.code !== 'EPIPE') {
      // As the CLI does (src/cli/main.ts): one line and exit 4, not a stack.
      process.stderr.write(`bluehook: cannot write the output: ${e.code || e.message}\n`);
      process.exitCode = 4;
    }
  }
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
