/** A dense float32 tensor in row-major order; the first dimension is the batch. */
export interface FloatTensor {
  data: Float32Array;
  dims: number[];
}

/** One batch of candidates to score: named model inputs, all sharing the batch size `size`. */
export interface RankBatch {
  size: number;
  inputs: Record<string, FloatTensor>;
}

/**
 * A Ranker scores a batch of candidates for one request; the request path depends only on
 * this contract, so the model can run in process (onnx/), on a Triton server (triton/), or
 * as a CPU fallback (simple/).
 */
export interface Ranker {
  /** Implementation kind, for logs and metrics: 'onnx', 'triton', 'logistic', 'retrieval'. */
  readonly kind: string;
  /** The model version these scores come from (reported in every response). */
  readonly version: string;
  /** One score per batch row, in row order; may contain NaN or Infinity, which callers must catch. */
  score(batch: RankBatch, signal?: AbortSignal): Promise<Float32Array>;
  /** Releases sessions and connections. */
  close(): Promise<void>;
}

/** Builds a batch whose single input `name` is the row-wise concatenation [user | item | context]. */
export function concatRankBatch(options: {
  user: ArrayLike<number>;
  items: ReadonlyArray<ArrayLike<number>>;
  context?: ArrayLike<number>;
  inputName?: string;
  /** Retrieval scores, passed as a second input `retrieval_score` for rankers that use them. */
  retrievalScores?: ArrayLike<number>;
}): RankBatch {
  const { user, items } = options;
  const context = options.context ?? [];
  const n = items.length;
  const dItem = n > 0 ? items[0]!.length : 0;
  const d = user.length + dItem + context.length;
  const data = new Float32Array(n * d);
  for (let r = 0; r < n; r++) {
    const base = r * d;
    data.set(user as ArrayLike<number>, base);
    const item = items[r]!;
    // A ragged item row would silently shift every later column, so refuse it.
    if (item.length !== dItem) throw new RangeError(`item row ${r} has ${item.length} features, expected ${dItem}`);
    data.set(item, base + user.length);
    data.set(context as ArrayLike<number>, base + user.length + dItem);
  }
  const inputs: Record<string, FloatTensor> = { [options.inputName ?? 'x']: { data, dims: [n, d] } };
  if (options.retrievalScores) inputs.retrieval_score = { data: Float32Array.from(options.retrievalScores), dims: [n, 1] };
  return { size: n, inputs };
}
