/**
 * The inspector page: a list of recorded deliveries (live, filtered, paged by cursor), one
 * delivery's detail, and the actions (replay, edit and resend, compose, verify, copy as curl,
 * downloads, diff). Plain DOM, no framework: every value is set with textContent, never as HTML.
 */
import { verdictLabel } from '../../history/verdict.js';
import type { ApiDetail, ApiMeta, ApiPage, ApiSendResult, ApiSummary } from '../api.js';

// The API's types are the server's (../api.ts): a change on one side fails the other's type check.
type Summary = ApiSummary;
type Page = ApiPage;
type Meta = ApiMeta;
type Detail = ApiDetail;
type SendResult = ApiSendResult;

const $ = <T extends HTMLElement>(sel: string) => document.querySelector(sel) as T;
const token = (document.querySelector('meta[name="bluehook-token"]') as HTMLMetaElement).content;

function el<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  attrs: Record<string, string> = {},
  ...children: Array<Node | string | null>
): HTMLElementTagNameMap[K] {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (k === 'class') node.className = v;
    else node.setAttribute(k, v);
  }
  for (const c of children) if (c !== null) node.append(c);
  return node;
}

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

const state = {
  meta: null as Meta | null,
  older: null as string | null,
  selected: null as string | null,
  rows: new Map<string, HTMLTableRowElement>(),
  checked: new Set<string>(),
  stream: null as EventSource | null,
  pending: [] as Summary[],
  skipped: 0,
};
const MAX_ROWS = 1000;

const filterQuery = () => {
  const q = new URLSearchParams();
  for (const [k, v] of new FormData($<HTMLFormElement>('#filters')))
    if (typeof v === 'string' && v.trim()) q.set(k, v.trim());
  return q;
};

const fmtTime = (iso: string) => iso.replace('T', ' ').slice(5, 19);
const verdictText = (s: Summary) => verdictLabel(s);

function toggleCompare(id: string, mark: HTMLElement): void {
  if (state.checked.has(id)) state.checked.delete(id);
  else state.checked.add(id);
  mark.textContent = state.checked.has(id) ? '◉' : '○';
  mark.setAttribute('aria-checked', String(state.checked.has(id)));
  $<HTMLButtonElement>('#diff-open').disabled = state.checked.size !== 2;
}

function row(s: Summary, fresh = false): HTMLTableRowElement {
  // A plain mark, not a form control: rows are created by the hundred when deliveries pour in.
  const mark = el(
    'span',
    {
      class: 'mark',
      role: 'checkbox',
      'aria-checked': String(state.checked.has(s.id)),
      'aria-label': `compare ${s.id} (x)`,
    },
    state.checked.has(s.id) ? '◉' : '○',
  );
  const tr = el(
    'tr',
    {
      tabindex: '-1',
      'data-id': s.id,
      'aria-selected': String(state.selected === s.id),
      class: fresh ? 'new' : '',
    },
    el('td', {}, mark),
    el('td', { class: 'mono', title: s.time }, fmtTime(s.time)),
    el('td', {}, s.direction),
    el('td', { title: s.event ?? '' }, s.event ?? '(not JSON)'),
    el('td', { class: s.valid ? 'ok' : 'bad' }, verdictText(s)),
    el(
      'td',
      { class: s.status !== null && s.status < 300 ? 'ok' : 'bad' },
      s.status === null ? '—' : String(s.status),
    ),
    el('td', {}, `${s.bytes} B`),
  );
  state.rows.set(s.id, tr);
  return tr;
}

async function load(reset: boolean): Promise<void> {
  const q = filterQuery();
  if (!reset && state.older) q.set('after', state.older);
  q.set('limit', '100');
  const page = await api<Page>(`/api/deliveries?${q}`);
  const body = $<HTMLTableSectionElement>('#rows');
  if (reset) {
    body.replaceChildren();
    state.rows.clear();
  }
  const frag = document.createDocumentFragment();
  for (const s of page.records) if (!state.rows.has(s.id)) frag.append(row(s));
  body.append(frag);
  state.older = page.next;
  $<HTMLButtonElement>('#older').hidden = !page.next;
  $('#list-end').textContent = state.rows.size
    ? page.next
      ? ''
      : 'the oldest recorded delivery'
    : 'no recorded deliveries match';
}

