#!/usr/bin/env node
// The `bluehook` command: a CommonJS shim (bin/package.json) that answers --version itself, before
// node starts its ES module loader or any module of ours loads, and otherwise runs the built CLI,
// dist/cli/main.cjs, with the V8 code cache the build made for it (src/cli/bundle.mjs): node 20
// has no compile cache of its own, and compiling what a start runs is most of its time beyond node.
'use strict';

const { readFileSync, renameSync, writeFileSync, writeSync } = require('node:fs');
const { join } = require('node:path');

const args = process.argv.slice(2);
if (args.length === 1 && (args[0] === '--version' || args[0] === '-V')) {
  const pkg = JSON.parse(readFileSync(join(__dirname, '..', 'package.json'), 'utf8'));
  // Written to the descriptor: process.stdout on a pipe would first load node's stream and net
  // modules (~5 ms). A reader that went away (EPIPE) is no error; a non-blocking pipe that is full
  // (EAGAIN) gets the stream after all.
  try {
    writeSync(1, `${pkg.version}\n`);
  } catch (e) {
    if (e.code === 'EAGAIN') process.stdout.write(`${pkg.version}\n`);
    else if (e.code !== 'EPIPE') {
      // As the CLI does (src/cli/main.ts): one line and exit 4, not a stack.
      process.stderr.write(`bluehook: cannot write the output: ${e.code || e.message}\n`);
      process.exitCode = 4;
    }
  }
} else {
  const cli = join(__dirname, '..', 'dist', 'cli', 'main.cjs');
  let source;
  try {
    // The bundle is ASCII (esbuild escapes the rest; the build checks): read without decoding.
    source = readFileSync(cli, 'latin1');
  } catch (e) {
    if (e.code !== 'ENOENT') throw e;
    process.stderr.write('bluehook: not built yet; run `npm run build` first\n');
    process.exit(4);
  }
  runBundle(cli, source).main(process.argv);
}

/**
 * Compiles and runs the bundle as node would require() it, with the code cache when it was made
 * from this very bundle (its first line names the build) by this node (V8 checks that itself and
 * refuses another version's cache: the bundle is then compiled, as without one).
 */
function runBundle(file, source) {
  const vm = require('node:vm');
  const { createRequire } = require('node:module');
  const build = source.slice(0, source.indexOf('\n') + 1);
  const cacheFile = `${file}.cache`;
  // The cache file: the bundle's first line, the CRC-32 of the V8 data (8 hex digits), the data.
  // V8 refuses data made by another V8 or for another source length, but reads damaged data without
  // a check of its own and ends node with a fatal error: the CRC is checked first (~0.1 ms).
  const { crc32 } = require('node:zlib');
  const crcOf = (data) => crc32(data).toString(16).padStart(8, '0');
  let cachedData;
  let state = 'none';
  try {
    const cache = readFileSync(cacheFile);
    const data = cache.subarray(build.length + 8);
    const header = cache.subarray(0, build.length + 8).toString('latin1');
    if (header === `${build}${crcOf(data)}`) cachedData = data;
    else state = 'ignored (made for another build, or damaged)';
  } catch {
    // No cache (a build that made none): compiled as usual.
  }
  const script = new vm.Script(
    `(function (exports, require, module, __filename, __dirname, __bluehookImport) {${source}\n})`,
    // The same name wherever the package lives: V8 keeps the name the cache was made under (the
    // build's path) in stack traces, and would carry it into every install.
    { filename: 'bluehook/dist/cli/main.cjs', cachedData },
  );
  const mode = process.env.BLUEHOOK_CODE_CACHE;
  // `report`: whether this start used the cache (troubleshooting, and the tests).
  if (mode === 'report') {
    if (cachedData)
      state = script.cachedDataRejected ? 'refused by V8 (another node or V8 flags)' : 'used';
    process.stderr.write(`bluehook: code cache ${state}\n`);
  }
  // `write`, set by the build: the cache is rewritten with what this run compiled besides.
  if (mode === 'write')
    process.on('exit', () => {
      const data = script.createCachedData();
      writeFileSync(
        `${cacheFile}.tmp`,
        Buffer.concat([Buffer.from(`${build}${crcOf(data)}`, 'latin1'), data]),
      );
      renameSync(`${cacheFile}.tmp`, cacheFile);
    });
  const module = { exports: {} };
  script
    .runInThisContext()
    .call(
      module.exports,
      module.exports,
      createRequire(file),
      module,
      file,
      join(file, '..'),
      (name) => import(name),
    );
  return module.exports;
}
