/** Files of a new repo made by `frec init`: a driver-stats example in the spirit of Feast's. */
export function templateFiles(project: string): Record<string, string> {
  return {
    'package.json': `${JSON.stringify({ name: project, private: true, type: 'module' }, null, 2)}\n`,
    'feature_store.yaml': `project: ${project}
# Local registry file; use s3://bucket/key for a shared one.
registry: data/registry.json
provider: local
# The packages that provide the stores below; they register themselves when loaded.
plugins: ['@frec/online', '@frec/offline']
# Embedded defaults: SQLite online store and DuckDB over Parquet. For Redis:
# online_store:
#   type: redis
#   connection_string: \${REDIS_URL:-redis://127.0.0.1:6379}
online_store:
  type: sqlite
  path: data/online.db
offline_store:
  type: duckdb
`,
    'features.ts': `import {
  entity, field, fileSource, featureView, onDemandFeatureView, featureService, requestSource,
  Int64, Float32, Float64,
} from '@frec/core';

export const driver = entity({ name: 'driver', joinKey: 'driver_id', valueType: Int64, description: 'A driver' });

export const driverStatsSource = fileSource({
  name: 'driver_hourly_stats_source',
  path: 'data/driver_stats.parquet',
  timestampField: 'event_timestamp',
  createdTimestampColumn: 'created',
});

export const driverHourlyStats = featureView({
  name: 'driver_hourly_stats',
  entities: [driver],
  ttl: '1d',
  source: driverStatsSource,
  schema: [field('conv_rate', Float32), field('acc_rate', Float32), field('avg_daily_trips', Int64)],
  online: true,
  tags: { team: 'driver_performance' },
});

export const inputRequest = requestSource({ name: 'vals_to_add', schema: [field('val_to_add', Int64), field('val_to_add_2', Int64)] });

export const transformedConvRate = onDemandFeatureView({
  name: 'transformed_conv_rate',
  sources: [driverHourlyStats, inputRequest],
  schema: [field('conv_rate_plus_val1', Float64), field('conv_rate_plus_val2', Float64)],
  transform: (row) => ({
    conv_rate_plus_val1: (row.conv_rate as number) + (row.val_to_add as number),
    conv_rate_plus_val2: (row.conv_rate as number) + (row.val_to_add_2 as number),
  }),
});

export const driverActivity = featureService({
  name: 'driver_activity_v1',
  features: [driverHourlyStats.select(['conv_rate', 'acc_rate']), transformedConvRate],
});
`,
  };
}

/** SQL that writes the example's Parquet data: 5 drivers, hourly rows for the last 7 days, deterministic values. */
export function templateDataSql(parquetPath: string, now: Date): string {
  const end = now.toISOString();
  return `COPY (
    SELECT d AS driver_id,
      ts AS event_timestamp,
      ts + INTERVAL 1 MINUTE AS created,
      CAST(((hash(d, ts) % 1000) / 1000.0) AS FLOAT) AS conv_rate,
      CAST(((hash(ts, d) % 1000) / 1000.0) AS FLOAT) AS acc_rate,
      CAST(hash(d * 7, ts) % 100 AS BIGINT) AS avg_daily_trips
    FROM range(1001, 1006) t(d),
      range(TIMESTAMPTZ '${end}' - INTERVAL 7 DAY, TIMESTAMPTZ '${end}', INTERVAL 1 HOUR) s(ts)
    ORDER BY ts, d
  ) TO '${parquetPath.replace(/'/g, "''")}' (FORMAT parquet)`;
}
