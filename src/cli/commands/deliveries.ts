import { writeFileSync } from 'node:fs';
import { resolveEvent } from '../../blue/catalogue.js';
import { usageError } from '../../errors.js';
import { DeliveryLog, decodeBody, type DeliveryRecord, type ReadStats } from '../../store/delivery-log.js';
import { toCurl, toHar } from '../../store/export.js';
import { colors } from '../colors.js';
import { openStore } from '../context.js';
import { packageVersion } from '../main.js';
import { parseDuration } from '../inputs.js';
import { canPrompt, table, writeErr, writeJson, writeJsonLine, writeOut, writeStreamLine, type GlobalOptions } from '../output.js';
import { statusText } from '../render-delivery.js';
import { Ring } from '../../util/ring.js';

interface ListFlags extends GlobalOptions {
  event?: string;
  webhook?: string;
  invalid?: boolean;
  since?: string;
  limit?: number;
  direction?: 'in' | 'out';
}

async function openLog(opts: GlobalOptions) {
  const opened = await openStore(opts);
  return { ...opened, log: new DeliveryLog(opened.config.values.storeDir) };
}

const statusOf = (r: DeliveryRecord) => (r.direction === 'out' ? r.response?.status : r.answer?.status);

// Fixed widths, because a streamed list cannot measure its rows first.
const pad = (text: string, width: number, visible = text.length) => text + ' '.repeat(Math.max(1, width - visible));

function line(r: DeliveryRecord, c: ReturnType<typeof colors>): string {
  const verdict = r.direction === 'in' ? (r.verdict?.valid ? 'valid' : `invalid (${r.verdict?.cause})`) : r.ok ? 'delivered' : r.response?.error ?? 'failed';
  const good = r.direction === 'in' ? r.verdict?.valid : r.ok;
  const size = r.bodyEncoding === 'base64' ? Math.floor((r.body.length * 3) / 4) : Buffer.byteLength(r.body);
  const status = statusOf(r);
  const statusPlain = status === undefined ? 'no answer' : String(status);
  return [
    pad(c.cyan(r.id), 22, r.id.length),
    pad(r.time.replace('T', ' ').slice(0, 19), 21),
    pad(r.direction, 5),
    pad(r.event ?? '-', 40),
    pad(good ? c.green(verdict) : c.red(verdict), 26, verdict.length),
    pad(status === undefined ? c.red(statusPlain) : status < 300 ? c.green(statusPlain) : c.red(statusPlain), 10, statusPlain.length),
    pad(`${size} B`, 9),
    r.url,
  ].join('');
}

export async function list(opts: ListFlags): Promise<number> {
  const event = opts.event ? resolveEvent(opts.event).name : undefined;
  const since = opts.since ? Date.now() - parseDuration(opts.since, '--since') : undefined;
  const { log, store } = await openLog(opts);
  const webhookId = opts.webhook ? (await store.get(opts.webhook)).id : undefined;
  const keep = (r: DeliveryRecord) =>
    (!event || r.event === event) &&
    (!webhookId || r.webhookId === webhookId) &&
    (!opts.invalid || (r.direction === 'in' ? !r.verdict?.valid : !r.ok)) &&
    (!opts.direction || r.direction === opts.direction) &&
    (since === undefined || Date.parse(r.time) >= since);
  const c = colors(opts);
  const stats: ReadStats = { records: 0, skipped: 0 };
  // Stream in constant memory; with --limit only the last N matches are held.
  const limit = opts.limit;
  const tail = new Ring<DeliveryRecord>(limit ?? 1);
  let shown = 0;
  const emit = (r: DeliveryRecord) => {
    shown++;
    if (opts.json) writeJsonLine({ id: r.id, time: r.time, direction: r.direction, event: r.event, webhookId: r.webhookId ?? null, status: statusOf(r) ?? null, valid: r.direction === 'in' ? r.verdict?.valid ?? null : r.ok ?? null, url: r.url, replayOf: r.replayOf ?? null });
    else writeStreamLine(line(r, c));
  };
  for await (const r of log.records(stats)) {
    if (!keep(r)) continue;
    if (limit === undefined) emit(r);
    else tail.push(r);
  }
  if (limit !== undefined) tail.toArray().forEach(emit);
  if (!opts.json) {
    if (!shown) writeErr('no recorded deliveries match');
    if (stats.skipped) writeErr(c.yellow(`skipped ${stats.skipped} unreadable line${stats.skipped === 1 ? '' : 's'} in ${log.file}`));
  }
  return 0;
}

