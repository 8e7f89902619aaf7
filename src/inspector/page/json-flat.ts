/**
 * JSON as a flat table of nodes (preorder), parsed from the text without JSON.parse: values stay
 * spans of the original text, so a number keeps every digit and nothing is copied until it is
 * shown. Parsing yields to the event loop every few milliseconds, so a body of megabytes never
 * holds the page. The tree view windows over `visibleRows`; the diff reads `leaves`.
 */

export const OBJECT = 0;
export const ARRAY = 1;
export const STRING = 2;
export const NUMBER = 3;
export const LITERAL = 4;

export interface FlatJson {
  text: string;
  size: number;
  kind: Uint8Array;
  depth: Uint32Array;
  /** Key span in the text (quotes included); -1 for an array item (see `index`) and the root. */
  keyStart: Int32Array;
  keyEnd: Int32Array;
  /** Position among its parent's children. */
  index: Int32Array;
  /** Value span: the whole scalar, or the container from its bracket to its closing one. */
  start: Int32Array;
  end: Int32Array;
  /** The node after this one's subtree. */
  next: Int32Array;
  /** Children of a container. */
  count: Int32Array;
  parent: Int32Array;
}

function table(capacity: number): FlatJson {
  return {
    text: '',
    size: 0,
    kind: new Uint8Array(capacity),
    depth: new Uint32Array(capacity),
    keyStart: new Int32Array(capacity),
    keyEnd: new Int32Array(capacity),
    index: new Int32Array(capacity),
    start: new Int32Array(capacity),
    end: new Int32Array(capacity),
    next: new Int32Array(capacity),
    count: new Int32Array(capacity),
    parent: new Int32Array(capacity),
  };
}

function grow(t: FlatJson): FlatJson {
  const bigger = table(t.kind.length * 2);
  for (const k of [
    'kind',
    'depth',
    'keyStart',
    'keyEnd',
    'index',
    'start',
    'end',
    'next',
    'count',
    'parent',
  ] as const)
    (bigger[k] as Int32Array).set(t[k] as Int32Array);
  bigger.text = t.text;
  bigger.size = t.size;
  return bigger;
}

const isSpace = (c: number) => c === 32 || c === 10 || c === 13 || c === 9;

/** Skips a string starting at its opening quote; returns the index after its closing quote. */
function skipString(text: string, i: number): number {
  for (let j = i + 1; j < text.length; j++) {
    const c = text.charCodeAt(j);
    if (c === 92) j++;
    else if (c === 34) return j + 1;
  }
  throw new SyntaxError('unterminated string');
}

/**
 * Parses JSON text (already known to be JSON: the server says where it is not). `sliceMs` is how
 * long it works before yielding.
 */
export async function parseFlat(text: string, sliceMs = 8): Promise<FlatJson> {
  let t = table(Math.max(64, text.length >> 4));
  t.text = text;
  const stack: number[] = [];
  let i = 0;
  let key = -1;
  let keyEnd = -1;
  let deadline = performance.now() + sliceMs;
  let steps = 0;
  const add = (kind: number, start: number): number => {
    if (t.size === t.kind.length) t = grow(t);
    const n = t.size++;
    const parent = stack.length ? stack[stack.length - 1]! : -1;
    t.kind[n] = kind;
    t.depth[n] = stack.length;
    t.keyStart[n] = key;
    t.keyEnd[n] = keyEnd;
    t.parent[n] = parent;
    t.index[n] = parent >= 0 ? t.count[parent]!++ : 0;
    t.start[n] = start;
    t.count[n] = 0;
    key = -1;
    keyEnd = -1;
    return n;
  };
  while (i < text.length) {
    if (++steps % 1024 === 0 && performance.now() > deadline) {
      await new Promise((r) => setTimeout(r, 0));
      deadline = performance.now() + sliceMs;
    }
    const c = text.charCodeAt(i);
    if (isSpace(c) || c === 44 /* , */) {
      i++;
      continue;
    }
    const container = stack.length ? stack[stack.length - 1]! : -1;
    if (c === 125 /* } */ || c === 93 /* ] */) {
      const n = stack.pop()!;
      t.end[n] = i + 1;
      t.next[n] = t.size;
      i++;
      continue;
    }
    if (c === 34 /* " */) {
      const after = skipString(text, i);
      // In an object, a string not yet keyed is a key (its colon follows).
      if (container >= 0 && t.kind[container] === OBJECT && key === -1) {
        key = i;
        keyEnd = after;
        i = after;
        while (i < text.length && text.charCodeAt(i) !== 58 /* : */) i++;
        i++;
        continue;
      }
      const n = add(STRING, i);
      t.end[n] = after;
      t.next[n] = n + 1;
      i = after;
      continue;
    }
    if (c === 123 /* { */ || c === 91 /* [ */) {
      const n = add(c === 123 ? OBJECT : ARRAY, i);
      stack.push(n);
      i++;
      continue;
    }
    // A number or a literal (true, false, null): up to the next delimiter.
    let j = i + 1;
    for (; j < text.length; j++) {
      const d = text.charCodeAt(j);
      if (d === 44 || d === 125 || d === 93 || isSpace(d)) break;
    }
    const n = add(c === 116 || c === 102 || c === 110 ? LITERAL : NUMBER, i);
    t.end[n] = j;
    t.next[n] = n + 1;
    i = j;
  }
  if (stack.length) throw new SyntaxError('unterminated container');
  return t;
}

