import * as ort from 'onnxruntime-node';
import type { FloatTensor, RankBatch, Ranker } from '../ranker.js';

/** Options of the in-process ONNX ranker. */
export interface OnnxRankerOptions {
  /** Path of the .onnx file, or its bytes. */
  model: string | Uint8Array;
  version: string;
  /** Output holding the scores (default: the model's first output). */
  outputName?: string;
  /** Threads per inference; 1 keeps a 2-core box responsive under concurrent requests. */
  intraOpThreads?: number;
}

/** Runs an ONNX ranking model in this process with onnxruntime-node; the default Ranker. */
export class OnnxRanker implements Ranker {
  readonly kind = 'onnx';
  readonly version: string;
  private readonly outputName: string;

  private constructor(
    private readonly session: ort.InferenceSession,
    version: string,
    outputName: string | undefined,
  ) {
    this.version = version;
    this.outputName = outputName ?? session.outputNames[0]!;
  }

  /** Loads the model and creates its session. */
  static async load(options: OnnxRankerOptions): Promise<OnnxRanker> {
    const sessionOptions: ort.InferenceSession.SessionOptions = {
      intraOpNumThreads: options.intraOpThreads ?? 1,
      interOpNumThreads: 1,
      graphOptimizationLevel: 'all',
    };
    const session =
      typeof options.model === 'string'
        ? await ort.InferenceSession.create(options.model, sessionOptions)
        : await ort.InferenceSession.create(options.model, sessionOptions);
    return new OnnxRanker(session, options.version, options.outputName);
  }

  /** The model's input names, for building batches that match it. */
  get inputNames(): readonly string[] {
    return this.session.inputNames;
  }

  async score(batch: RankBatch): Promise<Float32Array> {
    const feeds: Record<string, ort.Tensor> = {};
    for (const name of this.session.inputNames) {
      const t: FloatTensor | undefined = batch.inputs[name];
      if (!t) throw new Error(`ONNX model input '${name}' is missing from the rank batch (has: ${Object.keys(batch.inputs).join(', ')})`);
      feeds[name] = new ort.Tensor('float32', t.data, t.dims);
    }
    const out = await this.session.run(feeds, [this.outputName]);
    const scores = out[this.outputName]!.data;
    return scores instanceof Float32Array ? scores : Float32Array.from(scores as ArrayLike<number>);
  }

  async close(): Promise<void> {
    await this.session.release();
  }
}
