/**
 * @frec/model-serving: the domain-free parts of serving a model-based recommender: rankers (ONNX in
 * process, Triton over KServe v2, CPU fallbacks), the item index (exact, HNSW), the degradation
 * chain with guarded stages, and shadow scoring. Each part is also its own entry:
 * `@frec/model-serving/ranking`, `/item-index`, `/resilience`, `/shadow`.
 */
export * from './ranking/index.js';
export * from './item-index/index.js';
export * from './resilience/index.js';
export * from './shadow/index.js';