export const isContainer = (t: FlatJson, n: number) => t.kind[n]! <= ARRAY;

/** The key of a node as shown: an object's key unquoted, an array item's index. */
export function keyOf(t: FlatJson, n: number): string | null {
  if (t.keyStart[n]! >= 0) {
    const raw = t.text.slice(t.keyStart[n]!, t.keyEnd[n]!);
    return raw.includes('\\') ? (JSON.parse(raw) as string) : raw.slice(1, -1);
  }
  return t.parent[n]! >= 0 ? String(t.index[n]) : null;
}

/** A scalar's text as written (strings with their quotes); `max` bounds what is copied. */
export const rawOf = (t: FlatJson, n: number, max = Number.POSITIVE_INFINITY) =>
  t.text.slice(t.start[n]!, Math.min(t.end[n]!, t.start[n]! + max));

/** The rows a tree shows: preorder, skipping the subtrees of containers not expanded. */
export function visibleRows(t: FlatJson, expanded: ReadonlySet<number>): Int32Array {
  const out = new Int32Array(t.size);
  let k = 0;
  let n = 0;
  while (n < t.size) {
    out[k++] = n;
    n = isContainer(t, n) && expanded.has(n) ? n + 1 : t.next[n]!;
  }
  return out.subarray(0, k);
}

/** The path of a node from the root: `currentValue.todoTags[0].tag`. */
export function pathOf(t: FlatJson, n: number): string {
  const parts: string[] = [];
  for (let m = n; t.parent[m]! >= 0; m = t.parent[m]!) {
    const p = t.parent[m]!;
    parts.push(t.kind[p] === ARRAY ? `[${t.index[m]}]` : `.${keyOf(t, m)}`);
  }
  const path = parts.reverse().join('');
  return path.startsWith('.') ? path.slice(1) : path || '(root)';
}

/** Every leaf (a scalar, or an empty container) with its path and its text as written. */
export function leaves(t: FlatJson): Array<[string, string]> {
  const out: Array<[string, string]> = [];
  const paths: string[] = new Array(t.size);
  for (let n = 0; n < t.size; n++) {
    const p = t.parent[n]!;
    const own = p < 0 ? '' : t.kind[p] === ARRAY ? `[${t.index[n]}]` : `.${keyOf(t, n) ?? ''}`;
    const path = p < 0 ? '' : paths[p]! + own;
    paths[n] = path;
    if (!isContainer(t, n) || t.count[n] === 0) {
      const shown = path.startsWith('.') ? path.slice(1) : path || '(root)';
      out.push([shown, isContainer(t, n) ? (t.kind[n] === ARRAY ? '[]' : '{}') : rawOf(t, n)]);
    }
  }
  return out;
}

export type DiffKind = 'same' | 'added' | 'removed' | 'changed';
export interface DiffLine {
  kind: DiffKind;
  path: string;
  left: string | null;
  right: string | null;
}

/**
 * Two bodies' leaves side by side, in the left one's order, with what only the right one has
 * placed after the last path both share before it.
 */
export function diffLeaves(
  a: ReadonlyArray<[string, string]>,
  b: ReadonlyArray<[string, string]>,
): DiffLine[] {
  const inA = new Map(a);
  const inB = new Map(b);
  const addedAfter = new Map<string | null, Array<[string, string]>>();
  let anchor: string | null = null;
  for (const [path, value] of b) {
    if (inA.has(path)) anchor = path;
    else {
      const list = addedAfter.get(anchor) ?? [];
      list.push([path, value]);
      addedAfter.set(anchor, list);
    }
  }
  const out: DiffLine[] = [];
  const pushAdded = (at: string | null) => {
    for (const [path, value] of addedAfter.get(at) ?? [])
      out.push({ kind: 'added', path, left: null, right: value });
  };
  pushAdded(null);
  for (const [path, value] of a) {
    const other = inB.get(path);
    if (other === undefined) out.push({ kind: 'removed', path, left: value, right: null });
    else out.push({ kind: other === value ? 'same' : 'changed', path, left: value, right: other });
    if (other !== undefined) pushAdded(path);
  }
  return out;
}
