import { ElemType, OnnxGraphBuilder } from './onnx-graph.js';
import type { DenseLayer, TwoTowerParams } from '../models/types.js';

/** Names of the tensors of an exported tower, for the serving code. */
export const TOWER_IO = {
  user: { index: 'user_index', features: 'user_features', output: 'user_embedding' },
  item: { index: 'item_index', features: 'item_features', output: 'item_embedding' },
} as const;

/** The two exported towers: the user tower runs per request, the item tower offline to fill the ANN index. */
export interface TwoTowerOnnx {
  user: Uint8Array;
  item: Uint8Array;
}

function tower(
  side: 'user' | 'item',
  params: TwoTowerParams,
  emb: Float32Array,
  rows: number,
  mean: Float32Array,
  std: Float32Array,
  dF: number,
  mlp: DenseLayer[],
): Uint8Array {
  const io = TOWER_IO[side];
  const e = params.config.embeddingDim;
  const g = new OnnxGraphBuilder(`streamrec_${side}_tower`);
  const idx = g.input(io.index, ElemType.INT64, ['batch']);
  // Indexes outside [0, rows) (unknown ids, -1) map to the out-of-vocabulary row, as in training code.
  const oov = g.int64s('oov_index', [rows], []);
  const valid = g.node('And', [g.node('GreaterOrEqual', [idx, g.int64s('zero', [0], [])]), g.node('Less', [idx, oov])]);
  const safe = g.node('Where', [valid, idx, oov]);
  const embRows = g.node('Gather', [g.floats(`${side}_embedding_table`, emb, [rows + 1, e]), safe], { axis: 0 });
  let x = embRows;
  if (dF > 0) {
    // Without features (dF = 0) the graph takes only the index: a [batch, 0] input would be a trap for callers.
    const feats = g.input(io.features, ElemType.FLOAT, ['batch', dF]);
    const standardized = g.node('Div', [g.node('Sub', [feats, g.floats('feature_mean', mean, [dF])]), g.floats('feature_std', std, [dF])]);
    x = g.node('Concat', [embRows, standardized], { axis: 1 });
  }
  mlp.forEach((layer, l) => {
    const z = g.dense(x, `${side}_mlp.${l}`, layer.w, layer.b, layer.inDim, layer.outDim);
    x = l < mlp.length - 1 ? g.node('Relu', [z]) : z;
  });
  const norm = g.node('ReduceL2', [x], { axes: [1], keepdims: 1 });
  g.node('Div', [x, norm], {}, io.output);
  g.output(io.output, ElemType.FLOAT, ['batch', params.config.outputDim]);
  return g.build({
    model: 'streamrec-two-tower',
    tower: side,
    output_dim: String(params.config.outputDim),
    feature_dim: String(dF),
    num_ids: String(rows),
  });
}

/**
 * Writes the user and item towers of a trained two-tower model as two ONNX graphs. Inputs:
 * `<side>_index` int64 [batch] and, when the tower has features, `<side>_features` float [batch, d]
 * (raw, standardized inside);
 * output `<side>_embedding` float [batch, outputDim], L2-normalized.
 *
 * @example
 * const { user, item } = exportTwoTowerOnnx(params); await writeFile('user_tower.onnx', user);
 */
export function exportTwoTowerOnnx(params: TwoTowerParams): TwoTowerOnnx {
  return {
    user: tower('user', params, params.userEmbedding, params.numUsers, params.userFeatureMean, params.userFeatureStd, params.dUser, params.userMlp),
    item: tower('item', params, params.itemEmbedding, params.numItems, params.itemFeatureMean, params.itemFeatureStd, params.dItem, params.itemMlp),
  };
}
