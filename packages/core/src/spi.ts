/**
 * @frec/core/spi: what a backend (online or offline store, registry store, stream broker, or a
 * kind a package adds) implements and registers, and the helpers the built-in backends share.
 * Users import `@frec/core`; nothing here is needed to declare or read features.
 * @example
 * import { definePlugin, registerPlugin } from '@frec/core/spi';
 * registerPlugin(definePlugin({ kind: 'onlineStore', type: 'mine', configSchema, create: (c) => new MyStore(c) }));
 */
// Plugins: the kinds, their registration and how a config section becomes an instance.
export {
  definePlugin,
  registerPlugin,
  findPlugin,
  registeredTypes,
  registeredPlugins,
  type Plugin,
  type PluginKinds,
  type PluginKind,
  type PluginContext,
  type InstanceOf,
  type ContextOf,
} from './plugins/plugin-registry.js';
export { createFromConfig, loadPlugins } from './plugins/create-plugin.js';
export { parseConfigSection, configIssueError, keysOf } from './config/config-errors.js';
export { CONFIG_FILE, interpolateEnv, resolveRepoPath, repoConfigSchema, registryConfigSchema } from './config/repo-config.js';

// Types a backend handles, re-exported so it needs one import.
export type * from './definitions/specs.js';
export type { ScalarType, ValueType, FeatureValue } from './value-types.js';
export type { RepoConfig, StoreSection, RegistryConfig } from './config/repo-config.js';
export type { FeatureSelector } from './feature-refs.js';

// Store contracts.
export type * from './stores/online-store.js';
export type * from './stores/offline-store.js';
export type { RegistryStore, RegistrySnapshot } from './registry/registry-store.js';
export type * from './streaming/stream-source.js';
export { groupOf } from './streaming/stream-source.js';
export { rowReadAdapter, rowsToColumns, readRows, type RowOnlineStore } from './stores/row-read-adapter.js';
export { createOnlineStore, createOfflineStore } from './stores/factories.js';
export { createRegistryStore, registryTypeOf } from './registry/create-registry-store.js';

// Registry data and the registry stores' helpers.
export * from './registry/registry-data.js';
export { decodeRegistry, encodeRegistry } from './registry/decode.js';
export { Registry } from './registry/registry.js';
export { LocalRegistryStore } from './registry/local/local-registry-store.js';
export { importDefinitions, definitionFiles, type Definition, type FoundDefinition } from './repo/load-repo.js';
export { computePlan, applyPlanToRegistry, stableStringify } from './repo/plan.js';

// Specs, values and names, as backends validate and convert them.
export {
  nameSchema,
  fieldSpecSchema,
  entitySpecSchema,
  fileSourceSpecSchema,
  pushSourceSpecSchema,
  requestSourceSpecSchema,
  streamSourceSpecSchema,
  dataSourceSpecSchema,
  aggregationSpecSchema,
  tiledAggregationSpecSchema,
  tilingSpecSchema,
  TILE_FUNCTIONS,
  featureViewSpecSchema,
  odfvSourceRefSchema,
  onDemandFeatureViewSpecSchema,
  projectionSpecSchema,
  featureServiceSpecSchema,
  formatZodError,
} from './definitions/specs.js';
export { parseSpec } from './definitions/validate.js';
export { buildFeatureViewSpec } from './definitions/feature-view.js';
export {
  SCALAR_TYPES,
  VALUE_TYPES,
  isValueType,
  isArrayType,
  elementType,
  coerceScalar,
  coerceValue,
  hasNonFinite,
  int64KeyOf,
  allowsNonFinite,
  NON_FINITE_HINT,
} from './value-types.js';
export { parseDuration, formatDuration } from './duration.js';
export { isValidName, closestNames, didYouMean } from './names.js';
export { httpStatusOf, toFrecError } from './errors.js';

// Feature resolution and the shapes the offline and online paths exchange.
export {
  parseFeatureRef,
  resolveFeatures,
  outputColumnNames,
  type ResolvedView,
  type ResolvedOdfv,
  type ResolvedFeatures,
} from './feature-refs.js';
export { compileTransform, runTransform } from './transforms.js';
export { toOnlineRows, timestampColumnsOf } from './online/write-to-online.js';
export { getOnlineFeaturesNow } from './online/get-online-features.js';
export { batchToRows, batchToColumns } from './materialize/materialize.js';
export { validatePushRows, type ValidPushRow } from './push/validate-push-rows.js';

// Stream aggregation: one fold for the worker, the backfill and every state store.
export * from './streaming/aggregate-state.js';
export * from './aggregations/tiles.js';
export * from './aggregations/tile-row.js';
export { recentStorageSpec } from './aggregations/recent-row.js';
export { HLL_PRECISION, HLL_STANDARD_ERROR, hllAdd, hllEstimate } from './aggregations/hll.js';
export { MIN_TIME_MS, MAX_TIME_MS, TIME_RANGE_TEXT, isSupportedTimeMs } from './time-range.js';
export { STREAM_CREATED_COLUMN, createdColumnOf } from './streaming/offline-rows.js';
export { parseEvent, parseKey, parseEventTime, keyString, timestampFieldOf, type ParsedEvent } from './streaming/parse-event.js';
export { partitionOf, partitionOfEvent, partitionsOf } from './streaming/partitions.js';
export { groupLag } from './streaming/freshness.js';
export { seededRandom } from './seeded-random.js';
