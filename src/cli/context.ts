/** What store-backed commands share: the resolved config and the chosen webhook store. */
import { loadConfig, type ConfigFlags, type ResolvedConfig } from '../config/config.js';
import { usageError } from '../errors.js';
import { LocalWebhookStore } from '../store/local-store.js';
import type { WebhookStore } from '../store/types.js';

export async function openConfig(opts: ConfigFlags): Promise<ResolvedConfig> {
  return loadConfig(opts);
}

export async function openStore(opts: ConfigFlags): Promise<{ store: WebhookStore; config: ResolvedConfig; local: LocalWebhookStore }> {
  const config = await loadConfig(opts);
  const local = new LocalWebhookStore(config.values.storeDir);
  if (config.values.store === 'blue') {
    throw usageError('the Blue store (--store blue) is not available in this version yet; use the local store (the default)');
  }
  return { store: local, config, local };
}
