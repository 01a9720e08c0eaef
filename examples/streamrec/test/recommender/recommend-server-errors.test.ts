import { describe, expect, it } from 'vitest';
import { RetrievalScoreRanker } from '@frec/model-serving/ranking';
import { Recommender } from '../../src/recommender/recommender.js';
import { createRecommendServer } from '../../src/recommender/server/recommend-server.js';
import type { RetrievalSource } from '../../src/recommender/sources/retrieval-source.js';
import { recommenderOptions, syntheticWorld } from './helpers/fixture.js';

// What an internal failure message may hold: addresses, credentials, paths. None of it may reach a client.
const SECRET = 'connect ECONNREFUSED redis://admin:hunter2@10.1.2.3:6379 (/srv/streamrec/state.db)';
const world = syntheticWorld(11);
const empty: RetrievalSource = { name: 'empty', retrieve: async () => [] };

/** A recommender whose popular list fails `failures` times, then answers. */
function failingPopular(failures: number, reported: unknown[]): Recommender {
  let left = failures;
  return new Recommender(
    recommenderOptions(world, new RetrievalScoreRanker(), {
      // No candidates: every request falls through to the popular list.
      sources: [{ source: empty, k: 10 }],
      popular: (_u, n) => {
        if (left-- > 0) throw new Error(SECRET);
        return world.trending.list().slice(0, n);
      },
      onInternalError: (err) => reported.push(err),
    }),
  );
}

describe('internal errors never reach a response', () => {
  it('POST /recommendations answers a generic INTERNAL 500 and reports the real error to the server side', async () => {
    const reported: unknown[] = [];
    const serverSide: unknown[] = [];
    const app = createRecommendServer({ recommender: failingPopular(2, reported), onInternalError: (err) => serverSide.push(err) });
    try {
      const url = await app.listen({ host: '127.0.0.1', port: 0 });
      const res = await fetch(`${url}/recommendations`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ userId: 3 }),
      });
      const text = await res.text();
      expect(res.status).toBe(500);
      expect(JSON.parse(text).error).toEqual({
        code: 'INTERNAL',
        message: 'Internal error while answering the request; see the server log.',
        where: {},
      });
      for (const part of ['hunter2', '10.1.2.3', '/srv/streamrec', 'ECONNREFUSED']) expect(text).not.toContain(part);
      expect(serverSide.map((e) => (e as Error).message)).toEqual([SECRET]);
      expect(reported.map((e) => (e as Error).message)).toEqual([SECRET]);
      // Client mistakes still say what is wrong: bad JSON is a 400 with the parser's message.
      const bad = await fetch(`${url}/recommendations`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: '{"userId":',
      });
      expect(bad.status).toBe(400);
      expect((await bad.json()).error.code).toBe('INVALID_REQUEST');
      expect(serverSide).toHaveLength(1);
    } finally {
      await app.close();
    }
  });

  it('a request that fails outside its stages degrades to POPULAR naming only the reason', async () => {
    const reported: unknown[] = [];
    const res = await failingPopular(1, reported).recommend({ userId: 3, count: 5 });
    expect(res.degradationLevel).toBe('POPULAR');
    expect(res.items).toHaveLength(5);
    expect(res.degraded).toMatchObject({ request: 'error' });
    expect(JSON.stringify(res)).not.toContain('hunter2');
    expect(reported.map((e) => (e as Error).message)).toEqual([SECRET]);
  });
});
