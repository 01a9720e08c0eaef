/**
 * Why partitions (ADR 0090): two workers in one consumer group on one unpartitioned stream get
 * events of the same entity in their batches at once, so their compare-and-set saves collide and
 * the losers' events wait for a claim, and a claimed event older than an entity's 64 newest applied
 * ones is taken for a replay and dropped (ADR 0030); on a partitioned source they never collide.
 * Counts, not timings: conflicting saves, events delivered (again), and events that reached the states.
 *   npx tsx bench/stream/shared-group-conflicts.ts [events=4000] [users=50]
 */
import { randomUUID } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Redis } from 'ioredis';
import {
  buildRepoContents,
  count,
  createStreamBroker,
  entity,
  FeatureStore,
  fileSource,
  lastN,
  loadRepoConfig,
  StreamWorker,
  streamFeatureView,
  streamSource,
} from '@frec/core';
import { groupLag, groupOf, seededRandom } from '@frec/core/spi';
import { deleteKeysWithPrefix } from '@frec/online/testing';
import { publishByKey } from '@frec/streaming';

const N = Number(process.argv[2] ?? 4000);
const USERS = Number(process.argv[3] ?? 50);
const URL = process.env.FREC_BENCH_REDIS_URL ?? 'redis://127.0.0.1:6379';
const prefix = `frec-bench-${randomUUID().slice(0, 8)}:`;
const dir = mkdtempSync(path.join(tmpdir(), 'frec-bench-conflicts-'));
const redis = new Redis(URL);

async function run(
  partitions: number,
): Promise<{ conflicts: number; messages: number; batches: number; applied: number; counted: number }> {
  const user = entity({ name: 'user', joinKey: 'user_id', valueType: 'int64' });
  const rows = fileSource({ name: 'rows', path: 'data/rows/**/*.parquet', timestampField: 'ts' });
  const src = streamSource({
    name: `ev_${partitions}`,
    topic: `${prefix}ev-${partitions}`,
    partitions,
    timestampField: 'ts',
    batchSource: rows,
  });
  const view = streamFeatureView({
    name: `act_${partitions}`,
    entities: [user],
    source: src,
    ttl: '30d',
    offline: false,
    aggregations: [lastN('item_id', 5, { type: 'int64', name: 'last_items' }), count({ window: '1h' })],
  });
  const contents = buildRepoContents([user, rows, src, view].map((object) => ({ object })));
  const store = await FeatureStore.open({ config: loadRepoConfig(dir), definitions: contents });
  await store.apply(contents, { validateSources: false });
  const broker = await createStreamBroker(store.config);
  const r = seededRandom(3);
  const t0 = Date.now() - 86_400_000;
  const events = Array.from({ length: N }, (_, i) => ({ user_id: 1 + Math.floor(r() * USERS), item_id: i, ts: t0 + i }));
  let conflicts = 0;
  let batches = 0;
  const workers = ['a', 'b'].map(
    (consumer) =>
      new StreamWorker(store, broker, [view.spec], {
        consumer,
        batchSize: 50,
        blockMs: 20,
        claimIdleMs: 200,
        leaseMs: 600,
        onBatch: (b) => {
          conflicts += b.conflicts;
          batches++;
        },
      }),
  );
  const runs = workers.map((w) => w.run());
  if (partitions > 1)
    while (workers.some((w) => w.ownedPartitions(view.name).length !== partitions / 2)) await new Promise((res) => setTimeout(res, 50));
  await publishByKey(broker, view.spec, events);
  // Done when the group has acknowledged everything (a dropped event is acknowledged too, so this ends).
  for (;;) {
    const lag = await groupLag(broker, src.spec.topic, groupOf(store.project, view.spec), partitions);
    if (lag.pending === 0 && lag.undelivered === 0) break;
    await new Promise((res) => setTimeout(res, 50));
  }
  const states = await broker.stateStore(store.project).load(
    view.name,
    Array.from({ length: USERS }, (_, i) => String(i + 1)),
  );
  const counted = states.reduce((n, s) => n + (s?.state.applied ?? 0), 0);
  for (const w of workers) w.stop();
  await Promise.all(runs);
  for (const w of workers) await w.close();
  const messages = workers.reduce((n, w) => n + w.totals.messages, 0);
  const applied = workers.reduce((n, w) => n + w.totals.applied, 0);
  await broker.close();
  await store.close();
  return { conflicts, messages, batches, applied, counted };
}

try {
  mkdirSync(path.join(dir, 'data'), { recursive: true });
  writeFileSync(
    path.join(dir, 'feature_store.yaml'),
    `project: conflicts\nplugins: ['@frec/online', '@frec/offline', '@frec/streaming/redis-streams']\nregistry:\n  path: data/registry.json\n  cache_ttl_seconds: 0\nonline_store:\n  type: redis\n  connection_string: ${URL}\n  key_prefix: "${prefix}"\n`,
  );
  const shared = await run(1);
  const parted = await run(4);
  console.log(`${N} events, ${USERS} users, 2 workers, batches of 50`);
  console.log('| | conflicting entity saves | events delivered | of which again | batches | events in the states (of N) |');
  console.log('|---|---|---|---|---|---|');
  for (const [name, x] of [
    ['one stream, shared group', shared],
    ['4 partitions, leases', parted],
  ] as const)
    console.log(`| ${name} | ${x.conflicts} | ${x.messages} | ${x.messages - N} | ${x.batches} | ${x.counted} |`);
} finally {
  await deleteKeysWithPrefix(redis, prefix);
  await deleteKeysWithPrefix(redis, `{${prefix}`);
  redis.disconnect();
  rmSync(dir, { recursive: true, force: true });
}
