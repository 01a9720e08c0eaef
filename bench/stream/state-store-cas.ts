/**
 * The aggregate state stores' compare-and-set save (ADR 0091): entities saved per second through
 * `AggregateStateStore.save` (load, then a conditional save of every entity, in batches of 200 like
 * a worker's), for the Redis store (one Lua script per batch) and the NATS JetStream KV store (one
 * `update` at the read revision per entity). Next to each, a raw floor in the same run: the same
 * reads and writes without a condition (pipelined HMGET then HSET on Redis; `kv.get` then `kv.put`
 * on NATS), so the ratio is what the compare-and-set costs on that store.
 *   npx tsx bench/stream/state-store-cas.ts [entities=20000] [rounds=3]
 */
import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { Kvm } from '@nats-io/kv';
import { connect } from '@nats-io/transport-node';
import { emptyState, type AggregateStateStore } from '@frec/core/spi';
import { deleteKeysWithPrefix } from '@frec/online/testing';
import { NatsJetStreamBroker, natsJetStreamConfigSchema } from '@frec/streaming/nats-jetstream';
import { RedisStreamsBroker } from '@frec/streaming/redis-streams';

const N = Number(process.argv[2] ?? 20_000);
const ROUNDS = Number(process.argv[3] ?? 3);
const REDIS = process.env.FREC_BENCH_REDIS_URL ?? 'redis://127.0.0.1:6379';
const NATS = process.env.FREC_BENCH_NATS_URL ?? 'nats://127.0.0.1:4222';
const BATCH = 200;
const id = randomUUID().slice(0, 8);
const keys = Array.from({ length: N }, (_, i) => String(i));
// A state of a typical size: 10 last items, 30 window rows, 64 remembered IDs.
const state = {
  ...emptyState(),
  applied: 100,
  lastN: { last_10_items: Array.from({ length: 10 }, (_, i) => [1_700_000_000_000 + i, i, i * 7]) },
  window: Array.from({ length: 30 }, (_, i) => [1_700_000_000_000 + i, i, i / 3]),
  recentIds: Array.from({ length: 64 }, (_, i) => `1700000000000-${i}`),
};
const json = JSON.stringify(state);

/** Entities per second through the store's load + conditional save, ROUNDS times over all entities. */
async function casRate(store: AggregateStateStore, view: string): Promise<number> {
  const t0 = performance.now();
  for (let r = 0; r < ROUNDS; r++) {
    for (let s = 0; s < N; s += BATCH) {
      const part = keys.slice(s, s + BATCH);
      const loaded = await store.load(view, part);
      const ok = await store.save(
        view,
        part.map((key, i) => ({ key, json, expected: loaded[i]?.version ?? 0 })),
      );
      if (ok.some((x) => !x)) throw new Error('a save lost with no other writer');
    }
  }
  return (N * ROUNDS) / ((performance.now() - t0) / 1000);
}

async function timed(f: () => Promise<void>): Promise<number> {
  const t0 = performance.now();
  await f();
  return (N * ROUNDS) / ((performance.now() - t0) / 1000);
}

const redis = new Redis(REDIS);
const prefix = `frec-bench-${id}:`;
const redisBroker = new RedisStreamsBroker({ url: REDIS, keyPrefix: prefix });
const natsOptions = natsJetStreamConfigSchema.parse({
  type: 'nats',
  servers: NATS,
  stream: `FRECBENCH_${id}`,
  subject_prefix: `frecbench-${id}`,
  state_bucket: `frecbench_${id}_state`,
  lease_bucket: `frecbench_${id}_leases`,
});
const natsBroker = await NatsJetStreamBroker.connect(natsOptions);
const nc = await connect({ servers: NATS });
try {
  const redisCas = await casRate(redisBroker.stateStore('bench'), 'v');
  const redisRaw = await timed(async () => {
    for (let r = 0; r < ROUNDS; r++)
      for (let s = 0; s < N; s += BATCH) {
        const part = keys.slice(s, s + BATCH);
        const read = redis.pipeline();
        for (const k of part) read.hmget(`${prefix}raw:${k}`, 'v', 's');
        await read.exec();
        const p = redis.pipeline();
        for (const k of part) p.hset(`${prefix}raw:${k}`, 'v', r + 1, 's', json);
        await p.exec();
      }
  });
  const natsCas = await casRate(natsBroker.stateStore('bench'), 'v');
  const rawKv = await new Kvm(nc).create(`frecbench_${id}_raw`, { history: 1 });
  const natsRaw = await timed(async () => {
    for (let r = 0; r < ROUNDS; r++)
      for (let s = 0; s < N; s += BATCH) {
        const part = keys.slice(s, s + BATCH);
        await Promise.all(part.map((k) => rawKv.get(`raw.${k}`)));
        await Promise.all(part.map((k) => rawKv.put(`raw.${k}`, json)));
      }
  });
  await rawKv.destroy();
  const f = (x: number) => Math.round(x).toLocaleString('en-US');
  console.log(`\nRESULT (${N} entities x ${ROUNDS} rounds, batches of ${BATCH}, state ${json.length} B, node ${process.version})`);
  console.log('| store | frec load + compare-and-set save | raw floor | ratio |');
  console.log('|---|---|---|---|');
  console.log(
    `| Redis (Lua script per batch) | ${f(redisCas)} entities/s | ${f(redisRaw)} /s (HMGET + HSET) | ${(redisCas / redisRaw).toFixed(2)}x |`,
  );
  console.log(
    `| NATS JetStream KV (update at revision) | ${f(natsCas)} entities/s | ${f(natsRaw)} /s (kv.get + kv.put) | ${(natsCas / natsRaw).toFixed(2)}x |`,
  );
} finally {
  await deleteKeysWithPrefix(redis, prefix);
  redis.disconnect();
  await redisBroker.close();
  await natsBroker.destroy();
  await natsBroker.close();
  await nc.close();
}
