import { shownTime } from '../time.js';
import { chmodSync, createWriteStream, existsSync, renameSync, rmSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { writeFileAtomic } from '../../util/fs.js';
import { once } from 'node:events';
import { resolveEvent } from '../../blue/catalogue.js';
import { usageError } from '../../errors.js';
import { ExitCode } from '../../exit-codes.js';
import {
  getAll,
  iterate,
  newest,
  summarize,
  type DeliveryFilter,
  type DeliverySummary,
  type PageSource,
} from '../../history/history.js';
import { parseFilter } from '../../history/filter.js';
import { retentionOf } from '../../history/open.js';
import { verdictLabel } from '../../history/verdict.js';
import { decodeBody } from '../../history/record.js';
import { blockSafe, lineSafe } from '../../util/terminal-text.js';
import { colors } from '../colors.js';
import { openHistoryFor, openStore } from '../context.js';
import { packageVersion } from '../version.js';
import { parseDuration } from '../inputs.js';
import { onStopSignal } from '../signals.js';
import { canPrompt, type GlobalOptions, type Io } from '../output.js';
import { table } from '../table.js';
import { capYoungGeneration } from '../../util/young-generation.js';

interface FilterFlags extends GlobalOptions {
  event?: string;
  webhook?: string;
  invalid?: boolean;
  valid?: boolean;
  failed?: boolean;
  delivered?: boolean;
  status?: string;
  since?: string;
  until?: string;
  direction?: 'in' | 'out';
  replaysOf?: string;
  checkRun?: string;
  search?: string;
  drift?: boolean;
}

interface ListFlags extends FilterFlags {
  limit?: number;
  follow?: boolean;
  wide?: boolean;
  /** Times in UTC rather than local time. */
  utc?: boolean;
}

async function openAll(opts: GlobalOptions, io: Io) {
  const opened = await openStore(opts);
  return { ...opened, history: await openHistoryFor(opened.config, io) };
}

/** The flags shared by list, export and clear, as a history filter. */
async function filterFrom(
  opts: FilterFlags,
  resolveWebhook: (ref: string) => Promise<string>,
): Promise<DeliveryFilter> {
  const f = parseFilter({
    event: opts.event ? resolveEvent(opts.event).name : undefined,
    webhookId: opts.webhook ? await resolveWebhook(opts.webhook) : undefined,
    status: opts.status,
    since: opts.since,
    until: opts.until,
    replayOf: opts.replaysOf,
    checkRun: opts.checkRun,
    search: opts.search,
  });
  // A verdict says a direction: invalid/valid are about what was received, failed/delivered about
  // what was sent (a sent delivery answered 401 is failed, not "invalid").
  const verdicts: Array<[boolean | undefined, 'in' | 'out', boolean, string]> = [
    [opts.invalid, 'in', false, '--invalid'],
    [opts.valid, 'in', true, '--valid'],
    [opts.failed, 'out', false, '--failed'],
    [opts.delivered, 'out', true, '--delivered'],
  ];
  for (const [given, direction, valid, flag] of verdicts) {
    if (!given) continue;
    if (opts.direction && opts.direction !== direction)
      throw usageError(
        `${flag} is about ${direction === 'in' ? 'received' : 'sent'} deliveries: not with --direction ${opts.direction}`,
      );
    f.direction = direction;
    f.valid = valid;
  }
  if (opts.direction) f.direction = opts.direction;
  if (opts.drift) {
    if (f.direction === 'out')
      throw usageError(
        `--drift is about received deliveries: not with ${opts.direction === 'out' ? '--direction out' : opts.failed ? '--failed' : '--delivered'}`,
      );
    f.drift = 'any';
  }
  return f;
}

// Fixed widths, because a streamed list cannot measure its rows first.
const pad = (text: string, width: number, visible = text.length) =>
  text + ' '.repeat(Math.max(1, width - visible));

/** Column widths of a list row: the full ones, or narrower to fit a terminal (see `fitTo`). */
interface RowLayout {
  time: number;
  direction: number;
  event: number;
  verdict: number;
  bytes: number;
  /** Cells for the URL, the last column; undefined: as long as it is. */
  url?: number;
}

const FULL_ROW: RowLayout = { time: 27, direction: 5, event: 40, verdict: 26, bytes: 9 };
const FIXED = 22 + 10; // id and status are never narrowed: an id is what a user copies

/**
 * A layout for a terminal `columns` wide. The full row is ~130 cells plus the URL. Narrower, each
 * step below is taken until the URL has 16 cells: the event and verdict are elided, the size is
 * dropped, both elided further, the direction and the year dropped; then the URL itself goes.
 */
export function fitTo(columns: number): RowLayout {
  const room = columns - 1; // the last cell left empty: a full line wraps on some terminals
  const layout: RowLayout = { ...FULL_ROW };
  const urlRoom = () =>
    room - FIXED - layout.time - layout.direction - layout.event - layout.verdict - layout.bytes;
  const steps: Array<() => void> = [
    () => (layout.event = 30),
    () => (layout.verdict = 18),
    () => (layout.bytes = 0),
    () => (layout.event = 20),
    () => (layout.verdict = 12),
    () => (layout.direction = 0),
    () => (layout.time = 22), // MM-DD HH:MM:SS +01:00
    () => (layout.event = 16),
  ];
  for (const step of steps) {
    if (urlRoom() >= 16) break;
    step();
    // A step may give more than was needed: what the URL does not need goes back to the event.
    if (urlRoom() > 16) layout.event = Math.min(FULL_ROW.event, layout.event + urlRoom() - 16);
  }
  return { ...layout, url: Math.max(0, urlRoom()) };
}

/** `text` in at most `width - 1` cells (one left for the gap), elided with "…" when longer. */
const elide = (text: string, width: number) =>
  text.length < width ? text : `${text.slice(0, Math.max(0, width - 2))}…`;

function line(
  r: DeliverySummary,
  c: ReturnType<typeof colors>,
  layout = FULL_ROW,
  utc = false,
): string {
  // Ids, events and problems may come from an imported file: shown with controls escaped.
  const id = lineSafe(r.id);
  const verdict = lineSafe(verdictLabel(r));
  const statusPlain = r.status === null ? 'no answer' : String(r.status);
  const time = shownTime(r.time, utc).slice(layout.time < FULL_ROW.time ? 5 : 0);
  const event = elide(lineSafe(r.event ?? '-'), layout.event);
  const shownVerdict = elide(verdict, layout.verdict);
  const url = lineSafe(r.url);
  return [
    pad(c.cyan(id), 22, id.length),
    pad(time, layout.time),
    layout.direction ? pad(r.direction, layout.direction) : '',
    pad(event, layout.event),
    pad(
      r.drift === 'warning'
        ? c.yellow(shownVerdict)
        : r.valid
          ? c.green(shownVerdict)
          : c.red(shownVerdict),
      layout.verdict,
      shownVerdict.length,
    ),
    pad(
      r.status === null
        ? c.red(statusPlain)
        : r.status < 300
          ? c.green(statusPlain)
          : c.red(statusPlain),
      10,
      statusPlain.length,
    ),
    layout.bytes ? pad(`${r.bytes} B`, layout.bytes) : '',
    layout.url === undefined ? url : layout.url >= 8 ? elide(url, layout.url + 1) : '',
  ]
    .join('')
    .trimEnd();
}

const listJson = (r: DeliverySummary) =>
  JSON.stringify({
    id: r.id,
    time: r.time,
    direction: r.direction,
    event: r.event,
    webhookId: r.webhookId,
    status: r.status,
    valid: r.valid,
    url: r.url,
    replayOf: r.replayOf,
    checkRun: r.checkRun,
    drift: r.drift,
  });

/** Writes a page of lines, waiting when stdout's reader is slower than the history. */
async function writePage(io: Io, lines: string[]): Promise<void> {
  if (!lines.length) return;
  if (!io.stdout.write(`${lines.join('\n')}\n`)) await once(io.stdout, 'drain');
}

export async function list(opts: ListFlags, io: Io): Promise<number> {
  // A stream of pages or a follow runs long (see util/young-generation.ts); `--limit n` is one page.
  if (opts.limit === undefined || opts.follow) capYoungGeneration();
  const { history, store } = await openAll(opts, io);
  const filter = await filterFrom(opts, async (ref) => (await store.get(ref)).id);
  const c = colors(opts);
  // On a terminal, rows fit its width (--wide: whole rows); piped, they are whole.
  const columns = io.isTTY.stdout && !opts.wide ? process.stdout.columns : undefined;
  const layout = columns ? fitTo(columns) : FULL_ROW;
  const render = (r: DeliverySummary) =>
    opts.json ? listJson(r) : line(r, c, layout, opts.utc === true);
  const source: PageSource<DeliverySummary> = (page) => history.summaries(filter, page);
  let shown = 0;
  if (opts.limit !== undefined) {
    // The newest N, shown oldest first like the rest of the list.
    const records = await newest(source, opts.limit);
    shown = records.length;
    await writePage(io, records.map(render));
  } else if (!opts.follow) {
    let batch: string[] = [];
    for await (const r of iterate(source, 'oldest', 200)) {
      batch.push(render(r));
      shown++;
      if (batch.length >= 200) {
        await writePage(io, batch);
        batch = [];
      }
    }
    await writePage(io, batch);
  }
  if (opts.follow) {
    const abort = new AbortController();
    let code: number = ExitCode.interrupted;
    onStopSignal((signalCode) => {
      code = signalCode;
      abort.abort();
    });
    // On stderr in every mode: a script can wait for this line to know that nothing landing from
    // now on will be missed.
    io.err(c.dim('following new deliveries; Ctrl-C to stop'));
    for await (const r of history.follow(filter, { signal: abort.signal }))
      await writePage(io, [render(summarize(r))]);
    await history.close();
    return code;
  }
  if (!shown && !opts.json) io.err('no recorded deliveries match');
  await history.close();
  return ExitCode.ok;
}

export async function show(
  id: string,
  opts: GlobalOptions & { utc?: boolean },
  io: Io,
): Promise<number> {
  const { history } = await openAll(opts, io);
  const r = await history.get(id);
  await history.close();
  if (opts.json) {
    io.json(r);
    return 0;
  }
  const c = colors(opts);
  const { statusText } = await import('../render-delivery.js'); // node:http's status texts: only here
  const body = decodeBody(r);
  let pretty =
    r.bodyEncoding === 'utf8'
      ? body.toString('utf8')
      : `(binary, ${body.length} bytes, base64) ${r.body}`;
  try {
    pretty = JSON.stringify(JSON.parse(pretty), null, 2);
  } catch {
    // shown as recorded
  }
  // Everything below came from the network or an imported file: shown with controls escaped.
  const rows: string[][] = [
    ['id', lineSafe(r.id)],
    ['time', lineSafe(shownTime(r.time, opts.utc === true))],
    ['direction', r.direction === 'in' ? 'received' : 'sent'],
    ['event', lineSafe(r.event ?? '-')],
    [r.direction === 'in' ? 'path' : 'url', lineSafe(r.url)],
  ];
  if (r.direction === 'in') {
    const message = lineSafe(r.verdict?.message ?? '-');
    rows.push(
      ['from', lineSafe(r.remoteAddress ?? '-')],
      ['verdict', r.verdict?.valid ? c.green(message) : c.red(message)],
      ['answer', statusText(r.answer?.status, c)],
    );
  } else {
    rows.push(
      ['attempts', lineSafe((r.attempts ?? []).map((a) => a.status ?? a.error).join(', '))],
      ['answer', statusText(r.response?.status, c)],
    );
    if (r.replayOf) rows.push(['replay of', lineSafe(r.replayOf)]);
  }
  if (r.webhookId) rows.push(['webhook', lineSafe(r.webhookId)]);
  if (r.drift) {
    const { describeIssue } = await import('../../schema/drift.js');
    const words = r.drift.issues.map((i) => lineSafe(describeIssue(i)));
    if (r.drift.count > words.length) words.push(`… ${r.drift.count - words.length} more`);
    rows.push([
      'drift',
      (r.drift.level === 'warning' ? c.yellow : c.dim)(
        `${r.drift.level === 'warning' ? 'warning' : 'information (new keys)'}: ${words.join('; ')}`,
      ),
    ]);
  }
  io.out(table(rows.map(([k, v]) => [c.bold(k!), v!])));
  io.out(`\n${c.bold('headers')}`);
  for (const [k, v] of Object.entries(r.headers))
    io.out(`  ${lineSafe(k)}: ${lineSafe(String(v))}`);
  io.out(`\n${c.bold('body')}\n${blockSafe(pretty)}`);
  return 0;
}

type ExportFlags = FilterFlags & { format: string; to?: string; out?: string };

export async function exportRecords(ids: string[], opts: ExportFlags, io: Io): Promise<number> {
  if (opts.format === 'ndjson') return exportNdjson(ids, opts, io);
  if (ids.length !== 1)
    throw usageError(
      `--format ${opts.format} exports one delivery: give one id (--format ndjson exports many)`,
    );
  const { history } = await openAll(opts, io);
  const r = await history.get(ids[0]!);
  await history.close();
  const { toCurl, toHar } = await import('../../history/export.js');
  let text: string | Buffer;
  switch (opts.format) {
    case 'json':
      text = `${JSON.stringify(r, null, 2)}\n`;
      break;
    case 'curl':
      text = `${toCurl(r, opts.to)}\n`;
      break;
    case 'har':
      text = `${JSON.stringify(toHar(r, packageVersion(), opts.to), null, 2)}\n`;
      break;
    case 'fixture':
      text = decodeBody(r); // the exact bytes, ready to sign or replay in a test
      break;
    default:
      throw usageError(
        `unknown --format "${opts.format}": choose json, curl, har, fixture or ndjson`,
      );
  }
  if (opts.out) {
    // 0600 whatever the umask, and a link at that path is replaced, never followed.
    writeFileAtomic(opts.out, text, 0o600);
    io.err(`wrote ${opts.format} of ${r.id} to ${opts.out}`);
  } else io.stdout.write(text);
  return 0;
}

/** The portable form: every record (or those named, or those the filter selects), oldest first. */
async function exportNdjson(ids: string[], opts: ExportFlags, io: Io): Promise<number> {
  capYoungGeneration();
  const { history, store } = await openAll(opts, io);
  const filter = await filterFrom(opts, async (ref) => (await store.get(ref)).id);
  if (ids.length) filter.ids = (await getAll(history, ids)).map((r) => r.id);
  const { ndjsonLine } = await import('../../history/ndjson.js');
  // To a new temporary file (0600, never through a link) renamed over --out once complete.
  const tmp = opts.out
    ? join(dirname(opts.out), `.${basename(opts.out)}.${process.pid}.tmp`)
    : undefined;
  const out = tmp ? createWriteStream(tmp, { mode: 0o600, flags: 'wx' }) : io.stdout;
  let count = 0;
  try {
    for await (const r of iterate((page) => history.query(filter, page), 'oldest')) {
      count++;
      if (!out.write(ndjsonLine(r))) await once(out, 'drain');
    }
    if (tmp) {
      await new Promise<void>((resolve, reject) =>
        (out as ReturnType<typeof createWriteStream>).end((e?: Error | null) =>
          e ? reject(e) : resolve(),
        ),
      );
      chmodSync(tmp, 0o600);
      renameSync(tmp, opts.out!);
    }
  } catch (e) {
    if (tmp) rmSync(tmp, { force: true });
    throw e;
  }
  await history.close();
  io.err(
    `exported ${count} deliver${count === 1 ? 'y' : 'ies'}${opts.out ? ` to ${opts.out}` : ''}`,
  );
  return 0;
}

export async function importFile(file: string, opts: GlobalOptions, io: Io): Promise<number> {
  // A file the user named that is not there is bad input (exit 2), not a store fault.
  if (!existsSync(file)) throw usageError(`no file ${file} to import`);
  capYoungGeneration();
  const { history } = await openAll(opts, io);
  const { importNdjson } = await import('../../history/ndjson.js');
  const stats = await importNdjson(history, file);
  await history.close();
  if (opts.json) io.json({ file, ...stats, duplicates: stats.read - stats.added });
  else {
    // Each skipped line by number (what is wrong may quote the file: escaped), the rest counted.
    for (const p of stats.problems.slice(0, 10))
      io.err(`line ${p.line} skipped: ${lineSafe(p.reason)}`);
    if (stats.skipped > 10) io.err(`… and ${stats.skipped - 10} more lines skipped`);
    const dupes = stats.read - stats.added;
    io.out(
      `imported ${stats.added} deliver${stats.added === 1 ? 'y' : 'ies'} from ${file}${dupes ? `; ${dupes} already recorded` : ''}${stats.skipped ? `; ${stats.skipped} unreadable line${stats.skipped === 1 ? '' : 's'} skipped` : ''}${stats.drift ? `; ${stats.drift} differ from the schema (deliveries list --drift)` : ''}`,
    );
  }
  return 0;
}

const removedText = (n: number) => `removed ${n} deliver${n === 1 ? 'y' : 'ies'}`;

export async function rm(ids: string[], opts: GlobalOptions, io: Io): Promise<number> {
  const { history } = await openAll(opts, io);
  const found = (await getAll(history, ids)).map((r) => r.id);
  const removed = await history.remove({ ids: found });
  await history.close();
  if (opts.json) io.json({ removed });
  else io.out(removedText(removed));
  return 0;
}

export async function clear(
  opts: GlobalOptions & { before?: string; yes?: boolean },
  io: Io,
): Promise<number> {
  const cutoff = opts.before ? Date.now() - parseDuration(opts.before, '--before') : undefined;
  const what = opts.before
    ? `recorded deliveries older than ${opts.before}`
    : 'all recorded deliveries';
  if (!opts.yes) {
    if (!canPrompt())
      throw usageError(`refusing to delete ${what} without confirmation: pass --yes`);
    const { confirm } = await import('../prompts.js');
    if (!(await confirm(`Delete ${what}?`))) {
      io.err('cancelled: nothing was deleted');
      return 0; // answering No is a choice, not a failure (as rm -i and gh)
    }
  }
  const { history } = await openAll(opts, io);
  const removed = await history.remove(cutoff === undefined ? {} : { until: cutoff });
  await history.close();
  if (opts.json) io.json({ removed });
  else io.out(removedText(removed));
  return 0;
}

/** Applies the retention policy now (the config's, or the flags'). */
export async function prune(
  opts: GlobalOptions & { maxAge?: string; maxRecords?: number },
  io: Io,
): Promise<number> {
  const { history, config } = await openAll(opts, io);
  const policy = retentionOf(config.values) ?? {};
  if (opts.maxAge) policy.maxAgeMs = parseDuration(opts.maxAge, '--max-age');
  if (opts.maxRecords !== undefined) policy.maxRecords = opts.maxRecords;
  if (policy.maxAgeMs === undefined && policy.maxRecords === undefined) {
    throw usageError(
      'no retention policy: pass --max-age or --max-records, or set historyMaxAge / historyMaxRecords in the config',
    );
  }
  const removed = await history.prune(policy);
  const left = await history.count();
  await history.close();
  if (opts.json) io.json({ removed, left });
  else io.out(`${removedText(removed)}; ${left} kept`);
  return 0;
}

/** How many records match, and where the history lives. */
export async function count(opts: FilterFlags, io: Io): Promise<number> {
  const { history, store } = await openAll(opts, io);
  const filter = await filterFrom(opts, async (ref) => (await store.get(ref)).id);
  const n = await history.count(filter);
  const where = history.location;
  await history.close();
  if (opts.json) io.json({ count: n, history: where, engine: history.engine });
  else io.out(`${n} deliver${n === 1 ? 'y' : 'ies'} in ${where}`);
  return 0;
}
