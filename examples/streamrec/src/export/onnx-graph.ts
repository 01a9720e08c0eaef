import { createRequire } from 'node:module';
import type * as OnnxProto from 'onnx-proto';

// onnx-proto is CommonJS whose typings declare a named export that Node's ESM loader does not expose.
const { onnx } = createRequire(import.meta.url)('onnx-proto') as typeof OnnxProto;

/** ONNX opset the exporters target: ReduceL2 still takes `axes` as an attribute, supported by every onnxruntime since 1.8. */
export const OPSET = 13;

type Dim = number | string;
type AttrValue = number | number[] | string;

/** Element types the exporters use. */
export const ElemType = { FLOAT: onnx.TensorProto.DataType.FLOAT, INT64: onnx.TensorProto.DataType.INT64 } as const;

/**
 * Builds an ONNX graph node by node from trained weights; `build()` returns the serialized model.
 * Names are generated with a counter so graphs are deterministic (same weights give the same bytes).
 */
export class OnnxGraphBuilder {
  private readonly nodes: OnnxProto.onnx.INodeProto[] = [];
  private readonly initializers: OnnxProto.onnx.ITensorProto[] = [];
  private readonly inputs: OnnxProto.onnx.IValueInfoProto[] = [];
  private readonly outputs: OnnxProto.onnx.IValueInfoProto[] = [];
  private counter = 0;

  constructor(private readonly name: string) {}

  /** Declares a graph input (a string dim is symbolic, e.g. 'batch'). */
  input(name: string, elemType: number, dims: Dim[]): string {
    this.inputs.push(valueInfo(name, elemType, dims));
    return name;
  }

  /** Declares a graph output. */
  output(name: string, elemType: number, dims: Dim[]): void {
    this.outputs.push(valueInfo(name, elemType, dims));
  }

  /** Adds a float32 constant (weights) and returns its name. */
  floats(name: string, data: Float32Array, dims: number[]): string {
    this.initializers.push({
      name,
      dataType: ElemType.FLOAT,
      dims,
      rawData: new Uint8Array(data.buffer.slice(data.byteOffset, data.byteOffset + data.byteLength)),
    });
    return name;
  }

  /** Adds an int64 constant and returns its name. */
  int64s(name: string, data: number[], dims: number[]): string {
    this.initializers.push({ name, dataType: ElemType.INT64, dims, int64Data: data });
    return name;
  }

  /** Adds a node; returns the name of its (single, or first) output. */
  node(opType: string, inputs: string[], attrs: Record<string, AttrValue> = {}, output?: string): string {
    const out = output ?? `${opType.toLowerCase()}_${this.counter++}`;
    this.nodes.push({
      opType,
      input: inputs,
      output: [out],
      name: `${opType}_${this.counter++}`,
      attribute: Object.entries(attrs).map(([k, v]) => attr(k, v)),
    });
    return out;
  }

  /** x W + b with W stored inDim x outDim (Gemm, transB = 0). */
  dense(x: string, prefix: string, w: Float32Array, b: Float32Array, inDim: number, outDim: number, output?: string): string {
    return this.node('Gemm', [x, this.floats(`${prefix}.w`, w, [inDim, outDim]), this.floats(`${prefix}.b`, b, [outDim])], {}, output);
  }

  /** Serializes the model (IR 7, opset 13) with string metadata. */
  build(metadata: Record<string, string> = {}): Uint8Array {
    const model = onnx.ModelProto.create({
      irVersion: 7,
      producerName: 'frec-streamrec',
      producerVersion: '0.1.0',
      opsetImport: [{ domain: '', version: OPSET }],
      metadataProps: Object.entries(metadata).map(([key, value]) => ({ key, value })),
      graph: { name: this.name, node: this.nodes, initializer: this.initializers, input: this.inputs, output: this.outputs },
    });
    return onnx.ModelProto.encode(model).finish();
  }
}

function valueInfo(name: string, elemType: number, dims: Dim[]): OnnxProto.onnx.IValueInfoProto {
  return {
    name,
    type: { tensorType: { elemType, shape: { dim: dims.map((d) => (typeof d === 'number' ? { dimValue: d } : { dimParam: d })) } } },
  };
}

function attr(name: string, v: AttrValue): OnnxProto.onnx.IAttributeProto {
  const T = onnx.AttributeProto.AttributeType;
  if (typeof v === 'string') return { name, type: T.STRING, s: new TextEncoder().encode(v) };
  if (Array.isArray(v)) return { name, type: T.INTS, ints: v };
  return Number.isInteger(v) ? { name, type: T.INT, i: v } : { name, type: T.FLOAT, f: v };
}

/** Decodes a serialized model (for tests and tooling). */
export function decodeModel(bytes: Uint8Array): OnnxProto.onnx.ModelProto {
  return onnx.ModelProto.decode(bytes);
}
