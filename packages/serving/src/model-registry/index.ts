/** The model registry: versioned models with metrics, feature service, checksums and stages. */
export { ModelRegistry, type RegisterModelInput, type PromoteOptions } from './model-registry.js';
export { openModelRegistry, DEFAULT_MODEL_REGISTRY_DIR } from './create-model-registry.js';
export { modelManifestSchema, MODEL_STAGES, type ModelManifest, type ModelStage, type ModelArtifact } from './model-manifest.js';
export type { ModelStore } from './model-store.js';
export { LocalModelStore } from './local/local-model-store.js';
export { S3ModelStore, type S3ModelStoreOptions } from './s3/s3-model-store.js';
