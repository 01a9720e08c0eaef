import { ElemType, OnnxGraphBuilder } from './onnx-graph.js';
import type { DcnParams } from '../models/types.js';

/** Names of the ranker's tensors, shared with the Triton config. */
export const RANKER_IO = { input: 'features', output: 'probability' } as const;

/**
 * Writes a trained DCN-V2 ranker as an ONNX graph with a dynamic batch dimension:
 * `features` float [batch, d] (raw, standardized inside) -> `probability` float [batch, 1].
 * Cross layers are Gemm + Mul + Add (x_{l+1} = x0 * (x_l W + b) + x_l), the deep tower Gemm + Relu.
 *
 * @example
 * await writeFile('ranker.onnx', exportRankerOnnx(params));
 */
export function exportRankerOnnx(params: DcnParams): Uint8Array {
  const { d } = params;
  const g = new OnnxGraphBuilder('streamrec_dcn_v2');
  const raw = g.input(RANKER_IO.input, ElemType.FLOAT, ['batch', d]);
  const x0 = g.node('Div', [g.node('Sub', [raw, g.floats('feature_mean', params.mean, [d])]), g.floats('feature_std', params.std, [d])]);
  let xl = x0;
  params.cross.forEach((c, l) => {
    const a = g.dense(xl, `cross.${l}`, c.w, c.b, d, d);
    xl = g.node('Add', [g.node('Mul', [x0, a]), xl]);
  });
  let h = x0;
  params.deep.forEach((layer, l) => {
    h = g.node('Relu', [g.dense(h, `deep.${l}`, layer.w, layer.b, layer.inDim, layer.outDim)]);
  });
  const joined = params.deep.length > 0 ? g.node('Concat', [xl, h], { axis: 1 }) : xl;
  const logit = g.dense(joined, 'head', params.head.w, params.head.b, params.head.inDim, 1, 'logit');
  g.node('Sigmoid', [logit], {}, RANKER_IO.output);
  g.output(RANKER_IO.output, ElemType.FLOAT, ['batch', 1]);
  return g.build({ model: 'streamrec-dcn-v2', feature_names: JSON.stringify(params.featureNames), input_dim: String(d) });
}
