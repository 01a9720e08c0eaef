import { seededRandom } from '@frec/core/spi';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import {
  Float32,
  Float64,
  Int64,
  String as Str,
  buildRepoContents,
  entity,
  featureView,
  field,
  fileSource,
  parseRepoConfig,
  FeatureStore,
  type StoreSection,
} from '@frec/core';
import '@frec/online';

/** 20 numeric features: half float32, half float64, the shape of a ranking feature vector. */
export function twentyFeatures() {
  return Array.from({ length: 20 }, (_, i) => field(`f${i}`, i % 2 === 0 ? Float32 : Float64));
}

/** Definitions of both benchmark shapes: 3 user views (shape a) and 1 item view (shape b), 20 features each. */
export function benchDefinitions() {
  const user = entity({ name: 'user', joinKey: 'user_id', valueType: Int64 });
  const item = entity({ name: 'item', joinKey: 'item_id', valueType: Str });
  const src = fileSource({ name: 'events', path: 'data/events.parquet', timestampField: 'event_timestamp' });
  const userViews = [0, 1, 2].map((v) => featureView({ name: `user_v${v}`, entities: [user], source: src, schema: twentyFeatures() }));
  const itemView = featureView({ name: 'item_v', entities: [item], source: src, schema: twentyFeatures() });
  return { objects: [user, item, src, ...userViews, itemView], userViews, itemView };
}

export const seeded = seededRandom;

/** A FeatureStore on a temp repo with the bench definitions applied to `online`. */
export async function openBenchStore(online: StoreSection): Promise<{ store: FeatureStore; close(): Promise<void> }> {
  const dir = mkdtempSync(path.join(tmpdir(), 'frec-bench-'));
  const yaml =
    "project: bench\nplugins: ['@frec/online', '@frec/offline', '@frec/streaming/redis-streams']\nregistry: { path: data/registry.json, cache_ttl_seconds: 3600 }\n";
  const config = { ...parseRepoConfig(yaml, { file: path.join(dir, 'feature_store.yaml'), repoPath: dir }), online_store: online };
  const definitions = buildRepoContents(benchDefinitions().objects.map((object) => ({ object })));
  const store = await FeatureStore.open({ config, definitions });
  await store.apply(definitions, { validateSources: false });
  return {
    store,
    close: async () => {
      await store.teardown().catch(() => undefined);
      await store.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Percentile of a sorted sample. */
export function pct(sorted: readonly number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

/** Latencies (sorted, ms) and process CPU time per call (µs) of one contender. */
export interface Timing {
  lat: number[];
  cpuUs: number;
}

/**
 * Times several contenders in interleaved blocks (so drift on a shared machine hits all alike).
 * CPU time per call is measured too: on a loaded machine it shows a contender's own cost better
 * than wall time, which also counts waiting for a core.
 */
export async function timeInterleaved(
  contenders: Record<string, () => Promise<unknown>>,
  iterations: number,
  block = 50,
): Promise<Record<string, Timing>> {
  const out: Record<string, Timing> = {};
  const cpu: Record<string, number> = {};
  for (const name of Object.keys(contenders)) {
    out[name] = { lat: [], cpuUs: 0 };
    cpu[name] = 0;
  }
  // Past JIT tiering first: otherwise the first few thousand calls of the larger code path land in its p99.
  for (const fn of Object.values(contenders)) {
    const end = performance.now() + 1000;
    for (let i = 0; i < 200 || performance.now() < end; i++) await fn();
  }
  for (let done = 0; done < iterations; done += block) {
    for (const [name, fn] of Object.entries(contenders)) {
      const c0 = process.cpuUsage();
      for (let i = 0; i < block; i++) {
        const t0 = performance.now();
        await fn();
        out[name]!.lat.push(performance.now() - t0);
      }
      const c = process.cpuUsage(c0);
      cpu[name]! += c.user + c.system;
    }
  }
  for (const [name, t] of Object.entries(out)) {
    t.lat.sort((a, b) => a - b);
    t.cpuUs = cpu[name]! / t.lat.length;
  }
  return out;
}
