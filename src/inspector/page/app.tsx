/**
 * The inspector page, on preact and signals. State is data: the list is a window over the
 * history (keyset pages fetched as it scrolls, live deliveries merged into the same array, never
 * dropped), the JSON tree a window over a flat table of nodes (json-flat.ts). Every value is
 * rendered as text by preact, never as HTML. Keyboard shortcuts call the same actions as buttons.
 */
import { batch, computed, signal } from '@preact/signals';
import {
  elementScroll,
  observeElementOffset,
  observeElementRect,
  Virtualizer,
} from '@tanstack/virtual-core';
import type { ComponentChildren } from 'preact';
import { render } from 'preact';
import { useEffect, useLayoutEffect, useReducer, useRef, useState } from 'preact/hooks';
import { verdictLabel } from '../../history/verdict.js';
import type { DriftIssue } from '../../schema/drift.js';
import type {
  ApiCount,
  ApiDetail,
  ApiMeta,
  ApiPage,
  ApiPrevious,
  ApiSendResult,
  ApiSummary,
  ApiVerifyResult,
} from '../api.js';
import {
  diffLeaves,
  type DiffLine,
  type FlatJson,
  isContainer,
  keyOf,
  leaves,
  parseFlat,
  rawOf,
  visibleRows,
  ARRAY,
  STRING,
} from './json-flat.js';

type Summary = ApiSummary;
type Detail = ApiDetail;

const token = (document.querySelector('meta[name="bluehook-token"]') as HTMLMetaElement).content;

async function api<T>(path: string, body?: unknown): Promise<T> {
  const res = await fetch(
    path,
    body === undefined
      ? {}
      : {
          method: 'POST',
          headers: { 'content-type': 'application/json', 'x-bluehook-token': token },
          body: JSON.stringify(body),
        },
  );
  const value = (await res.json()) as T & { error?: string };
  if (!res.ok) throw new Error(value.error ?? `${res.status}`);
  return value;
}

// ---- State -------------------------------------------------------------------------------

const meta = signal<ApiMeta | null>(null);
const filters = signal<Record<string, string>>({});
const filterError = signal<string | null>(null);
/** The loaded window of the history, newest first. */
const rows = signal<Summary[]>([]);
const known = new Set<string>();
const older = signal<string | null>(null);
const loading = signal(false);
/** The history's count for the filters, as the server says it. */
const total = signal<number | null>(null);
/** Live deliveries not yet in `rows` (the list is scrolled away from the top). */
const pending = signal<Summary[]>([]);
const live = signal<'connecting' | 'on' | 'reconnecting' | 'refused'>('connecting');
const selected = signal<string | null>(null);
const marked = signal<ReadonlySet<string>>(new Set());
const detail = signal<Detail | null>(null);
const diff = signal<{ a: Detail; b: Detail } | null>(null);
const note = signal<string>('');
const now = signal(Date.now());
const dialog = signal<DialogSpec | null>(null);
const searchBox = { el: null as HTMLInputElement | null };
const listScroll = { atTop: true, toIndex: (_i: number) => {} };

/**
 * The filters the list was last loaded with. Every query for the list (its pages, the count, the
 * stream, a catch-up) uses these, not what the form says while being typed in: a count or a
 * page for words not yet searched would land beside the list that still shows everything.
 */
let applied: Record<string, string> = {};
const filterQuery = (extra: Record<string, string> = {}) => {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries({ ...applied, ...extra })) if (v.trim()) q.set(k, v);
  return q;
};

// ---- Times -------------------------------------------------------------------------------

const exactTime = new Intl.DateTimeFormat(undefined, {
  year: 'numeric',
  month: '2-digit',
  day: '2-digit',
  hour: '2-digit',
  minute: '2-digit',
  second: '2-digit',
  fractionalSecondDigits: 3,
  hour12: false,
  timeZoneName: 'short',
});
/** Local time with its zone: what a hover shows and the detail says. */
const localTime = (iso: string) => exactTime.format(new Date(iso));
export function relativeTime(iso: string, at: number): string {
  const s = Math.max(0, Math.round((at - Date.parse(iso)) / 1000));
  if (s < 60) return `${s} s ago`;
  if (s < 3600) return `${Math.floor(s / 60)} m ago`;
  if (s < 86_400) return `${Math.floor(s / 3600)} h ago`;
  return `${Math.floor(s / 86_400)} d ago`;
}

// ---- The list: pages, live merge, count -------------------------------------------------

let generation = 0;
let countTimer = 0;

function refreshCount(delay = 0): void {
  clearTimeout(countTimer);
  const gen = generation;
  countTimer = window.setTimeout(() => {
    api<ApiCount>(`/api/count?${filterQuery()}`)
      .then((c) => {
        if (gen === generation) total.value = c.count;
      })
      .catch(() => {});
  }, delay);
}

async function loadOlder(): Promise<void> {
  if (loading.value) return;
  const gen = generation;
  loading.value = true;
  try {
    const q = filterQuery({ limit: '200' });
    if (older.value) q.set('after', older.value);
    const page = await api<ApiPage>(`/api/deliveries?${q}`);
    if (gen !== generation) return;
    const fresh = page.records.filter((s) => !known.has(s.id));
    for (const s of fresh) known.add(s.id);
    batch(() => {
      rows.value = rows.value.concat(fresh);
      older.value = page.next;
      filterError.value = null;
    });
  } catch (e) {
    if (gen === generation) filterError.value = (e as Error).message;
    older.value = null;
  } finally {
    if (gen === generation) loading.value = false;
  }
}

