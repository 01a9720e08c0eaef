import type { RankBatch, Ranker } from '../ranker.js';
import { KServeClient, type KServeClientOptions } from './kserve-client.js';

/** Options of the Triton ranker. */
export interface TritonRankerOptions extends KServeClientOptions {
  /** Model name in the Triton model repository. */
  model: string;
  /** Model version directory (default: the server's policy, usually the latest). */
  modelVersion?: string;
  /** Output tensor holding the scores (default 'score'). */
  outputName?: string;
  /** Inputs to send (default: the model's inputs, read once from its metadata). */
  inputNames?: readonly string[];
}

/** Scores candidates on a Triton Inference Server (or any KServe v2 server) over HTTP. */
export class TritonRanker implements Ranker {
  readonly kind = 'triton';
  readonly version: string;
  readonly client: KServeClient;

  constructor(private readonly options: TritonRankerOptions) {
    this.client = new KServeClient(options);
    this.version = `${options.model}@${options.modelVersion ?? 'latest'}`;
  }

  private inputNames: Promise<readonly string[]> | undefined;

  async score(batch: RankBatch, signal?: AbortSignal): Promise<Float32Array> {
    const output = this.options.outputName ?? 'score';
    // A batch may carry extra inputs for other rankers; Triton rejects inputs its model lacks.
    this.inputNames ??= this.options.inputNames
      ? Promise.resolve(this.options.inputNames)
      : this.client.metadata(this.options.model, this.options.modelVersion).then(
          (m) => m.inputs.map((i) => i.name),
          (err) => {
            this.inputNames = undefined;
            throw err;
          },
        );
    const names = await this.inputNames;
    const inputs: RankBatch['inputs'] = {};
    for (const name of names) {
      const t = batch.inputs[name];
      if (!t) throw new Error(`Triton model '${this.options.model}' needs input '${name}', missing from the rank batch`);
      inputs[name] = t;
    }
    const res = await this.client.infer(this.options.model, inputs, [output], { version: this.options.modelVersion, signal });
    const t = res[output];
    if (!t) throw new Error(`Triton model '${this.options.model}' returned no output '${output}'`);
    if (t.data.length !== batch.size)
      throw new Error(`Triton model '${this.options.model}' returned ${t.data.length} scores for ${batch.size} rows`);
    return t.data;
  }

  async close(): Promise<void> {}
}
