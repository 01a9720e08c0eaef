import { ElemType, OnnxGraphBuilder } from './onnx-graph.js';
import { asEnsemble, ensembleDim, ensembleShape, type TowerEnsemble } from '../models/tower-ensemble.js';
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

interface Side {
  emb: Float32Array;
  rows: number;
  mean: Float32Array;
  std: Float32Array;
  mlp: DenseLayer[];
}

const sideOf = (p: TwoTowerParams, side: 'user' | 'item'): Side =>
  side === 'user'
    ? { emb: p.userEmbedding, rows: p.numUsers, mean: p.userFeatureMean, std: p.userFeatureStd, mlp: p.userMlp }
    : { emb: p.itemEmbedding, rows: p.numItems, mean: p.itemFeatureMean, std: p.itemFeatureStd, mlp: p.itemMlp };

/** One member's tower (id embedding + standardized features -> MLP -> L2 normalize); returns its output's name. */
function memberTower(
  g: OnnxGraphBuilder,
  side: 'user' | 'item',
  p: TwoTowerParams,
  prefix: string,
  idx: string,
  feats: string | undefined,
  output?: string,
): string {
  const { emb, rows, mean, std, mlp } = sideOf(p, side);
  const e = p.config.embeddingDim;
  // Indexes outside [0, rows) (unknown ids, -1) map to the out-of-vocabulary row, as in training code.
  const oov = g.int64s(`${prefix}oov_index`, [rows], []);
  const valid = g.node('And', [g.node('GreaterOrEqual', [idx, g.int64s(`${prefix}zero`, [0], [])]), g.node('Less', [idx, oov])]);
  const safe = g.node('Where', [valid, idx, oov]);
  let x = g.node('Gather', [g.floats(`${prefix}${side}_embedding_table`, emb, [rows + 1, e]), safe], { axis: 0 });
  if (feats) {
    const dF = mean.length;
    const standardized = g.node('Div', [
      g.node('Sub', [feats, g.floats(`${prefix}feature_mean`, mean, [dF])]),
      g.floats(`${prefix}feature_std`, std, [dF]),
    ]);
    x = g.node('Concat', [x, standardized], { axis: 1 });
  }
  mlp.forEach((layer, l) => {
    const z = g.dense(x, `${prefix}${side}_mlp.${l}`, layer.w, layer.b, layer.inDim, layer.outDim);
    x = l < mlp.length - 1 ? g.node('Relu', [z]) : z;
  });
  const norm = g.node('ReduceL2', [x], { axes: [1], keepdims: 1 });
  return g.node('Div', [x, norm], {}, output);
}

function tower(side: 'user' | 'item', ensemble: TowerEnsemble): Uint8Array {
  const io = TOWER_IO[side];
  const shape = ensembleShape(ensemble);
  const dF = side === 'user' ? shape.dUser : shape.dItem;
  const dim = ensembleDim(ensemble);
  const g = new OnnxGraphBuilder(`streamrec_${side}_tower`);
  const idx = g.input(io.index, ElemType.INT64, ['batch']);
  // Without features (dF = 0) the graph takes only the index: a [batch, 0] input would be a trap for callers.
  const feats = dF > 0 ? g.input(io.features, ElemType.FLOAT, ['batch', dF]) : undefined;
  const { members } = ensemble;
  if (members.length === 1) memberTower(g, side, members[0]!, '', idx, feats, io.output);
  else {
    // The members' unit embeddings side by side, scaled by 1/sqrt(K): as ensembleUserForward computes.
    const outs = members.map((m, k) => memberTower(g, side, m, `member${k}.`, idx, feats));
    const scale = g.floats('member_scale', Float32Array.of(1 / Math.sqrt(members.length)), []);
    g.node('Mul', [g.node('Concat', outs, { axis: 1 }), scale], {}, io.output);
  }
  g.output(io.output, ElemType.FLOAT, ['batch', dim]);
  return g.build({
    model: 'streamrec-two-tower',
    tower: side,
    output_dim: String(dim),
    members: String(members.length),
    feature_dim: String(dF),
    num_ids: String(side === 'user' ? shape.numUsers : shape.numItems),
  });
}

/**
 * Writes the user and item towers of a trained two-tower model (or ensemble) as two ONNX graphs.
 * Inputs: `<side>_index` int64 [batch] and, when the tower has features, `<side>_features` float
 * [batch, d] (raw, standardized inside); output `<side>_embedding` float [batch, outputDim x members],
 * unit length: an ensemble's members are concatenated and scaled by 1/sqrt(members).
 *
 * @example
 * const { user, item } = exportTwoTowerOnnx(params); await writeFile('user_tower.onnx', user);
 */
export function exportTwoTowerOnnx(params: TwoTowerParams | TowerEnsemble): TwoTowerOnnx {
  const ensemble = asEnsemble(params);
  return { user: tower('user', ensemble), item: tower('item', ensemble) };
}