/** Newer deliveries in, newest first: into the list when it shows its top, else held for "show". */
function merge(newestFirst: Summary[]): void {
  const fresh = newestFirst.filter((s) => !known.has(s.id));
  if (!fresh.length) return;
  for (const s of fresh) known.add(s.id);
  if (listScroll.atTop && !pending.value.length) rows.value = fresh.concat(rows.value);
  else pending.value = fresh.concat(pending.value);
  refreshCount(400);
}

function showPending(): void {
  batch(() => {
    rows.value = pending.value.concat(rows.value);
    pending.value = [];
  });
  listScroll.toIndex(0);
}

let stream: EventSource | null = null;
let incoming: Summary[] = [];
let flushQueued = false;

/** After a reconnection: what landed meanwhile, page by page from the newest, until a known one. */
async function catchUp(gen: number): Promise<void> {
  let after: string | null = null;
  const found: Summary[] = [];
  for (let i = 0; i < 50; i++) {
    const q = filterQuery({ limit: '500' });
    if (after) q.set('after', after);
    const page: ApiPage = await api<ApiPage>(`/api/deliveries?${q}`);
    if (gen !== generation) return;
    const stop = page.records.findIndex((s) => known.has(s.id));
    found.push(...(stop < 0 ? page.records : page.records.slice(0, stop)));
    if (stop >= 0 || !page.next) break;
    after = page.next;
  }
  merge(found);
}

function connect(): void {
  stream?.close();
  const gen = generation;
  const q = filterQuery({ token });
  const es = new EventSource(`/api/stream?${q}`);
  stream = es;
  let dropped = false;
  es.addEventListener('open', () => {
    live.value = 'on';
    if (dropped) void catchUp(gen);
  });
  es.addEventListener('error', () => {
    dropped = true;
    live.value = es.readyState === EventSource.CLOSED ? 'refused' : 'reconnecting';
  });
  es.addEventListener('deliveries', (e) => {
    if (gen !== generation) return;
    incoming.push(...(JSON.parse((e as MessageEvent<string>).data) as Summary[]));
    // However fast they come, merged once a frame: the window draws a screenful, not the burst.
    if (!flushQueued) {
      flushQueued = true;
      requestAnimationFrame(() => {
        flushQueued = false;
        const batchOf = incoming;
        incoming = [];
        merge(batchOf.reverse());
      });
    }
  });
}

function reload(): void {
  generation++;
  applied = filters.value;
  known.clear();
  incoming = [];
  batch(() => {
    rows.value = [];
    pending.value = [];
    older.value = null;
    total.value = null;
    // A page still coming for the old filters is dropped when it lands (its generation is gone).
    loading.value = false;
  });
  // The stream first, then the first page: what lands in between is in one or the other (or
  // both, and counted once).
  connect();
  void loadOlder();
  refreshCount();
}

// ---- Actions (buttons and keys call these) ------------------------------------------------

function indexOfSelected(): number {
  return selected.value ? rows.value.findIndex((r) => r.id === selected.value) : -1;
}

async function open(id: string): Promise<void> {
  selected.value = id;
  diff.value = null;
  const d = await api<Detail>(`/api/deliveries/${encodeURIComponent(id)}?lean=1`);
  if (selected.value === id) detail.value = d;
}

function move(step: number): void {
  const list = rows.value;
  if (!list.length) return;
  const at = indexOfSelected();
  const next = Math.min(list.length - 1, Math.max(0, at < 0 ? 0 : at + step));
  listScroll.toIndex(next);
  void open(list[next]!.id);
  if (next > list.length - 20 && older.value) void loadOlder();
}

function toggleMark(id: string | null): void {
  if (!id) return;
  const next = new Set(marked.value);
  if (next.has(id)) next.delete(id);
  else next.add(id);
  marked.value = next;
}

async function diffMarked(): Promise<void> {
  const [a, b] = [...marked.value];
  if (!a || !b) return;
  const [x, y] = await Promise.all(
    [a, b].map((id) => api<Detail>(`/api/deliveries/${encodeURIComponent(id)}?lean=1`)),
  );
  diff.value = { a: x!, b: y! };
}

async function diffPrevious(): Promise<void> {
  const d = detail.value;
  if (!d) return;
  const { previous } = await api<ApiPrevious>(
    `/api/deliveries/${encodeURIComponent(d.record.id)}/previous`,
  );
  if (!previous) {
    note.value = 'no earlier delivery of this record';
    return;
  }
  const p = await api<Detail>(`/api/deliveries/${encodeURIComponent(previous.id)}?lean=1`);
  diff.value = { a: p, b: d };
}

const actions = {
  next: () => move(1),
  previous: () => move(-1),
  search: () => searchBox.el?.focus(),
  mark: () => toggleMark(selected.value),
  compose: () => composeDialog(),
  replay: () => detail.value && replayDialog([detail.value.record.id], detail.value),
  edit: () => detail.value && editDialog(detail.value),
  verify: () => detail.value && verifyDialog(detail.value),
  diffPrevious: () => void diffPrevious(),
  diffMarked: () => void diffMarked(),
  showNew: () => showPending(),
  closeDiff: () => {
    diff.value = null;
  },
};
type Action = keyof typeof actions;
const KEYS: Record<string, Action> = {
  j: 'next',
  ArrowDown: 'next',
  k: 'previous',
  ArrowUp: 'previous',
  '/': 'search',
  x: 'mark',
  c: 'compose',
  r: 'replay',
  e: 'edit',
  v: 'verify',
  p: 'diffPrevious',
  d: 'diffMarked',
  n: 'showNew',
};
const keyOfAction = (a: Action) => Object.keys(KEYS).find((k) => KEYS[k] === a) ?? '';

