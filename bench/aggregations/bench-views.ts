/** The aggregations benches' declarations: one tiled view of 12 windowed aggregates and a plain view of the same 12 values. */
import { aggregationFeatureView, buildRepoContents, entity, featureView, field, fileSource, type RepoContents } from '@frec/core';

export const WINDOWS = ['1d', '7d', '30d'] as const;
export const FEATURES = ['count', 'rating_sum', 'rating_mean', 'rating_max'].flatMap((p) => WINDOWS.map((w) => `${p}_${w}`));

export function benchViews() {
  const user = entity({ name: 'user', joinKey: 'user_id', valueType: 'int64' });
  const events = fileSource({ name: 'events', path: 'data/events/*.parquet', timestampField: 'ts' });
  const agg = aggregationFeatureView({
    name: 'user_agg',
    entities: [user],
    source: events,
    tileSize: '1h',
    aggregations: [
      { function: 'count', windows: WINDOWS },
      { column: 'rating', function: 'sum', windows: WINDOWS },
      { column: 'rating', function: 'mean', windows: WINDOWS },
      { column: 'rating', function: 'max', windows: WINDOWS },
    ],
  });
  const pre = fileSource({ name: 'precomputed', path: 'data/precomputed/*.parquet', timestampField: 'ts' });
  const plain = featureView({ name: 'user_pre', entities: [user], source: pre, schema: agg.featureNames.map((n) => field(n, 'float64')) });
  const contents: RepoContents = buildRepoContents([user, events, agg, pre, plain].map((object) => ({ object })));
  return { agg, contents };
}
