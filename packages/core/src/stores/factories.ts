import { ConfigError } from '../errors.js';
import type { RepoConfig } from '../config/repo-config.js';
import type { OfflineStore, OfflineStoreFactory } from './offline-store.js';
import type { OnlineStore, OnlineStoreFactory } from './online-store.js';

const online = new Map<string, OnlineStoreFactory>();
const offline = new Map<string, OfflineStoreFactory>();

/** Registers an online store implementation under its `type:` in feature_store.yaml. */
export function registerOnlineStore(type: string, factory: OnlineStoreFactory): void {
  online.set(type, factory);
}

/** Registers an offline store implementation under its `type:` in feature_store.yaml. */
export function registerOfflineStore(type: string, factory: OfflineStoreFactory): void {
  offline.set(type, factory);
}

// The implementations live in their own packages, which register themselves when imported.
// Importing by a computed name keeps @frec/core free of a build-time dependency on them.
async function loadImplementations(pkg: string): Promise<void> {
  await import(/* @vite-ignore */ pkg);
}

export async function createOnlineStore(config: RepoConfig): Promise<OnlineStore> {
  if (!online.has(config.online_store.type)) await loadImplementations('@frec/online');
  const f = online.get(config.online_store.type);
  if (!f) throw new ConfigError(`Unknown online_store type '${config.online_store.type}'.`, { where: { file: config.configPath } });
  return f(config);
}

export async function createOfflineStore(config: RepoConfig): Promise<OfflineStore> {
  if (!offline.has(config.offline_store.type)) await loadImplementations('@frec/offline');
  const f = offline.get(config.offline_store.type);
  if (!f) throw new ConfigError(`Unknown offline_store type '${config.offline_store.type}'.`, { where: { file: config.configPath } });
  return f(config);
}