function onKey(e: KeyboardEvent): void {
  const target = e.target as HTMLElement;
  if (e.key === 'Escape' && target === searchBox.el) {
    // Leaves the box, keeping what it says (a search input would clear itself).
    e.preventDefault();
    searchBox.el!.blur();
    return;
  }
  if (e.key === 'Escape' && diff.value && !dialog.value) {
    actions.closeDiff();
    return;
  }
  const typing =
    target instanceof HTMLInputElement ||
    target instanceof HTMLTextAreaElement ||
    target instanceof HTMLSelectElement;
  if (typing || dialog.value || e.metaKey || e.ctrlKey || e.altKey) return;
  const action = KEYS[e.key];
  if (!action) return;
  e.preventDefault();
  actions[action]();
}

// ---- Dialogs ------------------------------------------------------------------------------

interface DialogSpec {
  title: string;
  fields: ComponentChildren;
  go: string;
  run: (form: HTMLFormElement) => Promise<string>;
}

const outcome = (r: ApiSendResult) =>
  r.ok
    ? `✔ answered ${r.status}; recorded as ${r.record.id}`
    : `✘ ${r.error ?? `answered ${r.status}`}; recorded as ${r.record.id}`;
const value = (form: HTMLFormElement, name: string) =>
  ((form.elements.namedItem(name) as HTMLInputElement | null)?.value ?? '').trim() || undefined;

function TargetFields({ d }: { d?: Detail }) {
  return (
    <>
      <label>
        Stored webhook
        <select name="webhookId" value={d?.webhook?.id ?? ""}>
          <option value="">— a URL —</option>
          {meta.value?.webhooks.map((w) => (
            <option key={w.id} value={w.id}>
              {`${w.name ?? w.id} → ${w.url}`}
            </option>
          ))}
        </select>
      </label>
      <label>
        URL
        <input
          name="url"
          type="url"
          placeholder="default: the webhook's URL"
          defaultValue={d && d.record.direction === 'out' ? d.record.url : ''}
        />
      </label>
      <label>
        Secret
        <input
          name="secret"
          type="password"
          autocomplete="off"
          placeholder="default: the webhook's stored secret"
        />
      </label>
    </>
  );
}

function replayDialog(ids: string[], d?: Detail): void {
  const one = ids.length === 1;
  dialog.value = {
    title: one ? `Replay ${ids[0]}` : `Replay ${ids.length} deliveries`,
    fields: (
      <>
        <label>
          Target URL
          <input
            name="to"
            type="url"
            placeholder={one ? 'http://127.0.0.1:3000/webhooks/blue' : 'default: each original'}
            defaultValue={d?.record.direction === 'out' ? d.record.url : ''}
          />
        </label>
        <label>
          <input type="checkbox" name="resign" /> Sign again (instead of the recorded signature)
        </label>
        <label>
          Secret for signing again
          <input
            name="secret"
            type="password"
            autocomplete="off"
            placeholder="default: the webhook's stored secret"
          />
        </label>
      </>
    ),
    go: 'Replay',
    run: async (form) => {
      const said: string[] = [];
      for (const id of ids) {
        try {
          said.push(
            outcome(
              await api<ApiSendResult>('/api/replay', {
                id,
                to: value(form, 'to'),
                resign: (form.elements.namedItem('resign') as HTMLInputElement).checked,
                secret: value(form, 'secret'),
              }),
            ),
          );
        } catch (e) {
          said.push(`✘ ${id}: ${(e as Error).message}`);
        }
      }
      return said.join('\n');
    },
  };
}

function editDialog(d: Detail): void {
  const text = d.body.text;
  dialog.value = {
    title: `Edit and resend ${d.record.id}`,
    fields: (
      <>
        {text === null ? (
          <p class="muted">
            {`A binary body (${d.body.bytes} bytes): resent byte for byte, signed again.`}
          </p>
        ) : (
          <label>
            Body (sent exactly as written, signed again; unchanged, the original bytes)
            <textarea name="body" spellcheck={false} defaultValue={text} />
          </label>
        )}
        <TargetFields d={d} />
      </>
    ),
    go: 'Sign and send',
    run: async (form) => {
      const edited = (form.elements.namedItem('body') as HTMLTextAreaElement | null)?.value;
      // A textarea gives line ends as \n: unchanged text is the original string, CRs and all.
      const unchanged = text !== null && edited === text.replace(/\r\n?/g, '\n');
      const body =
        text === null
          ? { bodyBase64: d.body.base64 }
          : { body: unchanged ? text : (edited ?? text) };
      return outcome(
        await api<ApiSendResult>('/api/send', {
          ...body,
          webhookId: value(form, 'webhookId'),
          url: value(form, 'url'),
          secret: value(form, 'secret'),
          replayOf: d.record.id,
        }),
      );
    },
  };
}

function verifyDialog(d: Detail): void {
  dialog.value = {
    title: `Verify ${d.record.id} again`,
    fields: (
      <label>
        Secret
        <input
          name="secret"
          type="password"
          autocomplete="off"
          placeholder="default: the webhook's stored secret"
        />
      </label>
    ),
    go: 'Verify',
    run: async (form) => {
      const v = await api<ApiVerifyResult>('/api/verify', {
        id: d.record.id,
        secret: value(form, 'secret'),
      });
      return `${v.valid ? '✔' : '✘'} ${v.message}`;
    },
  };
}