/** Live deliveries arrive in batches and are drawn once a frame, however fast they come. */
function connect(): void {
  state.stream?.close();
  const live = $('#live');
  const es = new EventSource(`/api/stream?${filterQuery()}`);
  state.stream = es;
  es.addEventListener('open', () => {
    live.textContent = 'live';
    live.className = 'live on';
  });
  es.addEventListener('error', () => {
    live.textContent = 'reconnecting…';
    live.className = 'live off';
  });
  es.addEventListener('deliveries', (e) => {
    const batch = JSON.parse((e as MessageEvent<string>).data) as Summary[];
    // At most four draws a second, each of at most the newest 100: a flood costs the page the same
    // as a trickle (what is not drawn is in the history, a filter or a reload away).
    if (!state.pending.length) setTimeout(() => requestAnimationFrame(drawPending), 250);
    state.pending.push(...batch);
  });
}

const DRAW_AT_MOST = 100;

function drawPending(): void {
  const skipped = Math.max(0, state.pending.length - DRAW_AT_MOST);
  const batch = state.pending.slice(skipped);
  state.pending = [];
  if (skipped) {
    state.skipped += skipped;
    $('#live').textContent = `live · ${state.skipped} arrived too fast to draw (in the history)`;
  }
  const body = $<HTMLTableSectionElement>('#rows');
  const frag = document.createDocumentFragment();
  for (let i = batch.length - 1; i >= 0; i--)
    if (!state.rows.has(batch[i]!.id)) frag.append(row(batch[i]!, batch.length < 50));
  body.prepend(frag);
  // Bounded: the oldest rows on screen give way; "load older" pages them back from the history.
  while (state.rows.size > MAX_ROWS && body.lastElementChild) {
    const last = body.lastElementChild as HTMLTableRowElement;
    state.rows.delete(last.dataset.id!);
    last.remove();
    state.older = null;
  }
  $('#list-end').textContent =
    state.older === null && state.rows.size >= MAX_ROWS
      ? `showing the newest ${MAX_ROWS}; narrow the filters to see older ones`
      : $('#list-end').textContent;
}

function jsonTree(value: unknown, key?: string): Node {
  const label = key === undefined ? null : el('span', { class: 'key' }, `${key}: `);
  if (value !== null && typeof value === 'object') {
    const entries = Array.isArray(value)
      ? value.map((v, i) => [String(i), v] as const)
      : Object.entries(value as object);
    const open = Array.isArray(value) ? `[${entries.length}]` : `{${entries.length}}`;
    const details = el('details', {}, el('summary', {}, label, open));
    details.open = key === undefined || entries.length <= 12;
    for (const [k, v] of entries) details.append(jsonTree(v, k));
    return details;
  }
  return el('div', { class: 'leaf mono' }, label, JSON.stringify(value));
}

function kv(pairs: Array<[string, string | Node]>): HTMLElement {
  const dl = el('dl', { class: 'kv' });
  for (const [k, v] of pairs) dl.append(el('dt', {}, k), el('dd', {}, v));
  return dl;
}

async function select(id: string, focus = true): Promise<void> {
  const before = state.selected ? state.rows.get(state.selected) : undefined;
  before?.setAttribute('aria-selected', 'false');
  state.selected = id;
  const tr = state.rows.get(id);
  tr?.setAttribute('aria-selected', 'true');
  if (focus) tr?.focus({ preventScroll: false });
  const d = await api<Detail>(`/api/deliveries/${encodeURIComponent(id)}`);
  if (state.selected === id) renderDetail(d);
}

