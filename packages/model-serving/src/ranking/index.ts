/**
 * The ranker contract and its implementations: ONNX in process (onnxruntime-node), Triton or any
 * KServe v2 server over HTTP, and CPU fallbacks that need no model runtime.
 * @example
 * const ranker = await OnnxRanker.load({ model: 'ranker.onnx', version: 'ranker@3' });
 * const scores = await ranker.score(concatRankBatch({ user, items }));
 */
export { concatRankBatch, type Ranker, type RankBatch, type FloatTensor } from './ranker.js';
export { OnnxRanker, type OnnxRankerOptions } from './onnx/onnx-ranker.js';
export { KServeClient, type KServeClientOptions, type KServeModelMetadata, type KServeTensorMetadata } from './triton/kserve-client.js';
export { TritonRanker, type TritonRankerOptions } from './triton/triton-ranker.js';
export { LogisticRanker } from './simple/logistic-ranker.js';
export { RetrievalScoreRanker } from './simple/retrieval-score-ranker.js';
