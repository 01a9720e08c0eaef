import type { z } from 'zod';
import type { RepoConfig } from '../config/repo-config.js';
import type { OfflineStore } from '../stores/offline-store.js';
import type { OnlineStore } from '../stores/online-store.js';
import type { RegistryStore } from '../registry/registry-store.js';
import type { StreamBroker } from '../streaming/stream-source.js';

/** What every plugin factory is given besides its own config section. */
export interface PluginContext {
  /** The whole parsed feature_store.yaml, with the repo folder (relative paths resolve against `repoPath`). */
  repoConfig: RepoConfig;
}

/**
 * The kinds of pluggable part and, for each, what its factory returns. A package that brings a new
 * kind adds it by declaration merging, so its plugins are type-checked like core's:
 * @example
 * declare module '@frec/core/spi' {
 *   interface PluginKinds { modelStore: { instance: ModelStore; context: PluginContext } }
 * }
 */
export interface PluginKinds {
  /** `online_store:` in feature_store.yaml, chosen by its `type`. */
  onlineStore: { instance: OnlineStore; context: PluginContext };
  /** `offline_store:` in feature_store.yaml, chosen by its `type`. */
  offlineStore: { instance: OfflineStore; context: PluginContext };
  /** `registry:`; the type is the path's URI scheme (`s3://...` is 's3'), 'local' for a plain path. */
  registryStore: { instance: RegistryStore; context: PluginContext };
  /** The broker a stream source names (`broker: 'redis'`); its settings sit under `brokers.<type>:`. */
  streamBroker: { instance: StreamBroker; context: PluginContext };
}

/** One of the kinds of pluggable part. */
export type PluginKind = keyof PluginKinds;

/** What a plugin of kind K builds. */
export type InstanceOf<K extends PluginKind> = PluginKinds[K] extends { instance: infer I } ? I : never;
/** What a plugin of kind K is given besides its config. */
export type ContextOf<K extends PluginKind> = PluginKinds[K] extends { context: infer C } ? C : never;

/**
 * A Plugin is one implementation of one kind: the `type` that selects it, the zod schema of its
 * config section (which it owns: core never lists a backend's keys), and the factory.
 */
export interface Plugin<K extends PluginKind = PluginKind, S extends z.ZodTypeAny = z.ZodTypeAny> {
  readonly kind: K;
  readonly type: string;
  /** Validates the whole config section, `type` included; unknown keys should be errors (`.strict()`). */
  readonly configSchema: S;
  /** One line for `--help` texts and error messages. */
  readonly description?: string;
  create(config: z.output<S>, context: ContextOf<K>): InstanceOf<K> | Promise<InstanceOf<K>>;
}

/**
 * Declares a plugin with its types checked: `create` receives the parsed config of `configSchema`
 * and must return what its kind builds.
 * @example
 * export const sqliteOnlineStore = definePlugin({
 *   kind: 'onlineStore', type: 'sqlite', configSchema: sqliteConfigSchema,
 *   create: (config, { repoConfig }) => new SqliteOnlineStore({ ...config, repoPath: repoConfig.repoPath }),
 * });
 */
export function definePlugin<K extends PluginKind, S extends z.ZodTypeAny>(plugin: Plugin<K, S>): Plugin<K, S> {
  return plugin;
}

// A plugin list is shared process-wide: the same module loaded twice (two import paths) still registers once.
const REGISTRY_KEY = Symbol.for('frec.plugins');
type AnyPlugin = Plugin<PluginKind, z.ZodTypeAny>;
const registry: Map<string, AnyPlugin> = ((globalThis as Record<symbol, unknown>)[REGISTRY_KEY] ??= new Map()) as Map<string, AnyPlugin>;

const keyOf = (kind: string, type: string): string => `${kind}\u0000${type}`;

/** Makes plugins available to FeatureStore and the CLI; a later registration of the same kind and type replaces the earlier. */
export function registerPlugin(...plugins: ReadonlyArray<Plugin<PluginKind, z.ZodTypeAny>>): void {
  for (const p of plugins) registry.set(keyOf(p.kind, p.type), p as AnyPlugin);
}

/** The plugin registered for a kind and type, if any. */
export function findPlugin<K extends PluginKind>(kind: K, type: string): Plugin<K> | undefined {
  return registry.get(keyOf(kind, type)) as Plugin<K> | undefined;
}

/** The types registered for a kind, sorted (for error messages and `frec plugins`). */
export function registeredTypes(kind: PluginKind): string[] {
  return [...registry.values()]
    .filter((p) => p.kind === kind)
    .map((p) => p.type)
    .sort();
}

/** Every registered plugin, by kind then type. */
export function registeredPlugins(): Array<{ kind: PluginKind; type: string; description?: string }> {
  return [...registry.values()]
    .map((p) => ({ kind: p.kind, type: p.type, ...(p.description ? { description: p.description } : {}) }))
    .sort((a, b) => a.kind.localeCompare(b.kind) || a.type.localeCompare(b.type));
}