function renderDetail(d: Detail): void {
  const r = d.record;
  const pane = $('#detail');
  const good = r.direction === 'in' ? r.verdict?.valid : r.ok;
  const status = r.direction === 'in' ? r.answer?.status : r.response?.status;
  const verdict = el(
    'div',
    { class: `verdict ${good ? '' : 'bad'}`, role: 'note' },
    el(
      'strong',
      { class: good ? 'ok' : 'bad' },
      r.direction === 'in'
        ? good
          ? 'Valid signature'
          : 'Invalid signature'
        : good
          ? 'Delivered'
          : 'Not delivered',
    ),
    ' — ',
    r.direction === 'in'
      ? (r.verdict?.message ?? '')
      : (r.response?.error ?? `answered ${status ?? 'nothing'}`),
  );
  const facts: Array<[string, string | Node]> = [
    ['id', r.id],
    ['time', r.time],
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
  if (r.replayOf) facts.push(['replay of', r.replayOf]);
  const actions = el('div', { class: 'actions' });
  const button = (text: string, key: string, fn: () => void) => {
    const b = el('button', { type: 'button', 'aria-keyshortcuts': key }, text);
    b.addEventListener('click', fn);
    actions.append(b);
  };
  button('Replay', 'r', () => replayDialog(d));
  button('Edit & resend', 'e', () => editDialog(d));
  button('Verify with a secret', 'v', () => verifyDialog(d));
  button('Copy as curl', '', () => void copyCurl(d));
  for (const f of ['har', 'fixture', 'raw', 'json'])
    actions.append(
      el(
        'a',
        {
          href: `/api/deliveries/${encodeURIComponent(r.id)}/export?format=${f}${r.direction === 'in' ? '&to=http://127.0.0.1/' : ''}`,
          download: '',
        },
        `Download ${f}`,
      ),
    );
  const parts: Node[] = [el('h2', {}, r.event ?? '(not JSON)'), verdict, actions, kv(facts)];
  if (r.attempts?.length) {
    const t = el(
      'table',
      {},
      el(
        'thead',
        {},
        el(
          'tr',
          {},
          el('th', {}, '#'),
          el('th', {}, 'status'),
          el('th', {}, 'time'),
          el('th', {}, 'error'),
        ),
      ),
    );
    const tb = el('tbody');
    for (const a of r.attempts)
      tb.append(
        el(
          'tr',
          {},
          el('td', {}, String(a.attempt)),
          el('td', {}, a.status === undefined ? '—' : String(a.status)),
          el('td', {}, `${a.durationMs} ms`),
          el('td', {}, a.error ?? ''),
        ),
      );
    t.append(tb);
    parts.push(el('h3', {}, 'Attempts'), t);
  }
  parts.push(el('h3', {}, 'Headers'), kv(Object.entries(r.headers).map(([k, v]) => [k, v])));
  parts.push(el('h3', {}, `Body (${d.body.bytes} bytes)`), bodyView(d));
  pane.replaceChildren(...parts);
}

function bodyView(d: Detail): Node {
  const wrap = el('div');
  const tabs = el('div', { class: 'tabs', role: 'tablist' });
  const panel = el('div', { role: 'tabpanel' });
  const views: Array<[string, () => Node]> = [];
  if (d.body.json !== undefined)
    views.push(['Tree', () => el('div', { class: 'tree' }, jsonTree(d.body.json))]);
  if (d.body.text !== null) {
    views.push(['Raw', () => el('pre', { class: 'mono' }, d.body.text!)]);
    if (d.body.jsonError) {
      const e = d.body.jsonError;
      const line = d.body.text.split('\n')[e.line - 1] ?? '';
      views.unshift([
        'Syntax error',
        () =>
          el(
            'div',
            {},
            el(
              'p',
              { class: 'json-error' },
              `Not JSON: ${e.message} at line ${e.line}, column ${e.column}`,
            ),
            el(
              'pre',
              { class: 'mono' },
              line,
              '\n',
              ' '.repeat(Math.max(0, e.column - 1)),
              el('span', { class: 'caret' }, '^'),
            ),
          ),
      ]);
    }
  } else {
    const bytes = Uint8Array.from(atob(d.body.base64), (c) => c.charCodeAt(0));
    views.push([
      'Hex',
      () =>
        el(
          'pre',
          { class: 'mono' },
          [...bytes]
            .map((b, i) => `${b.toString(16).padStart(2, '0')}${i % 16 === 15 ? '\n' : ' '}`)
            .join(''),
        ),
    ]);
    views.push(['Base64', () => el('pre', { class: 'mono' }, d.body.base64)]);
  }
  views.forEach(([name, render], i) => {
    const b = el('button', { type: 'button', role: 'tab', 'aria-selected': String(i === 0) }, name);
    b.addEventListener('click', () => {
      for (const t of tabs.children) t.setAttribute('aria-selected', String(t === b));
      panel.replaceChildren(render());
    });
    tabs.append(b);
  });
  if (views[0]) panel.append(views[0][1]());
  wrap.append(tabs, panel);
  return wrap;
}

/** One dialog, filled per action; `go` runs the action and says what happened. */
function dialog(title: string, fields: Node[], goLabel: string, go: () => Promise<string>): void {
  const dlg = $<HTMLDialogElement>('#dialog');
  $('#dialog-title').textContent = title;
  $('#dialog-body').replaceChildren(...fields);
  const result = $('#dialog-result');
  result.textContent = '';
  const old = $<HTMLButtonElement>('#dialog-go');
  const button = old.cloneNode(true) as HTMLButtonElement;
  old.replaceWith(button);
  button.textContent = goLabel;
  button.className = 'primary';
  button.addEventListener('click', () => {
    button.disabled = true;
    result.textContent = 'sending…';
    go()
      .then((text) => (result.textContent = text))
      .catch((e: Error) => (result.textContent = `✘ ${e.message}`))
      .finally(() => (button.disabled = false));
  });
  dlg.showModal();
  (dlg.querySelector('input, select, textarea') as HTMLElement | null)?.focus();
}

const field = (label: string, input: HTMLElement) => el('label', {}, label, input);
const outcome = (r: SendResult) =>
  r.ok
    ? `✔ answered ${r.status}; recorded as ${r.record.id}`
    : `✘ ${r.error ?? `answered ${r.status}`}; recorded as ${r.record.id}`;

function replayDialog(d: Detail): void {
  const to = el('input', {
    name: 'to',
    type: 'url',
    placeholder: 'http://127.0.0.1:3000/webhooks/blue',
  });
  to.value = d.record.direction === 'out' ? d.record.url : '';
  const resign = el('input', { type: 'checkbox', name: 'resign' });
  const secret = el('input', {
    type: 'password',
    name: 'secret',
    autocomplete: 'off',
    placeholder: "default: the webhook's stored secret",
  });
  dialog(
    `Replay ${d.record.id}`,
    [
      field('Target URL', to),
      el('label', {}, resign, ' Sign again (instead of the recorded signature)'),
      field('Secret for signing again', secret),
    ],
    'Replay',
    async () =>
      outcome(
        await api<SendResult>('/api/replay', {
          id: d.record.id,
          to: to.value || undefined,
          resign: resign.checked,
          secret: secret.value || undefined,
        }),
      ),
  );
}

function targetFields(d?: Detail) {
  const webhook = el('select', { name: 'webhookId' }, el('option', { value: '' }, '— a URL —'));
  for (const w of state.meta?.webhooks ?? [])
    webhook.append(el('option', { value: w.id }, `${w.name ?? w.id} → ${w.url}`));
  if (d?.webhook) webhook.value = d.webhook.id;
  const url = el('input', { name: 'url', type: 'url', placeholder: "default: the webhook's URL" });
  if (d && d.record.direction === 'out') url.value = d.record.url;
  const secret = el('input', {
    type: 'password',
    name: 'secret',
    autocomplete: 'off',
    placeholder: "default: the webhook's stored secret",
  });
  return {
    webhook,
    url,
    secret,
    nodes: [field('Stored webhook', webhook), field('URL', url), field('Secret', secret)],
  };
}

function editDialog(d: Detail): void {
  const body = el('textarea', { name: 'body', spellcheck: 'false' });
  body.value =
    d.body.json !== undefined ? JSON.stringify(d.body.json, null, 2) : (d.body.text ?? '');
  const t = targetFields(d);
  dialog(
    `Edit and resend ${d.record.id}`,
    [field('Body (sent exactly as written, signed again)', body), ...t.nodes],
    'Sign and send',
    async () =>
      outcome(
        await api<SendResult>('/api/send', {
          body: body.value,
          webhookId: t.webhook.value || undefined,
          url: t.url.value || undefined,
          secret: t.secret.value || undefined,
          replayOf: d.record.id,
        }),
      ),
  );
}

function verifyDialog(d: Detail): void {
  const secret = el('input', {
    type: 'password',
    name: 'secret',
    autocomplete: 'off',
    placeholder: "default: the webhook's stored secret",
  });
  dialog(`Verify ${d.record.id} again`, [field('Secret', secret)], 'Verify', async () => {
    const v = await api<{ valid: boolean; message: string }>('/api/verify', {
      id: d.record.id,
      secret: secret.value || undefined,
    });
    return `${v.valid ? '✔' : '✘'} ${v.message}`;
  });
}

function composeDialog(): void {
  const event = el('select', { name: 'event' });
  for (const e of state.meta?.events ?? []) event.append(el('option', { value: e.name }, e.name));
  const seed = el('input', { name: 'seed', placeholder: 'random' });
  const set = el('textarea', {
    name: 'set',
    placeholder: 'currentValue.title=Ship it\ncurrentValue.done=true',
    spellcheck: 'false',
  });
  set.style.minHeight = '4rem';
  const t = targetFields();
  dialog(
    'Compose a Blue event',
    [
      field('Event', event),
      field('Seed (same seed, same body)', seed),
      field('Field overrides, one path=value a line', set),
      ...t.nodes,
    ],
    'Build, sign and send',
    async () =>
      outcome(
        await api<SendResult>('/api/send', {
          event: event.value,
          seed: seed.value || undefined,
          set: set.value.split('\n'),
          webhookId: t.webhook.value || undefined,
          url: t.url.value || undefined,
          secret: t.secret.value || undefined,
        }),
      ),
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
    $('#live').textContent = 'curl command copied';
  } catch {
    dialog('curl command', [el('pre', { class: 'mono' }, text)], 'Close', async () => '');
  }
}

/** JSON-aware diff: paths added, removed or changed between two bodies. */
function flatten(value: unknown, path = '', out = new Map<string, string>()): Map<string, string> {
  if (value !== null && typeof value === 'object') {
    const entries = Array.isArray(value)
      ? value.map((v, i) => [`[${i}]`, v] as const)
      : Object.entries(value as object).map(([k, v]) => [path ? `.${k}` : k, v] as const);
    if (!entries.length) out.set(path || '(root)', Array.isArray(value) ? '[]' : '{}');
    for (const [k, v] of entries) flatten(v, `${path}${k}`, out);
  } else out.set(path || '(root)', JSON.stringify(value));
  return out;
}

async function diffDialog(): Promise<void> {
  const [a, b] = await Promise.all(
    [...state.checked].map((id) => api<Detail>(`/api/deliveries/${encodeURIComponent(id)}`)),
  );
  const fa = flatten(a!.body.json ?? a!.body.text);
  const fb = flatten(b!.body.json ?? b!.body.text);
  const lines: Node[] = [];
  for (const k of new Set([...fa.keys(), ...fb.keys()])) {
    const x = fa.get(k);
    const y = fb.get(k);
    if (x === y) continue;
    if (x === undefined) lines.push(el('div', { class: 'add' }, `+ ${k}: ${y}`));
    else if (y === undefined) lines.push(el('div', { class: 'del' }, `- ${k}: ${x}`));
    else lines.push(el('div', { class: 'chg' }, `~ ${k}: ${x} → ${y}`));
  }
  const header = el(
    'p',
    { class: 'muted' },
    `${a!.record.id} (${a!.record.event}) → ${b!.record.id} (${b!.record.event}): ${lines.length} difference${lines.length === 1 ? '' : 's'}`,
  );
  dialog(
    'Diff',
    [
      header,
      el('pre', { class: 'diff mono' }, ...(lines.length ? lines : ['the bodies are the same'])),
    ],
    'Close',
    async () => '',
  );
}

function move(step: number): void {
  const rows = [...$<HTMLTableSectionElement>('#rows').children] as HTMLTableRowElement[];
  const at = rows.findIndex((r) => r.dataset.id === state.selected);
  const next = rows[Math.min(rows.length - 1, Math.max(0, at + step))];
  if (next) void select(next.dataset.id!);
}

async function main(): Promise<void> {
  state.meta = await api<Meta>('/api/meta');
  $('#where').textContent =
    `${state.meta.history.engine}: ${state.meta.history.location} · bluehook ${state.meta.version}`;
  const events = $<HTMLSelectElement>('select[name=event]');
  for (const e of state.meta.events) events.append(el('option', { value: e.name }, e.name));
  const hooks = $<HTMLSelectElement>('select[name=webhook]');
  for (const w of state.meta.webhooks) hooks.append(el('option', { value: w.id }, w.name ?? w.id));
  let timer = 0;
  $('#filters').addEventListener('input', () => {
    clearTimeout(timer);
    timer = window.setTimeout(() => {
      void load(true);
      connect();
    }, 200);
  });
  $('#filters').addEventListener('submit', (e) => e.preventDefault());
  $('#older').addEventListener('click', () => void load(false));
  // One listener for every row, present and future.
  $('#rows').addEventListener('click', (e) => {
    const target = e.target as HTMLElement;
    const tr = target.closest('tr');
    if (!tr?.dataset.id) return;
    if (target.classList.contains('mark')) toggleCompare(tr.dataset.id, target);
    else void select(tr.dataset.id);
  });
  new IntersectionObserver((seen) => {
    if (seen.some((s) => s.isIntersecting) && state.older) void load(false);
  }).observe($('#older'));
  $('#compose-open').addEventListener('click', composeDialog);
  $('#diff-open').addEventListener('click', () => void diffDialog());
  document.addEventListener('keydown', (e) => {
    const typing =
      e.target instanceof HTMLInputElement ||
      e.target instanceof HTMLTextAreaElement ||
      e.target instanceof HTMLSelectElement;
    if (typing || $<HTMLDialogElement>('#dialog').open || e.metaKey || e.ctrlKey || e.altKey)
      return;
    if (e.key === 'j' || e.key === 'ArrowDown') move(1);
    else if (e.key === 'k' || e.key === 'ArrowUp') move(-1);
    else if (e.key === '/') $<HTMLInputElement>('input[name=search]').focus();
    else if (e.key === 'c') composeDialog();
    else if (e.key === 'x' && state.selected) {
      const mark = state.rows.get(state.selected)?.querySelector('.mark') as HTMLElement | null;
      if (mark) toggleCompare(state.selected, mark);
    } else if (state.selected && ['r', 'e', 'v'].includes(e.key)) {
      const label = { r: 'Replay', e: 'Edit & resend', v: 'Verify with a secret' }[
        e.key as 'r' | 'e' | 'v'
      ];
      ([...document.querySelectorAll('#detail .actions button')] as HTMLButtonElement[])
        .find((b) => b.textContent === label)
        ?.click();
    } else return;
    e.preventDefault();
  });
  await load(true);
  connect();
  const first = $<HTMLTableSectionElement>('#rows').firstElementChild as HTMLTableRowElement | null;
  if (first) void select(first.dataset.id!, false);
}

void main().catch((e: Error) => {
  $('#live').textContent = `✘ ${e.message}`;
});
