import type { RepoConfig } from '../config/repo-config.js';
import { createFromConfig } from '../plugins/create-plugin.js';
import type { OfflineStore } from './offline-store.js';
import type { OnlineStore } from './online-store.js';

/** Builds the online store `online_store:` names, through its registered plugin. */
export function createOnlineStore(config: RepoConfig): Promise<OnlineStore> {
  return createFromConfig('onlineStore', config.online_store, ['online_store'], config);
}

/** Builds the offline store `offline_store:` names, through its registered plugin. */
export function createOfflineStore(config: RepoConfig): Promise<OfflineStore> {
  return createFromConfig('offlineStore', config.offline_store, ['offline_store'], config);
}
