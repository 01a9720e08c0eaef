/**
 * @frec/model-registry: versioned models with metrics, feature service, checksums and stages, kept
 * by a model store plugin chosen by the location's scheme: `local` (a folder) or `s3`
 * (s3://bucket/prefix). Importing it registers both as `modelStore` plugins.
 * @example
 * const reg = openModelRegistry('s3://models/team');
 * const m = await reg.register({ name: 'ranker', featureService: 'ranker_v1', trainingData, artifacts });
 */
export { ModelRegistry, type RegisterModelInput, type PromoteOptions } from './model-registry.js';
export {
  openModelRegistry,
  openModelStore,
  modelStoreTypeOf,
  DEFAULT_MODEL_REGISTRY_DIR,
  type OpenModelRegistryOptions,
} from './open-model-registry.js';
export { modelManifestSchema, MODEL_STAGES, type ModelManifest, type ModelStage, type ModelArtifact } from './model-manifest.js';
export type { ModelStore, ModelStoreContext } from './model-store.js';
export { ModelRegistryErrorCode } from './errors.js';
export { LocalModelStore } from './local/local-model-store.js';
export { localModelStore } from './local/local-model-store-plugin.js';
export { localModelStoreConfigSchema, type LocalModelStoreConfig } from './local/local-model-store-config.js';
export { S3ModelStore, type S3ModelStoreOptions } from './s3/s3-model-store.js';
export { s3ModelStore } from './s3/s3-model-store-plugin.js';
export { s3ModelStoreConfigSchema, type S3ModelStoreConfig } from './s3/s3-model-store-config.js';
