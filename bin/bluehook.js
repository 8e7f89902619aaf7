#!/usr/bin/env node
// Tiny shim: the CLI lives in the compiled output (npm run build).
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
