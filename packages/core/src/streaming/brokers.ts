import type { RepoConfig } from '../config/repo-config.js';
import { ConfigError } from '../errors.js';
import type { StreamBroker, StreamBrokerFactory } from './stream-source.js';

const brokers = new Map<string, StreamBrokerFactory>();

/** Registers a stream broker implementation under the `broker` name stream sources use ('redis'). */
export function registerStreamBroker(type: string, factory: StreamBrokerFactory): void {
  brokers.set(type, factory);
}

// Like the stores, brokers live in @frec/online and register themselves when imported.
const MODULES: Record<string, string> = { redis: '@frec/online/redis-streams' };

/** Creates the broker a stream source names; `url` overrides the connection (default: the online store's Redis). */
export async function createStreamBroker(config: RepoConfig, type = 'redis', options: { url?: string } = {}): Promise<StreamBroker> {
  if (!brokers.has(type) && MODULES[type]) await import(/* @vite-ignore */ MODULES[type]!);
  const f = brokers.get(type);
  if (!f) {
    throw new ConfigError(`Unknown stream broker '${type}'.`, {
      where: { file: config.configPath },
      hint: `Known brokers: ${[...new Set([...brokers.keys(), ...Object.keys(MODULES)])].join(', ')}.`,
    });
  }
  return f(config, options);
}
