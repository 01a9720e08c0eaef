import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { DuckDBInstance } from '@duckdb/node-api';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { FeatureStore } from '@frec/core';
import '../src/index.js';

const run = promisify(execFile);
const FREC = path.resolve(import.meta.dirname, '../../../node_modules/.bin/frec');

/** Latest row per driver from the example's Parquet file, as DuckDB computes it. */
async function latestRows(parquet: string): Promise<Array<Record<string, unknown>>> {
  const db = await DuckDBInstance.create(':memory:');
  const conn = await db.connect();
  try {
    const reader = await conn.runAndReadAll(
      `SELECT driver_id, epoch_ms(event_timestamp) AS event_timestamp, epoch_ms(created) AS created, conv_rate, acc_rate, avg_daily_trips
       FROM read_parquet('${parquet}') ORDER BY event_timestamp`,
    );
    return reader.getRowObjectsJS() as Array<Record<string, unknown>>;
  } finally {
    conn.closeSync();
    db.closeSync();
  }
}

describe('the embedded default (SQLite) serves the `frec init` repo with no Redis', () => {
  let dir: string;
  let repo: string;
  let store: FeatureStore;
  beforeAll(async () => {
    dir = mkdtempSync(path.join(tmpdir(), 'frec-init-'));
    await run(FREC, ['-c', dir, 'init', 'demo'], { env: { ...process.env, REDIS_URL: 'redis://127.0.0.1:1' } });
    repo = path.join(dir, 'demo');
    await run(FREC, ['-c', repo, 'apply', '--skip-source-validation'], { env: process.env });
    store = await FeatureStore.open({ repoPath: repo });
  }, 60_000);
  afterAll(async () => {
    await store?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  test('materialized rows are served with on-demand features through the feature service', async () => {
    expect(store.config.online_store.type).toBe('sqlite');
    const rows = await latestRows(path.join(repo, 'data', 'driver_stats.parquet'));
    // Hourly rows written oldest first: the conditional write keeps the newest per driver; rewriting old ones is skipped.
    const res = await store.writeToOnlineStore('driver_hourly_stats', rows);
    expect(res.written).toBe(rows.length);
    expect(existsSync(path.join(repo, 'data', 'online.db'))).toBe(true);
    const again = await store.writeToOnlineStore('driver_hourly_stats', rows.slice(0, 10));
    expect(again.skippedOlder).toBe(10);

    const latest = new Map<number, Record<string, unknown>>();
    for (const r of rows) latest.set(Number(r.driver_id), r);
    const online = await store.getOnlineFeatures({
      featureService: 'driver_activity_v1',
      entityRows: [{ driver_id: 1001 }, { driver_id: 1005 }, { driver_id: 9999 }],
      requestData: { val_to_add: 1, val_to_add_2: 2 },
    });
    expect(online.featureNames).toEqual(['driver_id', 'conv_rate', 'acc_rate', 'conv_rate_plus_val1', 'conv_rate_plus_val2']);
    const out = online.toRows();
    for (const [i, id] of [1001, 1005].entries()) {
      const want = latest.get(id)!;
      expect(out[i]!.conv_rate).toBeCloseTo(Number(want.conv_rate), 6);
      expect(out[i]!.acc_rate).toBeCloseTo(Number(want.acc_rate), 6);
      expect(out[i]!.conv_rate_plus_val1).toBeCloseTo(Number(want.conv_rate) + 1, 6);
      expect(out[i]!.conv_rate_plus_val2).toBeCloseTo(Number(want.conv_rate) + 2, 6);
      expect(online.eventTimestamps[1]![i]).toBe(Number(want.event_timestamp));
    }
    expect(online.statuses[1]).toEqual(['PRESENT', 'PRESENT', 'NOT_FOUND']);
  });
});
