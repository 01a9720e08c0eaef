import onnxProto from 'onnx-proto';

const { onnx } = onnxProto;

/**
 * Writes a tiny ranking model for tests: score = sigmoid(x . w + b), x: [N, d], score: [N, 1].
 * With `sqrt: true` the logit goes through Sqrt first, so negative logits give NaN — a real
 * model producing non-finite scores.
 */
export function tinyRankerOnnx(
  weights: number[],
  bias: number,
  options: { sqrt?: boolean; inputName?: string; outputName?: string } = {},
): Uint8Array {
  const d = weights.length;
  const input = options.inputName ?? 'x';
  const output = options.outputName ?? 'score';
  const tensor = (name: string, dims: number[], values: number[]) =>
    onnx.TensorProto.create({ name, dims, dataType: onnx.TensorProto.DataType.FLOAT, floatData: values });
  const nodes = [
    onnx.NodeProto.create({ opType: 'MatMul', input: [input, 'w'], output: ['xw'] }),
    onnx.NodeProto.create({ opType: 'Add', input: ['xw', 'b'], output: ['logit'] }),
  ];
  let last = 'logit';
  if (options.sqrt) {
    nodes.push(onnx.NodeProto.create({ opType: 'Sqrt', input: ['logit'], output: ['root'] }));
    last = 'root';
  }
  nodes.push(onnx.NodeProto.create({ opType: 'Sigmoid', input: [last], output: [output] }));
  const valueInfo = (name: string, dims: Array<number | string>) =>
    onnx.ValueInfoProto.create({
      name,
      type: onnx.TypeProto.create({
        tensorType: onnx.TypeProto.Tensor.create({
          elemType: onnx.TensorProto.DataType.FLOAT,
          shape: onnx.TensorShapeProto.create({
            dim: dims.map((v) =>
              typeof v === 'number'
                ? onnx.TensorShapeProto.Dimension.create({ dimValue: v })
                : onnx.TensorShapeProto.Dimension.create({ dimParam: v }),
            ),
          }),
        }),
      }),
    });
  const graph = onnx.GraphProto.create({
    name: 'tiny_ranker',
    node: nodes,
    initializer: [tensor('w', [d, 1], weights), tensor('b', [1], [bias])],
    input: [valueInfo(input, ['N', d])],
    output: [valueInfo(output, ['N', 1])],
  });
  const model = onnx.ModelProto.create({
    irVersion: 7,
    producerName: 'frec-test',
    opsetImport: [onnx.OperatorSetIdProto.create({ domain: '', version: 13 })],
    graph,
  });
  return onnx.ModelProto.encode(model).finish();
}
