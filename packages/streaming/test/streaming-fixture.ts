import { seededRandom } from '@frec/core/spi';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import { DuckDBInstance } from '@duckdb/node-api';
import os from 'node:os';
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
  mean,
  sessionDuration,
  sessionLength,
  streamFeatureView,
  streamSource,
  sum,
  type FeatureViewSpec,
} from '@frec/core';
import { type StreamBroker } from '@frec/core/spi';
import { jetstreamManager } from '@nats-io/jetstream';
import { connect } from '@nats-io/transport-node';
import { streamKeyOf, type RedisStreamsBroker } from '../src/redis-streams/index.js';
import { deadSubjectOf, type NatsJetStreamBroker } from '../src/nats-jetstream/index.js';
import { deleteKeysWithPrefix } from '@frec/online/testing';

export const REDIS_URL = process.env.FREC_TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';
export const NATS_URL = process.env.FREC_TEST_NATS_URL ?? 'nats://127.0.0.1:4222';

/** The broker types every broker-agnostic streaming test runs on. */
export const BROKERS = ['redis', 'nats'] as const;
export type BrokerType = (typeof BROKERS)[number];

/** Options of a test stream repo. */
export interface StreamRepoOptions {
  broker?: BrokerType;
  /** Partitions of the stream source (default 1). */
  partitions?: number;
  /** NATS: redelivery of unacknowledged messages after this long (default 1000 ms, so crash tests recover quickly). */
  ackWaitMs?: number;
  /** The stream source's allowed lateness (default: the library's). */
  allowedLateness?: string;
}

/** The `brokers:` section and plugin list a test repo of this broker uses; names unique to `id`. */
export function brokerYaml(broker: BrokerType, id: string, ackWaitMs = 1000): string {
  if (broker === 'redis') return '';
  return `brokers:\n  nats:\n    servers: ${NATS_URL}\n    stream: FRECTEST_${id}\n    subject_prefix: frectest-${id}\n    state_bucket: frectest_${id}_state\n    lease_bucket: frectest_${id}_leases\n    ack_wait_ms: ${ackWaitMs}\n    storage: memory\n`;
}

/** The dead-lettered messages of a topic (partition), read with the broker's own client, oldest first. */
export async function deadLettersOf(broker: StreamBroker, topic: string, partition?: number): Promise<Array<Record<string, string>>> {
  if (broker.type === 'redis') {
    const r = new Redis(REDIS_URL);
    try {
      const entries = await r.xrange(`${streamKeyOf(topic, partition)}:dead`, '-', '+');
      return entries.map(([, flat]) =>
        Object.fromEntries(Array.from({ length: flat.length / 2 }, (_, i) => [flat[2 * i]!, flat[2 * i + 1]!])),
      );
    } finally {
      r.disconnect();
    }
  }
  const { stream, subject_prefix } = (broker as NatsJetStreamBroker).options;
  const nc = await connect({ servers: NATS_URL });
  try {
    const jsm = await jetstreamManager(nc);
    const subject = deadSubjectOf(subject_prefix, topic, partition);
    const out: Array<Record<string, string>> = [];
    for (let seq = 1; ;) {
      // STREAM.MSG.GET takes next_by_subj beside seq (the client's type lists only seq).
      const q: { seq: number; next_by_subj: string } = { seq, next_by_subj: subject };
      const m = await jsm.streams.getMessage(stream, q).catch(() => null);
      if (!m) return out;
      out.push(m.json<Record<string, string>>());
      seq = m.seq + 1;
    }
  } finally {
    await nc.close();
  }
}

/** Deletes what a test broker created: Redis streams of the topic, or the NATS stream and KV buckets. */
export async function dropBroker(broker: StreamBroker, topic: string, partitions: number): Promise<void> {
  if (broker.type === 'redis') await (broker as RedisStreamsBroker).deleteTopic(topic, partitions);
  else await (broker as NatsJetStreamBroker).destroy();
}

export const rng = seededRandom;

/** One interaction event as producers send it. */
export type Interaction = {
  user_id: number;
  item_id: number;
  dwell: number;
  ts: number;
};

/** A whole hour about five days ago: recent enough for the views' 30-day ttl, whatever day the tests run. */
export function recentStart(): number {
  return Math.floor((Date.now() - 5 * 86_400_000) / 3_600_000) * 3_600_000;
}

/** A seeded event log with strictly increasing times (so chunk boundaries are unambiguous). */
export function eventLog(seed: number, n: number, users: number, startMs = recentStart()): Interaction[] {
  const r = rng(seed);
  let t = startMs;
  const out: Interaction[] = [];
  for (let i = 0; i < n; i++) {
    t += 1 + Math.floor(r() * (r() < 0.05 ? 7_200_000 : 240_000));
    out.push({ user_id: 1 + Math.floor(r() * users), item_id: Math.floor(r() * 5000), dwell: Math.round(r() * 100_000) / 1000, ts: t });
  }
  return out;
}

