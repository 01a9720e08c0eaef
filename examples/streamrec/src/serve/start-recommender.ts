import { createRecommendServer, type RecommendRequest, type RecommendResponse } from '../recommender/index.js';
import { buildStreamRec, type StreamRec, type StreamRecOptions } from './streamrec-recommender.js';

/** Options of startRecommender: the StreamRec options plus where to listen. */
export interface StartRecommenderOptions extends StreamRecOptions {
  /** Default 127.0.0.1. */
  host?: string;
  /** Default 0: a free port. */
  port?: number;
}

/** A running StreamRec recommendation server. */
export interface RunningRecommender extends StreamRec {
  /** Base URL, e.g. http://127.0.0.1:8080. */
  url: string;
  /** Answers in process, without HTTP (the SDK call). */
  recommend(request: RecommendRequest): Promise<RecommendResponse>;
}

/**
 * Loads the registered production models and artifacts and starts `POST /recommendations`
 * (plus `GET /metrics` and `GET /health`).
 * @example
 * const rec = await startRecommender({ port: 8080 });
 * const res = await recommend(rec.url, { userId: 42, count: 10 });
 * await rec.close();
 */
export async function startRecommender(options: StartRecommenderOptions = {}): Promise<RunningRecommender> {
  const streamrec = await buildStreamRec(options);
  const app = createRecommendServer({ recommender: streamrec.recommender });
  let url: string;
  try {
    url = await app.listen({ host: options.host ?? '127.0.0.1', port: options.port ?? 0 });
  } catch (err) {
    await streamrec.close();
    throw err;
  }
  return {
    ...streamrec,
    url,
    recommend: (request) => streamrec.recommender.recommend(request),
    close: async () => {
      await app.close();
      await streamrec.shadow?.drain();
      await streamrec.close();
    },
  };
}

/**
 * The SDK call: asks a recommender for items, over HTTP when given its URL, or in process when
 * given a running recommender.
 */
export async function recommend(
  target: string | Pick<RunningRecommender, 'recommend'>,
  request: RecommendRequest,
): Promise<RecommendResponse> {
  if (typeof target !== 'string') return target.recommend(request);
  const res = await fetch(`${target.replace(/\/+$/, '')}/recommendations`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(request),
  });
  const body = (await res.json()) as RecommendResponse | { error: { message: string } };
  if (!res.ok) throw new Error(`recommendation request failed (${res.status}): ${(body as { error: { message: string } }).error.message}`);
  return body as RecommendResponse;
}