function composeDialog(): void {
  dialog.value = {
    title: 'Compose a Blue event',
    fields: (
      <>
        <label>
          Event
          <select name="event">
            {meta.value?.events.map((e) => (
              <option key={e.name} value={e.name}>
                {e.name}
              </option>
            ))}
          </select>
        </label>
        <label>
          Seed (same seed, same body)
          <input name="seed" placeholder="random" />
        </label>
        <label>
          Field overrides, one path=value a line
          <textarea
            name="set"
            class="short"
            spellcheck={false}
            placeholder={'currentValue.title=Ship it\ncurrentValue.done=true'}
          />
        </label>
        <TargetFields />
      </>
    ),
    go: 'Build, sign and send',
    run: async (form) =>
      outcome(
        await api<ApiSendResult>('/api/send', {
          event: value(form, 'event'),
          seed: value(form, 'seed'),
          set: ((form.elements.namedItem('set') as HTMLTextAreaElement).value ?? '').split('\n'),
          webhookId: value(form, 'webhookId'),
          url: value(form, 'url'),
          secret: value(form, 'secret'),
        }),
      ),
  };
}

function Dialog() {
  const ref = useRef<HTMLDialogElement>(null);
  const form = useRef<HTMLFormElement>(null);
  const [result, setResult] = useState('');
  const [busy, setBusy] = useState(false);
  const spec = dialog.value;
  useEffect(() => {
    setResult('');
    const dlg = ref.current!;
    if (spec && !dlg.open) {
      dlg.showModal();
      (dlg.querySelector('input, select, textarea') as HTMLElement | null)?.focus();
    } else if (!spec && dlg.open) dlg.close();
  }, [spec]);
  return (
    <dialog
      id="dialog"
      ref={ref}
      aria-labelledby="dialog-title"
      onClose={() => {
        dialog.value = null;
      }}
    >
      <form method="dialog" id="dialog-form" ref={form}>
        <h2 id="dialog-title">{spec?.title ?? ''}</h2>
        <div id="dialog-body">{spec?.fields}</div>
        <p id="dialog-result" role="status" aria-live="polite">
          {result}
        </p>
        <menu>
          <button type="submit" value="cancel" formnovalidate>
            Close
          </button>
          <button
            id="dialog-go"
            type="button"
            class="primary"
            disabled={busy}
            onClick={() => {
              if (!spec) return;
              setBusy(true);
              setResult('sending…');
              spec
                .run(form.current!)
                .then(setResult, (e: Error) => setResult(`✘ ${e.message}`))
                .finally(() => setBusy(false));
            }}
          >
            {spec?.go ?? 'Send'}
          </button>
        </menu>
      </form>
    </dialog>
  );
}

// ---- Windowing --------------------------------------------------------------------------

/** A virtualizer over a scroll element, redrawn when it says the window moved. */
function useWindow(count: number, rowHeight: number, scroller: { current: HTMLElement | null }) {
  const [, redraw] = useReducer((n: number) => n + 1, 0);
  const [v] = useState(
    () =>
      new Virtualizer<HTMLElement, HTMLElement>({
        count,
        getScrollElement: () => scroller.current,
        estimateSize: () => rowHeight,
        overscan: 12,
        scrollToFn: elementScroll,
        observeElementRect,
        observeElementOffset,
        onChange: () => redraw(0),
      }),
  );
  v.setOptions({ ...v.options, count });
  useLayoutEffect(() => v._didMount(), []);
  useLayoutEffect(() => v._willUpdate());
  return v;
}

// ---- Components ---------------------------------------------------------------------------

const ROW = 30;

const size = (bytes: number) =>
  bytes < 10_000
    ? `${bytes} B`
    : bytes < 1_000_000
      ? `${(bytes / 1000).toFixed(1)} kB`
      : `${(bytes / 1_000_000).toFixed(1)} MB`;

function verdictOf(s: Summary): { text: string; cls: string } {
  // Signed right but refused (not JSON, not expected): said as such, not a green "valid".
  if (s.direction === 'in' && s.valid && s.status !== null && s.status >= 400)
    return { text: `valid signature, answered ${s.status}`, cls: 'warn' };
  // Drift has its own badge beside the label.
  return { text: verdictLabel({ ...s, drift: null }), cls: s.valid ? 'ok' : 'bad' };
}

function DriftBadge({ level }: { level: 'warning' | 'info' | null | undefined }) {
  if (!level) return null;
  return (
    <span
      class={`badge drift-${level}`}
      title={
        level === 'warning'
          ? "drift: a key missing or of another type than the event's schema"
          : 'new keys: Blue sent fields bluehook does not know (information)'
      }
    >
      {level === 'warning' ? 'drift' : 'new keys'}
    </span>
  );
}

