/** Chooses and opens the history engine the configuration names; engines load only when used. */
import type { ConfigValues } from '../config/config.js';
import type { SyncMode } from '../store/database.js';
import type { History, Retention } from './history.js';

/** Plain data, so that a worker thread can open the same history. */
export type HistorySpec = { engine: 'sqlite'; storeDir: string; sync: SyncMode } | { engine: 'postgres'; url: string };

export const isPostgresUrl = (text: string) => /^postgres(ql)?:\/\//i.test(text);

export function historySpec(values: Pick<ConfigValues, 'history' | 'storeDir' | 'historySync'>): HistorySpec {
  return isPostgresUrl(values.history) ? { engine: 'postgres', url: values.history } : { engine: 'sqlite', storeDir: values.storeDir, sync: values.historySync };
}

export function retentionOf(values: Pick<ConfigValues, 'historyMaxAge' | 'historyMaxRecords'>): Retention | undefined {
  if (values.historyMaxAge === undefined && values.historyMaxRecords === undefined) return undefined;
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
  const { SqliteHistory } = await import('./sqlite.js');
  const { takeNotices } = await import('../store/local-database.js');
  const { setAside } = await import('../store/legacy.js');
  const { importLegacyLog } = await import('./ndjson.js');
  const history = new SqliteHistory(spec.storeDir, spec.sync);
  const imported = await importLegacyLog(history, spec.storeDir, setAside);
  return { history, notices: [...takeNotices(), ...(imported ? [imported] : [])] };
}
