import { describe, expect, it } from 'vitest';
import { ConfigError, parseRepoConfig } from '@frec/core';
import { createOnlineStore } from '@frec/core/spi';
import { RedisOnlineStore, SqliteOnlineStore } from '../src/index.js';

const parse = (text: string) => parseRepoConfig(text, { file: '/repo/feature_store.yaml', repoPath: '/repo' });

describe('online store plugins own their config sections', () => {
  it('redis: an unknown key gets its line, a "did you mean" and the allowed keys', async () => {
    const err = await createOnlineStore(
      parse('project: demo\nregistry: r.json\nonline_store:\n  type: redis\n  conection_string: redis://x\n'),
    ).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ConfigError);
    expect((err as ConfigError).message).toContain("unknown key 'online_store.conection_string'. Did you mean 'connection_string'?");
    expect((err as ConfigError).message).toMatch(/feature_store\.yaml:5:3:/);
    expect((err as ConfigError).hint).toMatch(/Allowed keys here: .*cluster/);
  });

  it('redis: a wrongly typed value names the key', async () => {
    const err = await createOnlineStore(parse('project: demo\nregistry: r.json\nonline_store:\n  type: redis\n  cluster: maybe\n')).catch(
      (e: unknown) => e,
    );
    expect((err as ConfigError).message).toMatch(/:5:12: online_store\.cluster: Expected boolean, received string\./);
  });

  it("fills each store's defaults and builds it", async () => {
    const sqlite = await createOnlineStore({
      ...parse('project: demo\nregistry: r.json\nonline_store:\n  type: sqlite\n  path: ":memory:"\n'),
    });
    expect(sqlite).toBeInstanceOf(SqliteOnlineStore);
    await sqlite.close();
    const redis = await createOnlineStore(
      parse('project: demo\nregistry: r.json\nonline_store:\n  type: redis\n  key_prefix: "cfg-test:"\n'),
    );
    expect(redis).toBeInstanceOf(RedisOnlineStore);
    expect((redis as RedisOnlineStore).config).toMatchObject({
      connection_string: 'redis://127.0.0.1:6379',
      cluster: false,
      command_timeout_ms: 500,
    });
    await redis.close();
  });
});
