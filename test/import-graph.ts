/**
 * The import graph of src/: every static import, re-export, dynamic import() and `import('…')`
 * type, read with TypeScript's own parser, and the rules ARCHITECTURE.md draws. The unit test
 * test/unit/architecture.test.ts checks the rules; run this file to see the figures:
 * `node dist/test/import-graph.js` (folders, cross-folder cycles, file cycles, broken rules).
 */
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';

export interface ImportEdge {
  /** Importing file, relative to src/ (e.g. `cli/commands/send.ts`). */
  from: string;
  /** Imported file, relative to src/. */
  to: string;
  line: number;
  kind: 'static' | 'dynamic' | 'type';
}

/** src/ of this checkout (the tests run from dist/test/, this file is in test/). */
export const SRC = resolve(fileURLToPath(new URL('../../src/', import.meta.url)));

const SOURCE = /\.(ts|mts)$/;

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return sourceFiles(path);
    return SOURCE.test(entry.name) && !entry.name.endsWith('.d.ts') ? [path] : [];
  });
}

function resolveSpecifier(fromFile: string, specifier: string, known: Set<string>): string | null {
  if (!specifier.startsWith('.')) return null; // a package or node: built-in
  const base = resolve(dirname(fromFile), specifier);
  const stem = base.replace(/\.(m?js)$/, '');
  for (const candidate of [`${stem}.ts`, `${stem}.mts`, base, join(base, 'index.ts')])
    if (known.has(candidate)) return candidate;
  return null;
}

/** Every import between files of src/ (imports of packages are left out). */
export function readImports(src = SRC): ImportEdge[] {
  const files = sourceFiles(src);
  const known = new Set(files);
  const edges: ImportEdge[] = [];
  for (const file of files) {
    const text = readFileSync(file, 'utf8');
    const source = ts.createSourceFile(file, text, ts.ScriptTarget.Latest, false);
    const add = (specifier: ts.Node, kind: ImportEdge['kind']): void => {
      if (!ts.isStringLiteralLike(specifier)) return;
      const target = resolveSpecifier(file, specifier.text, known);
      if (!target) return;
      const line = source.getLineAndCharacterOfPosition(specifier.getStart(source)).line + 1;
      edges.push({ from: relative(src, file), to: relative(src, target), line, kind });
    };
    const visit = (node: ts.Node): void => {
      if (ts.isImportDeclaration(node)) {
        const clause = node.importClause;
        const typeOnly =
          clause !== undefined &&
          (clause.isTypeOnly ||
            (!clause.name &&
              clause.namedBindings !== undefined &&
              ts.isNamedImports(clause.namedBindings) &&
              clause.namedBindings.elements.length > 0 &&
              clause.namedBindings.elements.every((e) => e.isTypeOnly)));
        add(node.moduleSpecifier, typeOnly ? 'type' : 'static');
      } else if (ts.isExportDeclaration(node) && node.moduleSpecifier) {
        add(node.moduleSpecifier, node.isTypeOnly ? 'type' : 'static');
      } else if (
        ts.isCallExpression(node) &&
        node.expression.kind === ts.SyntaxKind.ImportKeyword &&
        node.arguments[0]
      ) {
        add(node.arguments[0], 'dynamic');
      } else if (ts.isImportTypeNode(node) && ts.isLiteralTypeNode(node.argument)) {
        add(node.argument.literal, 'type');
      }
      ts.forEachChild(node, visit);
    };
    visit(source);
  }
  return edges;
}

/**
 * The folder a file belongs to, as the diagram draws it: the first folder below src/
 * (`cli/commands/send.ts` is in `cli`), except the inspector's page, a program of its own;
 * a file directly in src/ is a node of its own (`errors.ts`).
 */
export function folderOf(file: string): string {
  if (file.startsWith('inspector/page/')) return 'inspector/page';
  const slash = file.indexOf('/');
  return slash === -1 ? file : file.slice(0, slash);
}

