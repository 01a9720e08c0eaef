import path from 'node:path';
import { openModelRegistry } from '@frec/model-registry';
import { ShadowScorer } from '@frec/model-serving/shadow';
import { createRecommendServer } from '../../examples/streamrec/src/recommender/index.js';
import { loadProductionModels, loadRanker } from '../../examples/streamrec/src/serve/load-models.js';
import { FEATURE_REPO, buildStreamRec } from '../../examples/streamrec/src/serve/streamrec-recommender.js';

/**
 * The server side of the shadow-overhead benchmark: StreamRec with the registered models and
 * memory features, and a shadow scorer whose candidate is a second, separately loaded copy of the
 * production ranker (so the shadow does the same work a real candidate would). POST
 * /bench/shadow {"rate": x} sets the shadow's sample rate while serving. Prints one JSON line.
 */
const repo = process.env.STREAMREC_REPO ?? FEATURE_REPO;
const registry = path.join(repo, 'data/models');
const models = await loadProductionModels({ registry });
const reg = openModelRegistry(registry);
const manifest = models.manifests?.ranker;
const candidate = manifest ? await loadRanker(reg, manifest) : undefined;
const sr = await buildStreamRec({
  models,
  features: { kind: 'memory' },
  repoPath: repo,
  indexDir: path.join(repo, 'data/ann'),
  log: (l) => console.error(l),
});
const shadow = candidate ? new ShadowScorer({ ranker: candidate, sampleRate: 0 }, sr.metrics) : undefined;
sr.recommender.setShadow(shadow);
const app = createRecommendServer({ recommender: sr.recommender });
app.post('/bench/shadow', async (req) => {
  if (shadow) shadow.sampleRate = Number((req.body as { rate?: number }).rate ?? 0);
  return { rate: shadow?.sampleRate ?? 0, requests: shadow?.snapshot().requests ?? 0 };
});
// Service time without HTTP or queueing: sequential requests, the shadow's background work drained
// before the clock stops, so its whole CPU cost is in the mean.
app.get('/bench/inprocess', async (req) => {
  const q = req.query as { n?: string; rate?: string };
  const n = Number(q.n ?? 300);
  if (shadow) shadow.sampleRate = Number(q.rate ?? 0);
  const times: number[] = [];
  const t0 = performance.now();
  for (let i = 0; i < n; i++) {
    const t = performance.now();
    await sr.recommender.recommend({ userId: 1 + ((i * 7919) % 610), count: 20, context: { device: 'tv' } });
    times.push(performance.now() - t);
  }
  await shadow?.drain();
  const wall = performance.now() - t0;
  if (shadow) shadow.sampleRate = 0;
  times.sort((a, b) => a - b);
  return { n, meanWithShadowMs: wall / n, p50: times[Math.floor(n / 2)]!, p95: times[Math.floor(n * 0.95)]! };
});
const url = await app.listen({ host: '127.0.0.1', port: 0 });
console.log(
  JSON.stringify({
    url,
    ranker: `${models.ranker?.kind ?? 'none'} ${models.ranker?.version ?? ''}`,
    shadow: candidate?.version ?? 'none',
    notes: models.notes,
  }),
);
const stop = async () => {
  await app.close();
  await sr.close();
  await candidate?.close();
  process.exit(0);
};
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
