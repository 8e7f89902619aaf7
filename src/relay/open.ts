/** Opens the relay's store where the history lives: relay.db in the store directory, or the history's PostgreSQL database. */
import { isPostgresUrl } from '../history/open.js';
import type { RelayStore } from './store.js';

export async function openRelayStore(where: {
  history: string;
  storeDir: string;
  historySync?: 'normal' | 'full';
}): Promise<RelayStore> {
  if (isPostgresUrl(where.history)) {
    const { PostgresRelayStore } = await import('./postgres-store.js');
    return PostgresRelayStore.open(where.history);
  }
  const { SqliteRelayStore } = await import('./sqlite-store.js');
  return new SqliteRelayStore(where.storeDir, where.historySync);
}
