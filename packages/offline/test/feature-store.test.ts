import path from 'node:path';
import { writeFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import {
  buildRepoContents,
  entity,
  featureService,
  featureView,
  field,
  fileSource,
  Float64,
  FeatureStore,
  Int64,
  onDemandFeatureView,
} from '@frec/core';
import { applyPlanToRegistry, emptyRegistry } from '@frec/core/spi';
import { tempRepo } from './helpers.js';

describe('FeatureStore.getHistoricalFeatures over the DuckDB offline store', () => {
  it('resolves a feature service from the registry, runs an entity SQL query over a registered source, and applies on-demand views', async () => {
    await using repo = await tempRepo();
    await repo.sql(
      `COPY (SELECT (i % 10) AS user_id, TIMESTAMP '2024-01-01' + to_hours(i) AS ts, (i % 5)::DOUBLE AS rating FROM range(200) r(i)) TO '${repo.dir}/ratings.parquet' (FORMAT parquet)`,
    );
    writeFileSync(
      path.join(repo.dir, 'feature_store.yaml'),
      "project: e2e\nplugins: ['@frec/online', '@frec/offline', '@frec/streaming/redis-streams']\nregistry: data/registry.json\noffline_store:\n  type: duckdb\n  temp_directory: .spill2\n",
    );
    const user = entity({ name: 'user', joinKey: 'user_id', valueType: Int64 });
    const ratings = fileSource({ name: 'ratings', path: 'ratings.parquet', timestampField: 'ts' });
    const last = featureView({ name: 'last_rating', entities: [user], source: ratings, ttl: '1d', schema: [field('rating', Float64)] });
    const doubled = onDemandFeatureView({
      name: 'doubled',
      sources: [last],
      schema: [field('rating2', Float64)],
      transform: (r) => ({ rating2: r.rating === null ? null : (r.rating as number) * 2 }),
    });
    const svc = featureService({ name: 'training', features: [last, doubled] });
    const contents = buildRepoContents([user, ratings, last, doubled, svc].map((object) => ({ object })));
    const store = await FeatureStore.open({ repoPath: repo.dir, definitions: contents });
    try {
      await store.registry.commit(applyPlanToRegistry(contents, emptyRegistry('e2e')), null);
      const job = await store.getHistoricalFeatures({
        featureService: 'training',
        entities: {
          sql: `SELECT user_id, ts + INTERVAL 30 MINUTE AS event_timestamp, rating AS label FROM ratings WHERE user_id = 3 ORDER BY ts`,
        },
      });
      const rows = await job.toRows();
      expect(rows).toHaveLength(20);
      // Each entity row is 30 minutes after its own rating, so the join finds exactly that rating.
      for (const r of rows) expect([r.rating, r.rating2]).toEqual([r.label, (r.label as number) * 2]);
      expect(job.metadata.features).toEqual(['rating', 'rating2']);
    } finally {
      await store.close();
    }
  });
});
