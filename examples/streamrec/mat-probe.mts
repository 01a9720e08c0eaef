import { FeatureStore } from '@frec/core';
import '@frec/online'; import '@frec/offline';
const store = await FeatureStore.open({ repoPath: '/tmp/agg-mat/repo' });
await store.apply();
for (const v of ['user_rating_aggs', 'item_rating_aggs', 'item_tag_aggs', 'user_recent']) {
  const t0 = performance.now();
  let last = 0; const r = await store.materialize(new Date(0), new Date(), { views: [v], onProgress: (p) => { if (performance.now() - last > 10000) { last = performance.now(); console.log(JSON.stringify(p)); } } });
  console.log(v, r.rows, ((performance.now() - t0) / 1000).toFixed(1), 's');
}
const t1 = performance.now();
const res = await store.getOnlineFeatures({ features: ['user_stats:n_ratings', 'user_stats:genre_affinity', 'user_stats:days_active', 'item_stats:pop_30d', 'item_tags:tag_vector'], entityRows: [{ user_id: 1, item_id: 1 }] });
console.log(JSON.stringify(res.toRows()[0]).slice(0, 400), (performance.now() - t1).toFixed(1), 'ms');
await store.close();
