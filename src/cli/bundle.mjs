// Bundles the CLI (npm run build) into one CommonJS file, dist/cli/main.cjs, with commander and
// chalk inlined, and writes a V8 code cache for it that bin/bluehook.js hands to node (Node 20 has
// no compile cache of its own: without it every start compiles what it runs, ~20 ms of `--help`).
// Heavy dependencies stay external and are still loaded only by the commands that use them. The
// worker threads' entries are a separate ES module build (a worker starts from a file).
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import {
  copyFileSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { build } from 'esbuild';

const stubChildProcess = {
  name: 'stub-child-process',
  setup(b) {
    // commander imports node:child_process at load time, only for executable subcommands.
    b.onResolve({ filter: /^(node:)?child_process$/ }, () => ({
      path: new URL('../../dist/src/cli/child-process-stub.js', import.meta.url).pathname,
    }));
  },
};
const external = ['ora', '@inquirer/prompts', 'cosmiconfig', 'graphql', 'pg'];

// Chunk names change with their content: start from an empty directory so no stale chunk ships.
rmSync('dist/cli', { recursive: true, force: true });

// The root help's list of commands, from the definitions themselves (see buildProgram).
const { buildProgram, commandListing } = await import(
  new URL('../../dist/src/cli/program.js', import.meta.url).href
);
const commandList = commandListing(buildProgram([], true));

const cli = 'dist/cli/main.cjs';
await build({
  entryPoints: ['dist/src/cli/main.js'],
  outfile: cli,
  bundle: true,
  format: 'cjs',
  platform: 'node',
  target: 'node20',
  // better-sqlite3's JavaScript is bundled (a dozen files fewer to load); its compiled addon stays in
  // node_modules and is loaded by path (db/database.ts).
  external,
  plugins: [stubChildProcess],
  // Fewer bytes to read at every start; identifiers are not renamed, so stacks (BLUEHOOK_DEBUG=1)
  // still name our functions.
  minifyWhitespace: true,
  minifySyntax: true,
  // Third-party license comments go beside the bundle (main.cjs.LEGAL.txt), not into the file read
  // at every start (they hold the only characters beyond ASCII).
  legalComments: 'linked',
  // The sources are ES modules: their import.meta.url is this file's URL.
  define: {
    'import.meta.url': '__bluehookModuleUrl',
    BLUEHOOK_COMMAND_LIST: JSON.stringify(commandList),
  },
  // Code run from a V8 code cache through node:vm cannot call import() in Node 20 (no dynamic import
  // callback), so import() of a package goes through __bluehookImport, which bin/bluehook.js passes
  // in (an import() of its own); loaded any other way, the file imports by itself.
  banner: {
    js: [
      "const __bluehookModuleUrl = require('node:url').pathToFileURL(__filename).href;",
      "const __bluehookLoad = typeof __bluehookImport === 'function' ? __bluehookImport : (name) => import(name);",
    ].join('\n'),
  },
  logLevel: 'warning',
});
const bundled = readFileSync(cli, 'utf8').replace(/\bimport\(("[^"]+")\)/g, '__bluehookLoad($1)');
// (The banner's own fallback, import(name), is the one import() left.)
if (/\bimport\((?!name\))/.test(bundled))
  throw new Error(`${cli}: an import() is left that a cached run cannot make`);
// bin/bluehook.js reads it as latin1 (no decoding): esbuild's default charset keeps it ASCII.
if (/[\u0080-\uffff]/.test(bundled)) throw new Error(`${cli}: a character beyond ASCII`);
// The build's id on the first line: the code cache is used only beside the bundle it was made from.
const id = createHash('sha256').update(bundled).digest('hex').slice(0, 32);
writeFileSync(cli, `// bluehook build ${id}\n${bundled}`);

// The worker threads' entries (see parallel-load.ts and integrity.ts).
await build({
  entryPoints: {
    'load-worker': 'dist/src/delivery/load-worker.js',
    'integrity-worker': 'dist/src/db/integrity-worker.js',
  },
  outdir: 'dist/cli',
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  external,
  plugins: [stubChildProcess],
  // commander is CommonJS: give its require() of Node built-ins something to call in ESM.
  banner: {
    js: "import { createRequire as __bluehookRequire } from 'node:module'; const require = __bluehookRequire(import.meta.url);",
  },
  logLevel: 'warning',
});

// The code cache: what V8 compiled while the CLI printed its help and a payload (the start-ups the
// bench measures, and most of what every command runs first), each run adding to the last one's.
// A cache made by another node (another V8) is refused by V8 and the bundle compiled as before.
rmSync(`${cli}.cache`, { force: true });
// Away from any config file or store of the machine's (the runs read none and write none).
const away = mkdtempSync(join(tmpdir(), 'bluehook-build-'));
for (const args of [['--help'], ['payload', 'TODO_CREATED', '--seed', '1']]) {
  const r = spawnSync(process.execPath, [join(process.cwd(), 'bin', 'bluehook.js'), ...args], {
    cwd: away,
    // Nothing of the machine's: no config (a broken one would fail the build), and no NODE_OPTIONS
    // (V8 refuses a cache made under other flags than the runs that read it).
    env: {
      PATH: process.env.PATH,
      HOME: away,
      XDG_CONFIG_HOME: join(away, 'config'),
      BLUEHOOK_HOME: join(away, 'home'),
      BLUEHOOK_CODE_CACHE: 'write',
    },
    encoding: 'utf8',
  });
  if (r.status !== 0)
    throw new Error(`bluehook ${args.join(' ')} failed while making the code cache: ${r.stderr}`);
}
rmSync(away, { recursive: true, force: true });
if (!existsSync(`${cli}.cache`)) throw new Error(`${cli}.cache was not written`);

// The inspector's page (preact, @preact/signals, @tanstack/virtual-core, bundled): one minified script and its stylesheet and HTML beside it, served from the
// package (never a CDN), so it works offline.
const page = new URL('../inspector/page/', import.meta.url);
const out = new URL('../../dist/inspector/', import.meta.url);
mkdirSync(out, { recursive: true });
await build({
  entryPoints: [new URL('app.tsx', page).pathname],
  outfile: new URL('app.js', out).pathname,
  bundle: true,
  minify: true,
  // preact's JSX runtime: the page is TSX, type-checked by tsconfig.page.json.
  jsx: 'automatic',
  jsxImportSource: 'preact',
  format: 'esm',
  target: 'es2022',
  logLevel: 'warning',
});
copyFileSync(new URL('index.html', page), new URL('index.html', out));
copyFileSync(new URL('app.css', page), new URL('app.css', out));

// The library for require() (CommonJS callers on Node 20, which cannot require ES modules): the
// same entry, bundled; it needs none of the CLI's dependencies.
await build({
  entryPoints: ['dist/src/index.js'],
  outfile: 'dist/lib/index.cjs',
  bundle: true,
  format: 'cjs',
  platform: 'node',
  target: 'node20',
  logLevel: 'warning',
});

// The library alone, as its own package (@bluehook/webhooks): the API of `import 'bluehook'` with
// no dependencies at all, for receivers that sign, verify and build samples in their tests without
// installing the CLI (bluehook itself needs a database driver compiled at install).
// `npm run pack:library` packs it.
const libraryDir = 'dist/webhooks';
rmSync(libraryDir, { recursive: true, force: true });
await build({
  entryPoints: ['dist/src/index.js'],
  outfile: `${libraryDir}/index.js`,
  bundle: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  logLevel: 'warning',
});
copyFileSync('dist/lib/index.cjs', `${libraryDir}/index.cjs`);
// Type declarations: index.d.ts and every declaration it reaches through relative imports.
const pending = ['index.d.ts'];
const copied = new Set();
while (pending.length > 0) {
  const file = pending.pop();
  if (copied.has(file)) continue;
  copied.add(file);
  const text = readFileSync(join('dist/src', file), 'utf8');
  mkdirSync(dirname(join(libraryDir, 'types', file)), { recursive: true });
  writeFileSync(join(libraryDir, 'types', file), text);
  for (const [, spec] of text.matchAll(/(?:from |import\()'(\.{1,2}\/[^']+)\.js'/g))
    pending.push(join(dirname(file), `${spec}.d.ts`));
}
const root = JSON.parse(readFileSync('package.json', 'utf8'));
const manifest = {
  name: '@bluehook/webhooks',
  version: root.version,
  description:
    "Sign, verify and build sample deliveries of Blue's (blue.cc) webhooks, and say why a signature fails. No dependencies.",
  type: 'module',
  license: root.license,
  engines: root.engines,
  sideEffects: false,
  types: './types/index.d.ts',
  exports: {
    '.': { types: './types/index.d.ts', import: './index.js', require: './index.cjs' },
  },
  keywords: ['blue', 'webhooks', 'hmac', 'signature', 'standard-webhooks'],
};
writeFileSync(`${libraryDir}/package.json`, `${JSON.stringify(manifest, null, 2)}\n`);
copyFileSync('docs/library.md', `${libraryDir}/README.md`);
copyFileSync('LICENSE', `${libraryDir}/LICENSE`);
