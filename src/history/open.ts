/** Chooses and opens the history engine the configuration names; PostgreSQL's driver loads only when used. */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { ConfigValues } from '../config/config.js';
import { setAside } from '../db/legacy.js';
import { takeNotices } from '../db/local-database.js';
import type { History, HistorySpec, Retention } from './history.js';
import { SqliteHistory } from './sqlite.js';

/** The delivery log of the layout before the database, imported once when found. */
export const LEGACY_LOG = 'deliveries.ndjson';

export type { HistorySpec } from './history.js';

export const isPostgresUrl = (text: string) => /^postgres(ql)?:\/\//i.test(text);

export function historySpec(
  values: Pick<ConfigValues, 'history' | 'storeDir' | 'historySync'>,
): HistorySpec {
  return isPostgresUrl(values.history)
    ? { engine: 'postgres', url: values.history }
    : { engine: 'sqlite', storeDir: values.storeDir, sync: values.historySync };
}

export function retentionOf(
  values: Pick<ConfigValues, 'historyMaxAge' | 'historyMaxRecords'>,
): Retention | undefined {
  if (values.historyMaxAge === undefined && values.historyMaxRecords === undefined)
    return undefined;
  return { maxAgeMs: values.historyMaxAge, maxRecords: values.historyMaxRecords };
}

export interface OpenedHistory {
  history: History;
  /** Lines a user should read once (old files imported). */
  notices: string[];
}

export async function openHistory(spec: HistorySpec): Promise<OpenedHistory> {
  if (spec.engine === 'postgres') {
    const { PostgresHistory } = await import('./postgres.js');
    return { history: await PostgresHistory.open(spec.url), notices: [] };
  }
  const history = new SqliteHistory(spec.storeDir, spec.sync);
  // The reader of the old log loads only when there is one.
  const legacy = join(spec.storeDir, LEGACY_LOG);
  const imported = existsSync(legacy)
    ? await (await import('./ndjson.js')).importLegacyLog(history, legacy, setAside)
    : undefined;
  return { history, notices: [...takeNotices(), ...(imported ? [imported] : [])] };
}