function Row({ s, top }: { s: Summary; top: number }) {
  const v = verdictOf(s);
  const isMarked = marked.value.has(s.id);
  return (
    <div
      class="row"
      role="row"
      data-id={s.id}
      aria-selected={selected.value === s.id}
      style={{ transform: `translateY(${top}px)` }}
      onClick={(e) => {
        if ((e.target as HTMLElement).classList.contains('mark')) toggleMark(s.id);
        else void open(s.id);
      }}
    >
      <span
        class="mark"
        role="checkbox"
        aria-checked={isMarked}
        aria-label={`select ${s.id} (x)`}
      >
        {isMarked ? '◉' : '○'}
      </span>
      <span class="mono time" title={localTime(s.time)}>
        {relativeTime(s.time, now.value)}
      </span>
      <span>{s.direction}</span>
      <span class="event" title={s.event ?? ''}>
        {s.event ?? '(not JSON)'}
      </span>
      <span class={`verdict-cell ${v.cls}`} title={v.text}>
        {v.text}
        <DriftBadge level={s.drift} />
      </span>
      <span class={s.status !== null && s.status < 300 ? 'ok' : 'bad'}>
        {s.status === null ? '—' : String(s.status)}
      </span>
      <span class="num" title={`${s.bytes} bytes`}>
        {size(s.bytes)}
      </span>
    </div>
  );
}

function List() {
  const scroller = useRef<HTMLDivElement>(null);
  const list = rows.value;
  const v = useWindow(list.length, ROW, scroller);
  listScroll.toIndex = (i) => v.scrollToIndex(i, { align: 'auto' });
  const items = v.getVirtualItems();
  const last = items[items.length - 1];
  useEffect(() => {
    if (last && last.index >= list.length - 40 && older.value && !loading.value) void loadOlder();
  });
  return (
    <section class="list" aria-label="Recorded deliveries">
      {pending.value.length > 0 && (
        <button id="new-banner" type="button" class="banner" onClick={actions.showNew}>
          {`${pending.value.length} new, show (n)`}
        </button>
      )}
      <div class="row head" role="row">
        <span />
        <span>Time</span>
        <span>Dir</span>
        <span>Event</span>
        <span>Verdict</span>
        <span title="Status">HTTP</span>
        <span>Size</span>
      </div>
      <div
        id="rows"
        ref={scroller}
        class="rows"
        role="grid"
        aria-rowcount={total.value ?? -1}
        onScroll={(e) => {
          listScroll.atTop = (e.currentTarget as HTMLElement).scrollTop < ROW;
          if (listScroll.atTop && pending.value.length) showPending();
        }}
      >
        <div class="spacer" style={{ height: `${v.getTotalSize()}px` }}>
          {items.map((it) => (
            <Row key={list[it.index]!.id} s={list[it.index]!} top={it.start} />
          ))}
        </div>
      </div>
      <p id="list-end" class="muted">
        {loading.value
          ? 'loading…'
          : list.length === 0
            ? 'no recorded deliveries match'
            : older.value
              ? ''
              : 'the oldest recorded delivery'}
      </p>
    </section>
  );
}

const TREE_ROW = 20;

function JsonTree({ flat }: { flat: FlatJson }) {
  const scroller = useRef<HTMLDivElement>(null);
  const [expanded, setExpanded] = useState<ReadonlySet<number>>(() => {
    const open = new Set<number>([0]);
    // The root's small children open too: a delivery's first screen shows its fields.
    for (let n = 1; n < flat.size; n = flat.next[n]!)
      if (isContainer(flat, n) && flat.count[n]! <= 20) open.add(n);
    return open;
  });
  const [visible, setVisible] = useState(() => visibleRows(flat, expanded));
  const v = useWindow(visible.length, TREE_ROW, scroller);
  const toggle = (n: number) => {
    const next = new Set(expanded);
    if (next.has(n)) next.delete(n);
    else next.add(n);
    setExpanded(next);
    setVisible(visibleRows(flat, next));
  };
  return (
    <div class="tree mono" ref={scroller} role="tree" aria-label="Body as a tree">
      <div class="spacer" style={{ height: `${v.getTotalSize()}px` }}>
        {v.getVirtualItems().map((it) => {
          const n = visible[it.index]!;
          const key = keyOf(flat, n);
          const container = isContainer(flat, n);
          const kind = flat.kind[n]!;
          return (
            <div
              key={n}
              class="node"
              role="treeitem"
              aria-expanded={container ? expanded.has(n) : undefined}
              aria-level={flat.depth[n]! + 1}
              style={{
                transform: `translateY(${it.start}px)`,
                paddingLeft: `${flat.depth[n]! * 1.1}rem`,
              }}
            >
              {container ? (
                <button type="button" class="caret-btn" onClick={() => toggle(n)}>
                  {expanded.has(n) ? '▾' : '▸'}
                </button>
              ) : (
                <span class="caret-btn" />
              )}
              {key !== null && <span class="key">{`${key}: `}</span>}
              {container ? (
                <span class="muted">
                  {kind === ARRAY ? `[${flat.count[n]}]` : `{${flat.count[n]}}`}
                </span>
              ) : (
                <span class={kind === STRING ? 'str' : 'lit'}>{rawOf(flat, n, 400)}</span>
              )}
            </div>
          );
        })}
      </div>
    </div>
  );
}

const RAW_SHOWN = 256 * 1024;