export async function show(id: string, opts: GlobalOptions): Promise<number> {
  const { log } = await openLog(opts);
  const [r] = await log.find([id]);
  if (opts.json) {
    writeJson(r);
    return 0;
  }
  const c = colors(opts);
  const body = decodeBody(r!);
  let pretty = r!.bodyEncoding === 'utf8' ? body.toString('utf8') : `(binary, ${body.length} bytes, base64) ${r!.body}`;
  try {
    pretty = JSON.stringify(JSON.parse(pretty), null, 2);
  } catch {
    // shown as recorded
  }
  const rows: string[][] = [
    ['id', r!.id],
    ['time', r!.time],
    ['direction', r!.direction === 'in' ? 'received' : 'sent'],
    ['event', r!.event ?? '-'],
    [r!.direction === 'in' ? 'path' : 'url', r!.url],
  ];
  if (r!.direction === 'in') {
    rows.push(['from', r!.remoteAddress ?? '-'], ['verdict', r!.verdict?.valid ? c.green(r!.verdict.message) : c.red(r!.verdict?.message ?? '-')], ['answer', statusText(r!.answer?.status, c)]);
  } else {
    rows.push(['attempts', (r!.attempts ?? []).map((a) => a.status ?? a.error).join(', ')], ['answer', statusText(r!.response?.status, c)]);
    if (r!.replayOf) rows.push(['replay of', r!.replayOf]);
  }
  if (r!.webhookId) rows.push(['webhook', r!.webhookId]);
  writeOut(table(rows.map(([k, v]) => [c.bold(k!), v!])));
  writeOut(`\n${c.bold('headers')}`);
  for (const [k, v] of Object.entries(r!.headers)) writeOut(`  ${k}: ${v}`);
  writeOut(`\n${c.bold('body')}\n${pretty}`);
  return 0;
}

export async function exportOne(id: string, opts: GlobalOptions & { format: string; to?: string; out?: string }): Promise<number> {
  const { log } = await openLog(opts);
  const [r] = await log.find([id]);
  let text: string | Buffer;
  switch (opts.format) {
    case 'json':
      text = `${JSON.stringify(r, null, 2)}\n`;
      break;
    case 'curl':
      text = `${toCurl(r!, opts.to)}\n`;
      break;
    case 'har':
      text = `${JSON.stringify(toHar(r!, packageVersion(), opts.to), null, 2)}\n`;
      break;
    case 'fixture':
      text = decodeBody(r!); // the exact bytes, ready to sign or replay in a test
      break;
    default:
      throw usageError(`unknown --format "${opts.format}": choose json, curl, har or fixture`);
  }
  if (opts.out) {
    writeFileSync(opts.out, text);
    writeErr(`wrote ${opts.format} of ${r!.id} to ${opts.out}`);
  } else process.stdout.write(text);
  return 0;
}

export async function rm(ids: string[], opts: GlobalOptions): Promise<number> {
  const { log } = await openLog(opts);
  const found = new Set((await log.find(ids)).map((r) => r.id));
  const removed = await log.remove((r) => found.has(r.id));
  if (opts.json) writeJson({ removed });
  else writeOut(`removed ${removed} deliver${removed === 1 ? 'y' : 'ies'}`);
  return 0;
}

export async function clear(opts: GlobalOptions & { before?: string; yes?: boolean }): Promise<number> {
  const cutoff = opts.before ? Date.now() - parseDuration(opts.before, '--before') : Infinity;
  const what = opts.before ? `recorded deliveries older than ${opts.before}` : 'all recorded deliveries';
  if (!opts.yes) {
    if (!canPrompt()) throw usageError(`refusing to delete ${what} without confirmation: pass --yes`);
    const { confirm } = await import('../prompts.js');
    if (!(await confirm(`Delete ${what}?`))) {
      writeErr('cancelled: nothing was deleted');
      return 1;
    }
  }
  const { log } = await openLog(opts);
  const removed = await log.remove((r) => Date.parse(r.time) < cutoff);
  if (opts.json) writeJson({ removed });
  else writeOut(`removed ${removed} deliver${removed === 1 ? 'y' : 'ies'}`);
  return 0;
}
