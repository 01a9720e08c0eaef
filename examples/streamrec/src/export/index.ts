/**
 * StreamRec model export: ONNX graphs written from trained weights, and a Triton repository for the ranker.
 *
 * @example
 * const artifacts = [...twoTowerOnnxArtifacts(tower), ...rankerOnnxArtifacts(ranker)];
 */
export { exportTwoTowerOnnx, TOWER_IO, type TwoTowerOnnx } from './two-tower-onnx.js';
export { exportRankerOnnx, RANKER_IO } from './dcn-onnx.js';
export { OnnxGraphBuilder, OPSET, decodeModel } from './onnx-graph.js';
export {
  writeTritonRanker,
  tritonRankerFiles,
  renderTritonConfig,
  type ArtifactFile,
  type TritonModelConfig,
  type TritonRankerOptions,
  type TritonModelFiles,
  type TritonTensor,
} from './triton-repository.js';
export { twoTowerOnnxArtifacts, rankerOnnxArtifacts } from './artifacts.js';
export { saveRetrievalIndex, type SaveRetrievalIndexOptions } from './retrieval-index.js';
