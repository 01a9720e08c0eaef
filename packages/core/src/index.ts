/**
 * @frec/core: declare features in TypeScript, validate them, apply them to a versioned registry,
 * and read them through the FeatureStore.
 */
export * from './errors.js';
export * from './value-types.js';
export { parseDuration, formatDuration, type Duration } from './duration.js';
export { isValidName, closestNames, didYouMean } from './names.js';
export * from './definitions/specs.js';
export { field, fieldToSpec, type Field } from './definitions/field.js';
export { entity, Entity, type EntityOptions } from './definitions/entity.js';
export { fileSource, pushSource, streamSource, requestSource, DataSource, RequestSource } from './definitions/sources.js';
export {
  featureView,
  FeatureView,
  buildFeatureViewSpec,
  type FeatureViewOptions,
  type FeatureViewProjection,
} from './definitions/feature-view.js';
export {
  onDemandFeatureView,
  OnDemandFeatureView,
  type OnDemandFeatureViewOptions,
  type Transform,
  type TransformInput,
  type TransformOutput,
} from './definitions/on-demand-feature-view.js';
export { featureService, FeatureService } from './definitions/feature-service.js';
export { callSite } from './definitions/call-site.js';
export { parseSpec } from './definitions/validate.js';
export * from './config/repo-config.js';
export * from './registry/registry-data.js';
export type { RegistryStore, RegistrySnapshot } from './registry/registry-store.js';
export { LocalRegistryStore } from './registry/local/local-registry-store.js';
export { createRegistryStore } from './registry/create-registry-store.js';
export { decodeRegistry, encodeRegistry } from './registry/decode.js';
export { Registry } from './registry/registry.js';
export { importDefinitions, definitionFiles, type Definition, type FoundDefinition } from './repo/load-repo.js';
export { buildRepoContents, type RepoContents } from './repo/repo-contents.js';
export { computePlan, applyPlanToRegistry, stableStringify, type Plan, type PlannedChange, type ChangeType } from './repo/plan.js';
export * from './feature-refs.js';
export { compileTransform, runTransform } from './transforms.js';
export type * from './stores/online-store.js';
export type * from './stores/offline-store.js';
export { registerOnlineStore, registerOfflineStore, createOnlineStore, createOfflineStore } from './stores/factories.js';
export { FeatureStore, notImplemented, type OpenOptions, type ApplyResult, type HistoricalFeaturesRequest } from './feature-store.js';
export {
  OnlineFeaturesResponse,
  type OnlineFeaturesRequest,
  type FeatureStatus,
  type OnlineRowError,
} from './online/get-online-features.js';
export { toOnlineRows, timestampColumnsOf } from './online/write-to-online.js';
export {
  streamFeatureView,
  lastN,
  count,
  sum,
  mean,
  sessionLength,
  sessionDuration,
  type Aggregation,
  type AggregationFields,
  type StreamFeatureViewOptions,
} from './definitions/stream-feature-view.js';
export {
  materialize,
  materializeIncremental,
  batchToRows,
  batchToColumns,
  type MaterializeOptions,
  type MaterializeResult,
  type ViewMaterializeResult,
} from './materialize/materialize.js';
export type { MaterializeProgress } from './materialize/progress.js';
export { push, type PushOptions, type PushResult, type PushTarget } from './push/push.js';
export { validatePushRows, type ValidPushRow } from './push/validate-push-rows.js';
export * from './streaming/aggregate-state.js';
export * from './streaming/stream-source.js';
export { parseEvent, parseEventTime, keyString, timestampFieldOf, type ParsedEvent } from './streaming/parse-event.js';
export { registerStreamBroker, createStreamBroker } from './streaming/brokers.js';
export { StreamWorker, type StreamWorkerOptions, type BatchStats, type WorkerTotals } from './streaming/stream-worker.js';
export { viewFreshness, type ViewFreshness } from './streaming/freshness.js';
export { seededRandom } from './seeded-random.js';
