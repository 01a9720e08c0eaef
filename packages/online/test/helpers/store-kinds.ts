import { randomUUID } from 'node:crypto';
import { rmSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { Cluster, Redis } from 'ioredis';
import type { StoreSection } from '@frec/core';
import { deleteKeysWithPrefix } from '../../src/testing/index.js';
import { startRedisCluster, type RedisClusterFixture } from './redis-servers.js';

/** The stores every conformance test runs against. */
export const STORES = ['redis', 'redis-cluster', 'sqlite'] as const;
/** One of STORES. */
export type StoreKind = (typeof STORES)[number];

/** A running store for one test file: its config, a way to damage a stored row, and cleanup. */
export interface StoreFixture {
  config: StoreSection;
  /** Overwrites the stored bytes of one row (project, view, entity key string) with garbage. */
  corrupt(project: string, view: string, key: string, bytes: Buffer): Promise<void>;
  /** Remaining time to live of a row in ms (-1: no expiry, -2: absent); SQLite has no expiry and returns -1. */
  pttl(project: string, view: string, key: string): Promise<number>;
  stop(): Promise<void>;
}

/** The shared Redis of this machine and CI; tests use a unique key prefix on it. */
export const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';

/** Starts (or connects to) a store of the given kind. */
export async function startStore(kind: StoreKind): Promise<StoreFixture> {
  const prefix = `frec-test-${randomUUID()}:`;
  const redisConfig = { type: 'redis' as const, key_prefix: prefix, connect_timeout_ms: 2000, command_timeout_ms: 2000 };
  if (kind === 'redis') {
    const admin = new Redis(REDIS_URL);
    return {
      config: { ...redisConfig, connection_string: REDIS_URL, cluster: false },
      corrupt: async (project, view, key, bytes) => void (await admin.set(`${prefix}${project}:${view}:${key}`, bytes)),
      pttl: (project, view, key) => admin.pttl(`${prefix}${project}:${view}:${key}`),
      stop: async () => {
        await deleteKeysWithPrefix(admin, prefix);
        admin.disconnect();
      },
    };
  }
  if (kind === 'redis-cluster') {
    const cluster: RedisClusterFixture = await startRedisCluster();
    const admin = new Cluster([{ host: '127.0.0.1', port: cluster.ports[0]! }]);
    return {
      config: { ...redisConfig, connection_string: cluster.connection, cluster: true },
      corrupt: async (project, view, key, bytes) => void (await admin.set(`${prefix}${project}:${view}:${key}`, bytes)),
      pttl: (project, view, key) => admin.pttl(`${prefix}${project}:${view}:${key}`),
      stop: async () => {
        admin.disconnect();
        await cluster.stop();
      },
    };
  }
  const dir = mkdtempSync(path.join(tmpdir(), 'frec-sqlite-'));
  const file = path.join(dir, 'online.db');
  return {
    config: { type: 'sqlite', path: file },
    corrupt: async (project, view, key, bytes) => {
      const db = new Database(file);
      db.prepare('UPDATE frec_online_rows SET row = ? WHERE project = ? AND view = ? AND entity_key = ?').run(bytes, project, view, key);
      db.close();
    },
    pttl: async () => -1,
    stop: async () => rmSync(dir, { recursive: true, force: true }),
  };
}