/** Strongly connected components of more than one node (each a set of nodes in a cycle). */
export function cycles(nodes: Iterable<string>, arrows: Map<string, Set<string>>): string[][] {
  let index = 0;
  const order = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const found: string[][] = [];
  const strongConnect = (node: string): void => {
    order.set(node, index);
    low.set(node, index);
    index++;
    stack.push(node);
    onStack.add(node);
    for (const next of arrows.get(node) ?? []) {
      if (!order.has(next)) {
        strongConnect(next);
        low.set(node, Math.min(low.get(node)!, low.get(next)!));
      } else if (onStack.has(next)) {
        low.set(node, Math.min(low.get(node)!, order.get(next)!));
      }
    }
    if (low.get(node) === order.get(node)) {
      const component: string[] = [];
      let member: string;
      do {
        member = stack.pop()!;
        onStack.delete(member);
        component.push(member);
      } while (member !== node);
      if (component.length > 1) found.push(component.sort());
    }
  };
  for (const node of nodes) if (!order.has(node)) strongConnect(node);
  return found;
}

function arrowsOf(pairs: Array<[string, string]>): Map<string, Set<string>> {
  const arrows = new Map<string, Set<string>>();
  for (const [from, to] of pairs) {
    if (from === to) continue;
    const targets = arrows.get(from) ?? new Set<string>();
    arrows.set(from, targets);
    targets.add(to);
  }
  return arrows;
}

/** Groups of folders that import each other, directly or round about. */
export function folderCycles(edges: ImportEdge[]): string[][] {
  const pairs = edges.map((e): [string, string] => [folderOf(e.from), folderOf(e.to)]);
  return cycles(new Set(pairs.flat()), arrowsOf(pairs));
}

/** Pairs of folders that import each other directly (a → b and b → a). */
export function folderPairsBothWays(edges: ImportEdge[]): string[] {
  const arrows = arrowsOf(edges.map((e): [string, string] => [folderOf(e.from), folderOf(e.to)]));
  const pairs: string[] = [];
  for (const [from, targets] of arrows)
    for (const to of targets)
      if (from < to && arrows.get(to)?.has(from)) pairs.push(`${from} ⇄ ${to}`);
  return pairs.sort();
}

/** Groups of files that import each other, directly or round about (type imports included). */
export function fileCycles(edges: ImportEdge[]): string[][] {
  const pairs = edges.map((e): [string, string] => [e.from, e.to]);
  return cycles(new Set(pairs.flat()), arrowsOf(pairs));
}

/**
 * Which folders each folder may import (besides itself). The core is everything but cli/ and
 * inspector/; errors.ts may be imported from anywhere. ARCHITECTURE.md draws the same table.
 */
const INSPECTOR_MAY_IMPORT = [
  'config',
  'db',
  'history',
  'store',
  'delivery',
  'receiver',
  'signing',
  'blue',
  'util',
];

export const ALLOWED: Record<string, readonly string[]> = {
  'errors.ts': [],
  'exit-codes.ts': ['errors.ts'],
  util: [],
  blue: ['util'],
  signing: ['util'],
  config: ['util'],
  db: ['util'],
  history: ['db', 'config', 'util'],
  store: ['db', 'blue', 'util'],
  delivery: ['history', 'store', 'blue', 'signing', 'util'],
  receiver: ['history', 'store', 'signing', 'util'],
  emulator: ['delivery', 'blue', 'signing', 'util'],
  relay: ['receiver', 'history', 'signing', 'delivery', 'blue', 'util'],
  check: ['delivery', 'signing', 'blue', 'history', 'util'],
  schema: ['blue', 'util'],
  'index.ts': ['blue', 'signing', 'util', 'exit-codes.ts'],
  inspector: INSPECTOR_MAY_IMPORT,
  'inspector/page': [],
  // The CLI wires everything: the core, the inspector, the exit codes.
  cli: [
    ...INSPECTOR_MAY_IMPORT,
    'emulator',
    'relay',
    'check',
    'schema',
    'exit-codes.ts',
    'inspector',
  ],
};

/**
 * What the page (a browser program, type-checked without Node's types) may import: the API's types
 * and the history's, and the one verdict label. These modules themselves import only types.
 */
