import Fastify from 'fastify';
import { randomUUID } from 'node:crypto';
import { createRecommendServer, type RecommendResponse } from '../../examples/streamrec/src/recommender/index.js';
import path from 'node:path';
import { FEATURE_REPO, buildStreamRec } from '../../examples/streamrec/src/serve/streamrec-recommender.js';
import { onlineUserFeatures } from '../../examples/streamrec/src/serve/online-user-features.js';

/**
 * The server side of the load benchmark, in its own process so the load generator does not
 * share its event loop: StreamRec with the registered models and user features from Redis, plus
 * a raw fastify baseline answering a fixed list. Prints one JSON line with both URLs.
 */
const redisUrl = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const keyPrefix = `frec-bench-${randomUUID()}:`;
const online = await onlineUserFeatures({
  type: 'redis',
  connection_string: redisUrl,
  key_prefix: keyPrefix,
  connect_timeout_ms: 1000,
  command_timeout_ms: 500,
} as never);
// STREAMREC_REPO: a feature repo with trained models (default: feature_repo, filled by `npm run train`).
const repo = process.env.STREAMREC_REPO ?? FEATURE_REPO;
// STREAMREC_FEATURES=memory serves user features from memory, to separate our cost from Redis'.
const memory = process.env.STREAMREC_FEATURES === 'memory';
const sr = await buildStreamRec({
  features: memory ? { kind: 'memory' } : online.source,
  repoPath: repo,
  modelRegistry: path.join(repo, 'data/models'),
  indexDir: path.join(repo, 'data/ann'),
  shadowSampleRate: 0.1,
  log: (l) => console.error(l),
});
await online.seed(sr.snapshot);

const stages = new Map<string, number[]>();
const inner = sr.recommender.recommend.bind(sr.recommender);
sr.recommender.recommend = async (req) => {
  const res: RecommendResponse = await inner(req);
  for (const [k, v] of Object.entries(res.timingsMs)) {
    let a = stages.get(k);
    if (!a) stages.set(k, (a = []));
    a.push(v);
  }
  const lvl = `level_${res.degradationLevel}`;
  stages.set(lvl, [...(stages.get(lvl) ?? []), 1]);
  return res;
};
const app = createRecommendServer({ recommender: sr.recommender });
app.get('/bench/stages', async () => Object.fromEntries(stages));
app.post('/bench/reset', async () => {
  stages.clear();
  return { ok: true };
});
// Service time without HTTP or queueing: sequential calls in this process.
app.get('/bench/inprocess', async (req) => {
  const n = Number((req.query as { n?: string }).n ?? 200);
  const times: number[] = [];
  for (let i = 0; i < n; i++) {
    const t = performance.now();
    await inner({ userId: 1 + ((i * 7919) % 610), count: 20 });
    times.push(performance.now() - t);
  }
  times.sort((a, b) => a - b);
  const q = (x: number) => times[Math.min(n - 1, Math.floor(x * n))]!;
  return { n, mean: times.reduce((a, b) => a + b, 0) / n, p50: q(0.5), p95: q(0.95), p99: q(0.99) };
});
const url = await app.listen({ host: '127.0.0.1', port: 0 });

const fixed = JSON.stringify({ userId: 1, items: sr.recommender ? (await inner({ userId: 1 })).items : [], degradationLevel: 'FULL' });
const base = Fastify();
base.post('/recommendations', async (_req, reply) => reply.header('content-type', 'application/json').send(fixed));
const baseUrl = await base.listen({ host: '127.0.0.1', port: 0 });

console.log(
  JSON.stringify({
    url,
    baseUrl,
    keyPrefix,
    ranker: `${sr.models.ranker?.kind ?? 'retrieval'} ${sr.models.ranker?.version ?? 'retrieval-score'}`,
    twoTower: sr.models.twoTower?.version ?? 'svd',
    shadow: sr.shadow?.version ?? 'none',
    notes: sr.models.notes,
  }),
);
const stop = async () => {
  await app.close();
  await base.close();
  await online.store.teardown().catch(() => undefined);
  await online.close();
  await sr.close();
  process.exit(0);
};
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
