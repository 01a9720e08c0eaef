import type { RankBatch, Ranker } from '../ranker.js';

/** Ranks by the fused retrieval score (input `retrieval_score`): the last-resort ranker, it cannot fail. */
export class RetrievalScoreRanker implements Ranker {
  readonly kind = 'retrieval';
  readonly version = 'retrieval-score';

  async score(batch: RankBatch): Promise<Float32Array> {
    const s = batch.inputs.retrieval_score;
    return s ? Float32Array.from(s.data) : new Float32Array(batch.size);
  }

  async close(): Promise<void> {}
}