export const PAGE_MAY_IMPORT = new Set([
  'inspector/api.ts',
  'history/types.ts',
  'history/verdict.ts',
]);

/** The library's modules (what @bluehook/webhooks ships): they import only each other. */
export const LIBRARY = [
  /^index\.ts$/,
  /^errors\.ts$/,
  /^exit-codes\.ts$/,
  /^blue\//,
  /^signing\//,
  /^util\/(headers|suggest)\.ts$/,
];

/** A command: a definition (`<name>.command.ts`) and its handler (`<name>.ts`) in cli/commands/. */
export function commandOf(file: string): string | undefined {
  const match = /^cli\/commands\/([^/.]+)(?:\.command)?\.ts$/.exec(file);
  return match?.[1];
}

export interface Violation {
  edge: ImportEdge;
  rule: string;
}

/** Every import the diagram forbids, each with the rule it breaks. */
export function violations(edges: ImportEdge[]): Violation[] {
  const found: Violation[] = [];
  for (const edge of edges) {
    const from = folderOf(edge.from);
    const to = folderOf(edge.to);
    const fromCommand = commandOf(edge.from);
    const toCommand = commandOf(edge.to);
    if (fromCommand && toCommand && fromCommand !== toCommand) {
      found.push({
        edge,
        rule: `a command imports another command (${fromCommand} → ${toCommand}): what both need belongs in the core, inspector/ or a cli/ module`,
      });
    }
    if (LIBRARY.some((r) => r.test(edge.from)) && !LIBRARY.some((r) => r.test(edge.to))) {
      found.push({
        edge,
        rule: 'the library (@bluehook/webhooks) imports only its own modules: index.ts, errors.ts, exit-codes.ts, blue/, signing/, util/headers, util/suggest',
      });
    }
    if (from === to || to === 'errors.ts') continue;
    if (PAGE_MAY_IMPORT.has(edge.from) && edge.kind !== 'type')
      found.push({
        edge,
        rule: `${edge.from} is imported by the inspector page: it may import types only`,
      });
    if (from === 'inspector/page') {
      if (!PAGE_MAY_IMPORT.has(edge.to))
        found.push({
          edge,
          rule: `the inspector page runs in the browser: it imports only ${[...PAGE_MAY_IMPORT].join(', ')}`,
        });
      continue;
    }
    const allowed = ALLOWED[from];
    if (!allowed) {
      found.push({
        edge,
        rule: `folder ${from}/ is not in the diagram: add it to ALLOWED in test/import-graph.ts and to ARCHITECTURE.md`,
      });
    } else if (!allowed.includes(to)) {
      const why =
        to === 'cli' || to === 'inspector'
          ? `the core must not import an edge (${to}/)`
          : `${from}/ may import ${allowed.length ? allowed.join(', ') : 'nothing but errors.ts'}`;
      found.push({ edge, rule: `${from} → ${to} is not in the diagram: ${why}` });
    }
  }
  return found;
}

export function describe(edge: ImportEdge): string {
  return `src/${edge.from}:${edge.line} imports src/${edge.to}${edge.kind === 'static' ? '' : ` (${edge.kind})`}`;
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const edges = readImports();
  const folders = folderCycles(edges);
  const files = fileCycles(edges);
  const broken = violations(edges);
  console.log(
    `${edges.length} imports between ${new Set(edges.flatMap((e) => [e.from, e.to])).size} files of src/`,
  );
  console.log(`folder pairs importing each other: ${folderPairsBothWays(edges).length}`);
  for (const pair of folderPairsBothWays(edges)) console.log(`  ${pair}`);
  console.log(`cross-folder cycles (groups of folders): ${folders.length}`);
  for (const group of folders) console.log(`  ${group.join(' ⇄ ')}`);
  console.log(`file cycles (groups of files): ${files.length}`);
  for (const group of files) console.log(`  ${group.join(' ⇄ ')}`);
  console.log(`imports the diagram forbids: ${broken.length}`);
  for (const v of broken) console.log(`  ${describe(v.edge)}: ${v.rule}`);
}
