/**
 * @frec/core: declare features in TypeScript, validate them, apply them to a versioned registry,
 * and read them through the FeatureStore. This entry is what a user imports; what a backend
 * implements (store interfaces, plugin registration, shared helpers) is `@frec/core/spi`.
 */
export {
  FrecError,
  DefinitionError,
  ConfigError,
  NotFoundError,
  RegistryError,
  RequestError,
  StoreError,
  ErrorCode,
  type FrecErrorOptions,
} from './errors.js';
export {
  Int32,
  Int64,
  Float32,
  Float64,
  Bool,
  String,
  Bytes,
  UnixTimestamp,
  Array,
  type ScalarType,
  type ValueType,
  type FeatureValue,
  type TsTypeOf,
} from './value-types.js';
export type { Duration } from './duration.js';
export type * from './definitions/specs.js';
export { field, type Field } from './definitions/field.js';
export { entity, Entity, type EntityOptions } from './definitions/entity.js';
export { fileSource, pushSource, streamSource, requestSource, DataSource, RequestSource } from './definitions/sources.js';
export { featureView, FeatureView, type FeatureViewOptions, type FeatureViewProjection } from './definitions/feature-view.js';
export {
  onDemandFeatureView,
  OnDemandFeatureView,
  type OnDemandFeatureViewOptions,
  type Transform,
  type TransformInput,
  type TransformOutput,
} from './definitions/on-demand-feature-view.js';
export { featureService, FeatureService } from './definitions/feature-service.js';
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
  aggregationFeatureView,
  type AggregationDeclaration,
  type AggregationDeclarationBase,
  type AggregationFunction,
  type AggregationFeatureViewOptions,
  type AggregationViewFields,
} from './aggregations/aggregation-view.js';
export {
  loadRepoConfig,
  parseRepoConfig,
  type RepoConfig,
  type RepoConfigInput,
  type RegistryConfig,
  type StoreSection,
} from './config/repo-config.js';
export { buildRepoContents, type RepoContents } from './repo/repo-contents.js';
export type { Plan, PlannedChange, ChangeType } from './repo/plan.js';
export type { FeatureSelector } from './feature-refs.js';
export { FeatureStore, type OpenOptions, type ApplyResult, type HistoricalFeaturesRequest } from './feature-store.js';
export {
  OnlineFeaturesResponse,
  type OnlineFeaturesRequest,
  type FeatureStatus,
  type OnlineRowError,
} from './online/get-online-features.js';
export type { EntityInput, RetrievalJob, RetrievalMetadata } from './stores/offline-store.js';
export type { MaterializeOptions, MaterializeResult, ViewMaterializeResult } from './materialize/materialize.js';
export type { MaterializeProgress } from './materialize/progress.js';
export type { PushOptions, PushResult, PushTarget } from './push/push.js';
export type { ViewFreshness } from './streaming/freshness.js';
export { createStreamBroker } from './streaming/brokers.js';
export { StreamWorker, type StreamWorkerOptions, type BatchStats, type WorkerTotals } from './streaming/stream-worker.js';
