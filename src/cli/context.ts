/** What store-backed commands share: the resolved config, the chosen webhook store, the history. */
import { loadConfig, type ConfigFlags, type ResolvedConfig } from '../config/config.js';
import type { History } from '../history/history.js';
import { historySpec } from '../history/open.js';
import { reportNoticesTo } from '../db/local-database.js';
import { KeptSecrets, LocalWebhookStore } from '../store/local-store.js';
import type { WebhookStore } from '../store/types.js';
import { type Io, writeErr } from './output.js';

export async function openConfig(opts: ConfigFlags): Promise<ResolvedConfig> {
  return loadConfig(opts);
}

/** The remote store, talking to Blue's GraphQL API with credentials from the environment. */
export async function openBlueStore(
  config: ResolvedConfig,
  env: NodeJS.ProcessEnv = process.env,
): Promise<WebhookStore> {
  const { BlueWebhookStore } = await import('../store/blue-store.js');
  const v = config.values;
  return new BlueWebhookStore(
    v.apiUrl,
    {
      tokenId: env[v.tokenIdEnv],
      tokenSecret: env[v.tokenSecretEnv],
      companyId: env[v.companyIdEnv],
      names: { tokenId: v.tokenIdEnv, tokenSecret: v.tokenSecretEnv, companyId: v.companyIdEnv },
    },
    new KeptSecrets(v.storeDir),
  );
}

export async function openStore(
  opts: ConfigFlags,
): Promise<{ store: WebhookStore; config: ResolvedConfig; local: LocalWebhookStore }> {
  const config = await loadConfig(opts);
  // What opening the store's database imported (an old layout's webhooks.json) is said on stderr.
  reportNoticesTo((line) => writeErr(`bluehook: ${line}`));
  const local = new LocalWebhookStore(config.values.storeDir);
  const store = config.values.store === 'blue' ? await openBlueStore(config) : local;
  return { store, config, local };
}

/** The delivery history the config names; what opening it imported is said once on stderr. */
export async function openHistoryFor(config: ResolvedConfig, io: Io): Promise<History> {
  const { openHistory } = await import('../history/open.js');
  const { history, notices } = await openHistory(historySpec(config.values));
  for (const line of notices) io.err(`bluehook: ${line}`);
  return history;
}