function BodyView({ d }: { d: Detail }) {
  const [flat, setFlat] = useState<FlatJson | null>(null);
  const [tab, setTab] = useState<string>('');
  const text = d.body.text;
  useEffect(() => {
    setFlat(null);
    if (text === null || d.body.jsonError) return;
    let live = true;
    parseFlat(text).then(
      (f) => live && setFlat(f),
      () => {},
    );
    return () => {
      live = false;
    };
  }, [d]);
  const tabs: string[] = [];
  if (d.body.jsonError) tabs.push('Syntax error');
  if (text !== null && !d.body.jsonError) tabs.push('Tree');
  if (text !== null) tabs.push('Raw');
  else tabs.push('Hex', 'Base64');
  const shown = tabs.includes(tab) ? tab : tabs[0]!;
  let panel: ComponentChildren = null;
  if (shown === 'Tree')
    panel = flat ? <JsonTree key={d.record.id} flat={flat} /> : <p class="muted">reading…</p>;
  else if (shown === 'Raw')
    panel = (
      <pre class="mono">
        {text!.length > RAW_SHOWN
          ? `${text!.slice(0, RAW_SHOWN)}\n… (${text!.length - RAW_SHOWN} more characters: download raw)`
          : text}
      </pre>
    );
  else if (shown === 'Syntax error') {
    const e = d.body.jsonError!;
    const line = text!.split('\n')[e.line - 1] ?? '';
    panel = (
      <div>
        <p class="json-error">{`Not JSON: ${e.message} at line ${e.line}, column ${e.column}`}</p>
        <pre class="mono">
          {line}
          {'\n'}
          {' '.repeat(Math.max(0, e.column - 1))}
          <span class="caret">^</span>
        </pre>
      </div>
    );
  } else if (shown === 'Hex') {
    const bytes = Uint8Array.from(atob(d.body.base64).slice(0, 65_536), (c) => c.charCodeAt(0));
    let hex = '';
    bytes.forEach((b, i) => {
      hex += `${b.toString(16).padStart(2, '0')}${i % 16 === 15 ? '\n' : ' '}`;
    });
    panel = <pre class="mono">{hex}</pre>;
  } else panel = <pre class="mono">{d.body.base64}</pre>;
  return (
    <div>
      <div class="tabs" role="tablist">
        {tabs.map((name) => (
          <button
            key={name}
            type="button"
            role="tab"
            aria-selected={name === shown}
            onClick={() => setTab(name)}
          >
            {name}
          </button>
        ))}
      </div>
      <div role="tabpanel">{panel}</div>
    </div>
  );
}

const issueText = (i: DriftIssue) =>
  i.kind === 'missing'
    ? `${i.path} missing`
    : i.kind === 'added'
      ? `${i.path} is new (${i.actual ?? '?'})`
      : i.kind === 'format'
        ? `${i.path} is not a ${i.expected ?? '?'}`
        : i.kind === 'unknown-event'
          ? `event ${i.actual ?? '?'} is unknown`
          : `${i.path} is ${i.actual ?? '?'}, expected ${i.expected ?? '?'}`;

function Facts({ pairs }: { pairs: Array<[string, ComponentChildren]> }) {
  return (
    <dl class="kv">
      {pairs.map(([k, v]) => (
        <>
          <dt>{k}</dt>
          <dd>{v}</dd>
        </>
      ))}
    </dl>
  );
}

function ActionButton({ action, label }: { action: Action; label: string }) {
  const key = keyOfAction(action);
  return (
    <button
      type="button"
      aria-keyshortcuts={key}
      title={key ? `${label} (${key})` : label}
      onClick={() => actions[action]()}
    >
      {label}
    </button>
  );
}

async function copyCurl(d: Detail): Promise<void> {
  const to =
    d.record.direction === 'out'
      ? ''
      : `&to=${encodeURIComponent(prompt('Send the copy to which URL?', 'http://127.0.0.1:3000/') ?? '')}`;
  const res = await fetch(
    `/api/deliveries/${encodeURIComponent(d.record.id)}/export?format=curl${to}`,
  );
  const text = await res.text();
  if (!res.ok) return void alert(text);
  try {
    await navigator.clipboard.writeText(text);
    note.value = 'curl command copied';
  } catch {
    dialog.value = {
      title: 'curl command',
      fields: <pre class="mono">{text}</pre>,
      go: 'Close',
      run: async () => '',
    };
  }
}

