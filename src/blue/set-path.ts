/** `--set path=value` overrides on a payload: dotted paths, JSON values when they parse. */
import { usageError } from '../errors.js';

const FORBIDDEN = new Set(['__proto__', 'constructor', 'prototype']);

export interface Assignment {
  path: string[];
  value: unknown;
}

/** The top-level keys of every delivery body; a path starting elsewhere is a typo, not a new field. */
const TOP_LEVEL = ['event', 'webhook', 'previousValue', 'currentValue'];

/** "a.b[0].c" or "a.b.0.c" → ['a', 'b', '0', 'c']. */
export function parsePath(text: string, verb = 'set'): string[] {
  const path = text.replace(/\[(\d+)\]/g, '.$1').split('.');
  if (path.some((p) => p === '') || /[[\]]/.test(text.replace(/\[\d+\]/g, '')))
    throw usageError(
      `${verb} path "${text}" is malformed: use a.b.c, with [n] or .n for array items`,
      undefined,
      'bad-payload-path',
    );
  const bad = path.find((p) => FORBIDDEN.has(p));
  if (bad)
    throw usageError(`${verb} path segment "${bad}" is not allowed`, undefined, 'bad-payload-path');
  if (!TOP_LEVEL.includes(path[0]!))
    throw usageError(
      `${verb} path "${text}" starts with "${path[0]}", which no delivery body has`,
      `paths start with ${TOP_LEVEL.join(', ')}`,
      'bad-payload-path',
    );
  return path;
}

/** Parses "a.b[0].c=value"; the value is JSON when it parses (true, 3, null, "x", {..}), else a string. */
export function parseAssignment(text: string): Assignment {
  const eq = text.indexOf('=');
  if (eq <= 0)
    throw usageError(`set expects path=value, got "${text}"`, undefined, 'bad-payload-path');
  const path = parsePath(text.slice(0, eq));
  const raw = text.slice(eq + 1);
  let value: unknown = raw;
  try {
    value = JSON.parse(raw);
  } catch {
    // Not JSON: keep the text as a string, so `--set currentValue.title=Hello` works unquoted.
  }
  return { path, value };
}

/** Applies an assignment in place. Missing objects on the way are created; a non-object is an error. */
export function applyAssignment(
  target: Record<string, unknown>,
  { path, value }: Assignment,
): void {
  let node: unknown = target;
  for (let i = 0; i < path.length - 1; i++) {
    const key = path[i]!;
    const holder = node as Record<string, unknown>;
    if (!Object.hasOwn(holder, key) || holder[key] === undefined) {
      holder[key] = {};
    }
    node = holder[key];
    if (node === null || typeof node !== 'object') {
      const at = path.slice(0, i + 1).join('.');
      throw usageError(
        `set ${path.join('.')}: "${at}" is ${node === null ? 'null' : typeof node}, not an object`,
        undefined,
        'bad-payload-path',
      );
    }
  }
  const last = path[path.length - 1]!;
  if (Array.isArray(node) && !/^\d+$/.test(last)) {
    throw usageError(
      `set ${path.join('.')}: "${path.slice(0, -1).join('.')}" is an array; use a numeric index`,
      undefined,
      'bad-payload-path',
    );
  }
  (node as Record<string, unknown>)[last] = value;
}

/** Removes what a path names (`--unset`); a path that names nothing is an error, not a no-op. */
export function removePath(target: Record<string, unknown>, text: string): void {
  const path = parsePath(text, 'unset');
  let node: unknown = target;
  for (const key of path.slice(0, -1)) {
    node =
      node !== null && typeof node === 'object'
        ? (node as Record<string, unknown>)[key]
        : undefined;
  }
  const last = path[path.length - 1]!;
  if (node === null || typeof node !== 'object' || !Object.hasOwn(node, last))
    throw usageError(`unset ${text}: there is nothing at that path`, undefined, 'bad-payload-path');
  if (Array.isArray(node)) node.splice(Number(last), 1);
  else delete (node as Record<string, unknown>)[last];
}
