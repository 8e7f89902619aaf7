// Bundles the CLI (npm run build): one ESM entry plus lazily loaded chunks per command, with
// commander and chalk inlined so start-up reads a few files instead of dozens. Heavy dependencies
// stay external and are still imported only by the commands that use them.
import { copyFileSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
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

// Chunk names change with their content: start from an empty directory so no stale chunk ships.
rmSync('dist/cli', { recursive: true, force: true });

await build({
  // The load worker is its own entry: worker threads start from a file (see parallel-load.ts).
  entryPoints: { main: 'dist/src/cli/main.js', 'load-worker': 'dist/src/delivery/load-worker.js' },
  outdir: 'dist/cli',
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  // better-sqlite3's JavaScript is bundled (a dozen files fewer to load); its compiled addon stays in
  // node_modules and is loaded by path (db/database.ts).
  external: ['undici', 'ora', '@inquirer/prompts', 'cosmiconfig', 'graphql', 'pg'],
  plugins: [stubChildProcess],
  // commander is CommonJS: give its require() of Node built-ins something to call in ESM.
  banner: {
    js: "import { createRequire as __bluehookRequire } from 'node:module'; const require = __bluehookRequire(import.meta.url);",
  },
  logLevel: 'warning',
});

// The inspector's page: one minified script and its stylesheet and HTML beside it, served from the
// package (never a CDN), so it works offline.
const page = new URL('../inspector/page/', import.meta.url);
const out = new URL('../../dist/inspector/', import.meta.url);
mkdirSync(out, { recursive: true });
await build({
  entryPoints: [new URL('app.ts', page).pathname],
  outfile: new URL('app.js', out).pathname,
  bundle: true,
  minify: true,
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
