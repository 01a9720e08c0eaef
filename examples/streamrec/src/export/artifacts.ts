import { exportTwoTowerOnnx } from './two-tower-onnx.js';
import { tritonRankerFiles, type ArtifactFile, type TritonRankerOptions } from './triton-repository.js';
import type { DcnParams, TwoTowerParams } from '../models/types.js';
import type { TowerEnsemble } from '../models/tower-ensemble.js';

/** ONNX files of the two-tower model, ready to store as model-registry artifacts: user_tower.onnx, item_tower.onnx. */
export function twoTowerOnnxArtifacts(params: TwoTowerParams | TowerEnsemble): ArtifactFile[] {
  const { user, item } = exportTwoTowerOnnx(params);
  return [
    { path: 'user_tower.onnx', data: user },
    { path: 'item_tower.onnx', data: item },
  ];
}

/**
 * ONNX and Triton files of the ranker as model-registry artifacts: `model.onnx` plus the Triton entry
 * under `triton/<model>/` (config.pbtxt and <version>/model.onnx).
 */
export function rankerOnnxArtifacts(params: DcnParams, triton: Omit<TritonRankerOptions, 'repoDir'> = {}): ArtifactFile[] {
  const entry = tritonRankerFiles(params, triton);
  const onnx = entry.files.find((f) => f.path.endsWith('model.onnx'))!;
  return [{ path: 'model.onnx', data: onnx.data }, ...entry.files.map((f) => ({ path: `triton/${f.path}`, data: f.data }))];
}
