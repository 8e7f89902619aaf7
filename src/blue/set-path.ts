/** `--set path=value` overrides on a payload: dotted paths, JSON values when they parse. */
import { usageError } from '../errors.js';

const FORBIDDEN = new Set(['__proto__', 'constructor', 'prototype']);

export interface Assignment {
  path: string[];
  value: unknown;
}

/** Parses "a.b.0.c=value"; the value is JSON when it parses (true, 3, null, "x", {..}), else a string. */
export function parseAssignment(text: string): Assignment {
  const eq = text.indexOf('=');
  if (eq <= 0) throw usageError(`--set expects path=value, got "${text}"`);
  const path = text.slice(0, eq).split('.');
  if (path.some((p) => p === '')) throw usageError(`--set path "${text.slice(0, eq)}" has an empty segment`);
  const bad = path.find((p) => FORBIDDEN.has(p));
  if (bad) throw usageError(`--set path segment "${bad}" is not allowed`);
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
export function applyAssignment(target: Record<string, unknown>, { path, value }: Assignment): void {
  let node: unknown = target;
  for (let i = 0; i < path.length - 1; i++) {
    const key = path[i]!;
    const holder = node as Record<string, unknown>;
    if (!Object.prototype.hasOwnProperty.call(holder, key) || holder[key] === undefined) {
      holder[key] = {};
    }
    node = holder[key];
    if (node === null || typeof node !== 'object') {
      const at = path.slice(0, i + 1).join('.');
      throw usageError(`--set ${path.join('.')}: "${at}" is ${node === null ? 'null' : typeof node}, not an object`);
    }
  }
  const last = path[path.length - 1]!;
  if (Array.isArray(node) && !/^\d+$/.test(last)) {
    throw usageError(`--set ${path.join('.')}: "${path.slice(0, -1).join('.')}" is an array; use a numeric index`);
  }
  (node as Record<string, unknown>)[last] = value;
}
