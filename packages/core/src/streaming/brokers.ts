import type { RepoConfig } from '../config/repo-config.js';
import { createFromConfig } from '../plugins/create-plugin.js';
import type { StreamBroker } from './stream-source.js';

/**
 * Creates the broker a stream source names, through the plugin registered for that broker type;
 * its settings come from `brokers.<type>` in feature_store.yaml, and `url` overrides the connection.
 */
export function createStreamBroker(config: RepoConfig, type = 'redis', options: { url?: string } = {}): Promise<StreamBroker> {
  const section = { ...(config.brokers?.[type] ?? {}), type, ...(options.url ? { url: options.url } : {}) };
  return createFromConfig('streamBroker', section, ['brokers', type], config);
}
