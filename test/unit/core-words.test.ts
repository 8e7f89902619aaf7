/**
 * Codes in the core, words at the edges: no string in src/ outside the CLI names a CLI flag
 * (`--secret`, `--store-dir`, …). The core says what went wrong with a stable code; the hint that
 * names a flag is the CLI's (src/cli/hints.ts), the inspector says it in its own words.
 */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { test } from 'node:test';
import ts from 'typescript';
import { BluehookError } from '../../src/errors.js';
import { hintFor } from '../../src/cli/hints.js';
import { SRC } from '../import-graph.js';

/** Strings that are someone else's flags, not bluehook's: each with the reason. */
const ALLOWED: Array<{ file: string; text: RegExp; why: string }> = [
  {
    file: 'history/export.ts',
    text: /^--(globoff|data-binary)$/,
    why: "curl's own flags, in the curl command it writes",
  },
  { file: 'config/config.ts', text: /^--check$/, why: "node's --check, run on a config file" },
  {
    file: 'util/young-generation.ts',
    text: /^--semi-space-growth-factor=$/,
    why: 'a V8 flag, set at run time',
  },
  {
    file: 'config/config.ts',
    text: /^--$/,
    why: 'the values of the global flags loadConfig is given (ConfigFlags) are refused naming the flag they came from',
  },
];

// A flag in the text, or `--` just before a ${…} that makes one up.
const FLAG = /(^|[\s(`'"=,])--([a-z]|$)/;

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const path = join(dir, e.name);
    if (e.isDirectory()) return sourceFiles(path);
    return /\.ts$/.test(e.name) ? [path] : [];
  });
}

/** Calls `visit` on every node of every file of src/ outside the folders `skip` names. */
function eachNode(
  skip: readonly string[],
  visit: (node: ts.Node, file: string, at: (node: ts.Node) => string) => void,
): void {
  for (const path of sourceFiles(SRC)) {
    const file = relative(SRC, path);
    if (skip.some((folder) => file.startsWith(folder))) continue;
    const text = readFileSync(path, 'utf8');
    const source = ts.createSourceFile(path, text, ts.ScriptTarget.Latest, true);
    const at = (node: ts.Node) =>
      `src/${file}:${source.getLineAndCharacterOfPosition(node.getStart(source)).line + 1}`;
    const walk = (node: ts.Node): void => {
      visit(node, file, at);
      ts.forEachChild(node, walk);
    };
    walk(source);
  }
}

/** Every string literal and piece of template text in src/ outside cli/ that names a flag. */
function flagStrings(): string[] {
  const found: string[] = [];
  eachNode(['cli/'], (node, file, at) => {
    if (
      ts.isStringLiteral(node) ||
      ts.isNoSubstitutionTemplateLiteral(node) ||
      ts.isTemplateHead(node) ||
      ts.isTemplateMiddle(node) ||
      ts.isTemplateTail(node)
    ) {
      const text = node.text;
      const isImport = ts.isImportDeclaration(node.parent) || ts.isExportDeclaration(node.parent);
      if (
        !isImport &&
        FLAG.test(text) &&
        !ALLOWED.some((a) => a.file === file && a.text.test(text))
      )
        found.push(`${at(node)}: ${JSON.stringify(text)}`);
    }
  });
  return found;
}

test('no string outside src/cli/ names a CLI flag', () => {
  const found = flagStrings();
  assert.deepEqual(
    found,
    [],
    `the core names CLI flags; give the error a code and put the flag's hint in src/cli/hints.ts:\n${found.join('\n')}`,
  );
});

const ERROR_HELPERS = new Set([
  'usageError',
  'notFoundError',
  'checkFailed',
  'networkError',
  'storeError',
  'configError',
  'internalError',
]);

/** Every error the core makes without a stable code: a helper called without one, or `new BluehookError` without `code`. */
function uncodedErrors(): string[] {
  const found: string[] = [];
  eachNode(['cli/', 'inspector/'], (node, _file, at) => {
    if (
      ts.isCallExpression(node) &&
      ts.isIdentifier(node.expression) &&
      ERROR_HELPERS.has(node.expression.text) &&
      node.arguments.length < 3
    )
      found.push(`${at(node)}: ${node.expression.text}(…) without a code`);
    if (ts.isNewExpression(node) && node.expression.getText() === 'BluehookError') {
      const details = node.arguments?.[2];
      const coded =
        details !== undefined &&
        (!ts.isObjectLiteralExpression(details) ||
          details.properties.some((p) => p.name?.getText() === 'code'));
      if (!coded) found.push(`${at(node)}: new BluehookError(…) without a code`);
    }
  });
  return found;
}

test('every error the core makes carries a stable code', () => {
  const found = uncodedErrors();
  assert.deepEqual(
    found,
    [],
    `give each a code (kebab-case, stable: scripts read it):\n${found.join('\n')}`,
  );
});

test('the CLI adds the flag to a coded error, and keeps the hint of an uncoded one', () => {
  const inUse = new BluehookError('port 1 on h is in use', 'network', { code: 'address-in-use' });
  assert.match(hintFor(inUse) ?? '', /--port/);
  const own = new BluehookError('x', 'usage', { hint: 'do y' });
  assert.equal(hintFor(own), 'do y');
});
