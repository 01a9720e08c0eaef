/**
 * One StreamRec recommender process for the capacity runs: the registered models, user features
 * read per request through getOnlineFeatures from Redis (standalone or cluster), behind the real
 * HTTP server (createRecommendServer). Prints one JSON line with its URL once listening.
 *
 * Env: CAPACITY_REDIS (connection string: one URL, or comma-separated cluster seeds),
 * CAPACITY_CLUSTER=1 for a Redis Cluster, CAPACITY_KEY_PREFIX (shared by the processes of one run),
 * CAPACITY_SEED=1 to write every user's rows first (one process per run does).
 */
import path from 'node:path';
import { createRecommendServer } from '../../examples/streamrec/src/recommender/index.js';
import { FEATURE_REPO, buildStreamRec } from '../../examples/streamrec/src/serve/streamrec-recommender.js';
import { onlineUserFeatures } from '../../examples/streamrec/src/serve/online-user-features.js';

const online = await onlineUserFeatures({
  type: 'redis',
  connection_string: process.env.CAPACITY_REDIS ?? 'redis://127.0.0.1:6379',
  cluster: process.env.CAPACITY_CLUSTER === '1',
  key_prefix: process.env.CAPACITY_KEY_PREFIX ?? 'frec-capacity:',
  connect_timeout_ms: 2000,
  // Generous: the machine is shared and the run measures throughput, not the timeout path.
  command_timeout_ms: 1000,
} as never);
const repo = process.env.STREAMREC_REPO ?? FEATURE_REPO;
const sr = await buildStreamRec({
  features: online.source,
  repoPath: repo,
  modelRegistry: path.join(repo, 'data/models'),
  indexDir: path.join(repo, 'data/ann'),
  log: (l) => console.error(l),
});
const seeded = process.env.CAPACITY_SEED === '1' ? await online.seed(sr.snapshot) : 0;
const app = createRecommendServer({ recommender: sr.recommender });
const url = await app.listen({ host: '127.0.0.1', port: 0 });
console.log(
  JSON.stringify({
    url,
    pid: process.pid,
    users: sr.snapshot.histories.size,
    seededRows: seeded,
    ranker: `${sr.models.ranker?.kind ?? 'retrieval'} ${sr.models.ranker?.version ?? 'retrieval-score'}`,
    twoTower: sr.models.twoTower?.version ?? 'svd',
  }),
);
const stop = async (): Promise<void> => {
  await app.close();
  await online.close();
  await sr.close();
  process.exit(0);
};
process.on('SIGTERM', () => void stop());
process.on('SIGINT', () => void stop());