function DetailPane({ d }: { d: Detail }) {
  const r = d.record;
  const status = r.direction === 'in' ? r.answer?.status : r.response?.status;
  const good = r.direction === 'in' ? r.verdict?.valid : r.ok;
  const refused = r.direction === 'in' && good && status !== undefined && status >= 400;
  const facts: Array<[string, ComponentChildren]> = [
    ['id', r.id],
    ['time', <span title={r.time}>{localTime(r.time)}</span>],
    ['request', `${r.method} ${r.url}`],
    [r.direction === 'in' ? 'answered' : 'answer', status === undefined ? '—' : String(status)],
  ];
  if (d.event)
    facts.push([
      'event',
      `${d.event.name} — ${d.event.kind} of a ${d.event.entity}: ${d.event.description}`,
    ]);
  if (d.webhook) facts.push(['webhook', `${d.webhook.name ?? d.webhook.id} (${d.webhook.url})`]);
  if (r.remoteAddress) facts.push(['from', r.remoteAddress]);
  if (r.drift)
    facts.push([
      'drift',
      <span class={`drift-${r.drift.level}`}>
        <DriftBadge level={r.drift.level} />
        {` ${r.drift.issues.map(issueText).join('; ')}${r.drift.count > r.drift.issues.length ? ` (+${r.drift.count - r.drift.issues.length} more)` : ''}`}
      </span>,
    ]);
  if (r.replayOf) facts.push(['replay of', r.replayOf]);
  return (
    <>
      <h2 class="event-name">{r.event ?? '(not JSON)'}</h2>
      <div class={`verdict ${refused ? 'warn' : good ? '' : 'bad'}`} role="note">
        <strong class={refused ? 'warn' : good ? 'ok' : 'bad'}>
          {r.direction === 'in'
            ? refused
              ? `Valid signature, answered ${status}`
              : good
                ? 'Valid signature'
                : 'Invalid signature'
            : good
              ? 'Delivered'
              : 'Not delivered'}
        </strong>
        {' — '}
        {r.direction === 'in'
          ? refused && d.body.jsonError
            ? 'the body is not JSON'
            : (r.verdict?.message ?? '')
          : (r.response?.error ?? `answered ${status ?? 'nothing'}`)}
      </div>
      <div class="actions">
        <ActionButton action="replay" label="Replay" />
        <ActionButton action="edit" label="Edit & resend" />
        <ActionButton action="verify" label="Verify with a secret" />
        <ActionButton action="diffPrevious" label="Diff with previous" />
        <button type="button" onClick={() => void copyCurl(d)}>
          Copy as curl
        </button>
        {['har', 'fixture', 'raw', 'json'].map((f) => (
          <a
            key={f}
            download=""
            href={`/api/deliveries/${encodeURIComponent(r.id)}/export?format=${f}${r.direction === 'in' ? '&to=http://127.0.0.1/' : ''}`}
          >
            {`Download ${f}`}
          </a>
        ))}
      </div>
      <Facts pairs={facts} />
      {r.attempts?.length ? (
        <>
          <h3>Attempts</h3>
          <table>
            <thead>
              <tr>
                <th>#</th>
                <th>status</th>
                <th>time</th>
                <th>error</th>
              </tr>
            </thead>
            <tbody>
              {r.attempts.map((a) => (
                <tr key={a.attempt}>
                  <td>{String(a.attempt)}</td>
                  <td>{a.status === undefined ? '—' : String(a.status)}</td>
                  <td>{`${a.durationMs} ms`}</td>
                  <td>{a.error ?? ''}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </>
      ) : null}
      <h3>Headers</h3>
      <Facts pairs={Object.entries(r.headers).map(([k, v]) => [k, v])} />
      <h3>{`Body (${d.body.bytes} bytes)`}</h3>
      <BodyView d={d} />
    </>
  );
}

const SAME_SHOWN = 2;

function DiffView({ a, b }: { a: Detail; b: Detail }) {
  const [lines, setLines] = useState<DiffLine[] | null>(null);
  const [opened, setOpened] = useState<ReadonlySet<number>>(new Set());
  useEffect(() => {
    let live = true;
    const side = async (d: Detail): Promise<Array<[string, string]>> => {
      if (d.body.text === null) return [['(body)', `${d.body.bytes} bytes, binary`]];
      if (d.body.jsonError) return [['(body)', d.body.text]];
      return leaves(await parseFlat(d.body.text));
    };
    Promise.all([side(a), side(b)]).then(([x, y]) => live && setLines(diffLeaves(x, y)));
    return () => {
      live = false;
    };
  }, [a, b]);
  const out: ComponentChildren[] = [];
  let changes = 0;
  if (lines) {
    // Unchanged runs fold to their ends and a line that opens them.
    let i = 0;
    while (i < lines.length) {
      if (lines[i]!.kind !== 'same') {
        const l = lines[i]!;
        changes++;
        out.push(
          <div key={i} class={`dl ${l.kind}`}>
            <span class="side">{l.left === null ? '' : `${l.path}: ${l.left}`}</span>
            <span class="side">{l.right === null ? '' : `${l.path}: ${l.right}`}</span>
          </div>,
        );
        i++;
        continue;
      }
      let j = i;
      while (j < lines.length && lines[j]!.kind === 'same') j++;
      const run = j - i;
      const fold = run > SAME_SHOWN * 2 + 1 && !opened.has(i);
      for (let k = i; k < j; k++) {
        if (fold && k === i + SAME_SHOWN) {
          const at = i;
          out.push(
            <button
              key={`f${i}`}
              type="button"
              class="fold"
              onClick={() => setOpened(new Set(opened).add(at))}
            >
              {`… ${run - SAME_SHOWN * 2} unchanged`}
            </button>,
          );
          k = j - SAME_SHOWN - 1;
          continue;
        }
        const l = lines[k]!;
        out.push(
          <div key={k} class="dl same">
            <span class="side">{`${l.path}: ${l.left}`}</span>
            <span class="side">{`${l.path}: ${l.right}`}</span>
          </div>,
        );
      }
      i = j;
    }
  }
  return (
    <section id="diff" class="diff" aria-label="Diff">
      <div class="diff-head">
        <h2>{lines ? `${changes} difference${changes === 1 ? '' : 's'}` : 'Comparing…'}</h2>
        <button type="button" onClick={actions.closeDiff} title="Back to the delivery (Esc)">
          Back
        </button>
      </div>
      <div class="dl cols">
        <span class="side">{`${a.record.id} · ${a.record.event ?? '(not JSON)'} · ${localTime(a.record.time)}`}</span>
        <span class="side">{`${b.record.id} · ${b.record.event ?? '(not JSON)'} · ${localTime(b.record.time)}`}</span>
      </div>
      <div class="mono diff-lines">{lines && changes === 0 ? 'the bodies are the same' : out}</div>
    </section>
  );
}

function Filters() {
  const m = meta.value;
  const set = (name: string, v: string) => {
    filters.value = { ...filters.value, [name]: v };
  };
  useEffect(() => {
    const t = window.setTimeout(reload, 200);
    return () => clearTimeout(t);
  }, [filters.value]);
  return (
    <form
      id="filters"
      class="filters"
      role="search"
      aria-label="Filter deliveries"
      onSubmit={(e) => e.preventDefault()}
      onInput={(e) => {
        const t = e.target as HTMLInputElement;
        if (t.name) set(t.name, t.value.trim());
      }}
    >
      <label>
        Direction{' '}
        <select name="direction">
          <option value="">all</option>
          <option value="in">received</option>
          <option value="out">sent</option>
        </select>
      </label>
      <label>
        Event{' '}
        <select name="event">
          <option value="">all</option>
          {m?.events.map((e) => (
            <option key={e.name} value={e.name}>
              {e.name}
            </option>
          ))}
        </select>
      </label>
      <label>
        Webhook{' '}
        <select name="webhook">
          <option value="">all</option>
          {m?.webhooks.map((w) => (
            <option key={w.id} value={w.id}>
              {w.name ?? w.id}
            </option>
          ))}
        </select>
      </label>
      <label>
        Verdict{' '}
        <select name="valid">
          <option value="">all</option>
          <option value="true">valid / delivered</option>
          <option value="false">invalid / failed</option>
        </select>
      </label>
      <label>
        Schema{' '}
        <select name="drift">
          <option value="">all</option>
          <option value="any">drifts or new keys</option>
          <option value="warning">drifts</option>
        </select>
      </label>
      <label>
        Status{' '}
        <input
          name="status"
          size={4}
          placeholder="5xx"
          aria-invalid={filterError.value !== null && /status/.test(filterError.value)}
        />
      </label>
      <label>
        Since{' '}
        <select name="since">
          <option value="">any time</option>
          <option value="5m">5 minutes</option>
          <option value="1h">1 hour</option>
          <option value="1d">1 day</option>
          <option value="7d">7 days</option>
        </select>
      </label>
      <label class="grow">
        Search{' '}
        <input
          name="search"
          type="search"
          placeholder="words in bodies and headers, an id, an event (/)"
          autocomplete="off"
          ref={(el) => {
            searchBox.el = el;
          }}
        />
      </label>
      {filterError.value && (
        <p class="filter-error bad" role="alert">
          {filterError.value}
        </p>
      )}
    </form>
  );
}

function BulkBar() {
  const ids = [...marked.value];
  if (!ids.length) return null;
  return (
    <div class="bulk" role="toolbar" aria-label="Selected deliveries">
      <span>{`${ids.length} selected`}</span>
      <button
        id="diff-open"
        type="button"
        disabled={ids.length !== 2}
        aria-keyshortcuts="d"
        onClick={actions.diffMarked}
      >
        Diff
      </button>
      <button type="button" id="bulk-replay" onClick={() => replayDialog(ids)}>
        Replay
      </button>
      <a id="bulk-export" download="" href={`/api/export?ids=${ids.map(encodeURIComponent).join(',')}`}>
        Export NDJSON
      </a>
      <button
        type="button"
        onClick={() => {
          marked.value = new Set();
        }}
      >
        Clear
      </button>
    </div>
  );
}

const liveText = computed(() => {
  if (note.value) return note.value;
  switch (live.value) {
    case 'on':
      return 'live';
    case 'connecting':
      return 'connecting…';
    case 'reconnecting':
      return 'reconnecting…';
    default:
      return 'not live: too many live views open (close a tab, then reload)';
  }
});

function App() {
  const m = meta.value;
  return (
    <>
      <header>
        <h1>
          bluehook <span>inspector</span>
        </h1>
        <p id="where" class="muted">
          {m ? `${m.history.engine}: ${m.history.location} · bluehook ${m.version}` : ''}
        </p>
        <p id="count" class="muted" aria-live="polite">
          {total.value === null
            ? ''
            : `${total.value.toLocaleString('en')} deliver${total.value === 1 ? 'y' : 'ies'}`}
        </p>
        <p id="live" class={`live ${live.value === 'on' ? 'on' : 'off'}`} role="status">
          {liveText.value}
        </p>
        <button
          id="compose-open"
          type="button"
          title="Compose a Blue event and send it (c)"
          aria-keyshortcuts="c"
          onClick={actions.compose}
        >
          Compose
        </button>
      </header>
      <Filters />
      <BulkBar />
      <main>
        <List />
        <section
          id="detail"
          class="detail"
          aria-label="Delivery detail"
          tabindex={-1}
          data-id={diff.value ? undefined : detail.value?.record.id}
        >
          {diff.value ? (
            <DiffView a={diff.value.a} b={diff.value.b} />
          ) : detail.value ? (
            <DetailPane d={detail.value} />
          ) : (
            <p class="muted">Select a delivery (j / k, or click).</p>
          )}
        </section>
      </main>
      <Dialog />
    </>
  );
}

async function main(): Promise<void> {
  render(<App />, document.getElementById('app')!);
  document.addEventListener('keydown', onKey);
  window.setInterval(() => {
    now.value = Date.now();
  }, 10_000);
  meta.value = await api<ApiMeta>('/api/meta');
  // The first delivery opens once there is one (not focused: keys still move the list).
  const first = rows.subscribe((list) => {
    if (list[0] && selected.value === null) {
      void open(list[0].id);
      queueMicrotask(() => first());
    }
  });
}

void main().catch((e: Error) => {
  note.value = `✘ ${e.message}`;
});