/** The stream repo a test works on: a temp folder, a unique Redis prefix and topic, applied definitions. */
export interface StreamRepo {
  dir: string;
  topic: string;
  prefix: string;
  store: FeatureStore;
  broker: StreamBroker;
  brokerType: BrokerType;
  partitions: number;
  view: FeatureViewSpec;
  reopen(): Promise<FeatureStore>;
  [Symbol.asyncDispose](): Promise<void>;
  dispose(): Promise<void>;
}

/** Writes feature_store.yaml and a definitions file, applies them, and returns handles; dispose deletes every key and file. */
export async function streamRepo(options: StreamRepoOptions = {}): Promise<StreamRepo> {
  const brokerType = options.broker ?? 'redis';
  const partitions = options.partitions ?? 1;
  const id = randomUUID().slice(0, 8);
  const prefix = `frec-test-${id}:`;
  const topic = `frec-test-${id}:interactions`;
  const dir = mkdtempSync(path.join(os.tmpdir(), 'frec-stream-'));
  mkdirSync(path.join(dir, 'data'), { recursive: true });
  writeFileSync(
    path.join(dir, 'feature_store.yaml'),
    `project: streamtest\nplugins: ['@frec/online', '@frec/offline', '@frec/streaming/redis-streams', '@frec/streaming/nats-jetstream']\nregistry:\n  path: data/registry.json\n  cache_ttl_seconds: 0\nonline_store:\n  type: redis\n  connection_string: ${REDIS_URL}\n  key_prefix: "${prefix}"\noffline_store:\n  type: duckdb\n${brokerYaml(brokerType, id, options.ackWaitMs)}`,
  );
  const user = entity({ name: 'user', joinKey: 'user_id', valueType: 'int64' });
  const source = streamSource({
    name: 'interactions',
    topic,
    broker: brokerType,
    ...(partitions > 1 ? { partitions } : {}),
    ...(options.allowedLateness ? { allowedLateness: options.allowedLateness } : {}),
    timestampField: 'ts',
    batchSource: fileSource({ name: 'user_activity_rows', path: 'data/user_activity/**/*.parquet', timestampField: 'ts' }),
  });
  const activity = streamFeatureView({
    name: 'user_activity',
    entities: [user],
    source,
    ttl: '30d',
    aggregations: [
      lastN('item_id', 10, { type: 'int64', name: 'last_10_items' }),
      count({ window: '1h' }),
      sum('dwell', { window: '24h' }),
      mean('dwell', { window: '7d' }),
      sessionLength({ gap: '30m' }),
      sessionDuration({ gap: '30m' }),
    ],
  });
  const contents = buildRepoContents([{ object: user }, { object: source }, { object: activity }]);
  const config = loadRepoConfig(dir);
  const store = await FeatureStore.open({ config, definitions: contents });
  await store.apply(contents, { validateSources: false });
  const broker = await createStreamBroker(store.config, brokerType);
  const opened: FeatureStore[] = [store];
  const dispose = async (): Promise<void> => {
    await Promise.all(opened.map((s) => s.close()));
    await dropBroker(broker, topic, partitions);
    await broker.close();
    const r = new Redis(REDIS_URL);
    await deleteKeysWithPrefix(r, prefix);
    r.disconnect();
    rmSync(dir, { recursive: true, force: true });
  };
  return {
    dir,
    topic,
    prefix,
    store,
    broker,
    brokerType,
    partitions,
    view: activity.spec,
    reopen: async () => {
      const s = await FeatureStore.open({ config: loadRepoConfig(dir) });
      opened.push(s);
      return s;
    },
    dispose,
    [Symbol.asyncDispose]: dispose,
  };
}

/** Waits until `check` is true, polling; throws with `what` after `timeoutMs`. */
export async function waitFor(check: () => Promise<boolean>, what: string, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** Writes events as `data/<name>.parquet` in the given (arrival) order: TIMESTAMP event times, `pos` = position in that order. */
export async function writeEventsParquet(dir: string, name: string, events: readonly Interaction[]): Promise<string> {
  const json = path.join(dir, 'data', `${name}.json`);
  const parquet = path.join(dir, 'data', `${name}.parquet`);
  writeFileSync(json, events.map((e, pos) => JSON.stringify({ ...e, pos })).join('\n'));
  const db = await DuckDBInstance.create(':memory:');
  const conn = await db.connect();
  try {
    await conn.run(
      `COPY (SELECT pos, user_id, item_id, dwell, make_timestamp(ts * 1000) AS ts FROM read_json('${json}', format = 'newline_delimited') ORDER BY pos) TO '${parquet}' (FORMAT parquet)`,
    );
  } finally {
    conn.closeSync();
    db.closeSync();
  }
  return parquet;
}
