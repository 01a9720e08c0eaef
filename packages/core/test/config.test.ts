import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { ConfigError, ErrorCode, loadRepoConfig, parseRepoConfig } from '../src/index.js';
import { createOnlineStore, createRegistryStore, definePlugin, registerPlugin } from '../src/spi.js';

const file = '/repo/feature_store.yaml';
const parse = (text: string, env: NodeJS.ProcessEnv = {}) => parseRepoConfig(text, { file, repoPath: '/repo', env });

function errorOf(fn: () => unknown): ConfigError {
  try {
    fn();
  } catch (err) {
    if (err instanceof ConfigError) return err;
    throw err;
  }
  throw new Error('expected a ConfigError');
}

describe('feature_store.yaml', () => {
  it('fills embedded defaults', () => {
    const c = parse('project: demo\nregistry: data/registry.json\n');
    // Core knows only the type; the plugin of that type fills in and checks its own keys.
    expect(c.online_store).toEqual({ type: 'sqlite' });
    expect(c.offline_store).toEqual({ type: 'duckdb' });
    expect(c.plugins).toEqual([]);
    expect(c.registry).toEqual({ path: 'data/registry.json', cache_ttl_seconds: 5 });
  });

  it('reports malformed YAML with file, line and column', () => {
    const e = errorOf(() => parse('project: demo\nregistry: data/registry.json\nonline_store:\n  type: redis\n   cluster: true\n'));
    expect(e.code).toBe(ErrorCode.INVALID_CONFIG);
    expect(e.message).toMatch(/^\/repo\/feature_store\.yaml:4:9: malformed YAML: .+\. Fix the YAML syntax/);
    expect(e.where).toMatchObject({ file, line: 4, column: 9 });
    const unclosed = errorOf(() => parse('project: [demo\nregistry: x\n'));
    expect(unclosed.message).toMatch(/feature_store\.yaml:\d+:\d+: malformed YAML/);
  });

  it('rejects unknown keys with a "did you mean" and their line', () => {
    const top = errorOf(() => parse('project: demo\nregistry: r.json\nonline_stor:\n  type: sqlite\n'));
    expect(top.message).toContain("unknown key 'online_stor'. Did you mean 'online_store'");
    expect(top.message).toMatch(/feature_store\.yaml:3:1:/);
    const nested = errorOf(() => parse('project: demo\nregistry: r.json\nfeature_sever:\n  port: 1\n'));
    expect(nested.message).toContain("unknown key 'feature_sever'. Did you mean 'feature_server'?");
  });

  it('rejects a store section without a type and a bad project name, naming the key', () => {
    expect(errorOf(() => parse('project: demo\nregistry: r.json\nonline_store:\n  path: x.db\n')).message).toMatch(
      /:4:3: online_store\.type: is required/,
    );
    expect(errorOf(() => parse('project: my-demo\nregistry: r.json\n')).message).toMatch(
      /project: must hold only letters, digits and underscores/,
    );
    expect(errorOf(() => parse('project: demo\n')).message).toMatch(/registry: is required/);
    expect(errorOf(() => parse('project: demo\nregistry:\n  path: r.json\n  cache_ttl_seconds: -1\n')).message).toMatch(
      /:4:22: registry\.cache_ttl_seconds: Number must be greater than or equal to 0\./,
    );
  });

  it("checks a section's own keys with its plugin's schema, pointing at the line", async () => {
    // The registry store of a plain path is core's 'local' plugin; its schema owns `registry`'s keys.
    const reg = await createRegistryStore(parse('project: demo\nregistry:\n  path: r.json\n  cache_ttl: 3\n')).catch((e: unknown) => e);
    expect(reg).toBeInstanceOf(ConfigError);
    expect((reg as ConfigError).message).toMatch(
      /feature_store\.yaml:4:3: unknown key 'registry\.cache_ttl'\. Did you mean 'cache_ttl_seconds'\?/,
    );
    const s3 = await createRegistryStore(parse('project: demo\nregistry:\n  path: s3://bucket/r.json\n  s3_endpiont: http://x\n')).catch(
      (e: unknown) => e,
    );
    expect((s3 as ConfigError).message).toMatch(/:4:3: unknown key 'registry\.s3_endpiont'\. Did you mean 's3_endpoint'/);
  });

  it('names an online store type no plugin registered, and the plugins that are', async () => {
    registerPlugin(
      definePlugin({
        kind: 'onlineStore',
        type: 'config_test_store',
        configSchema: z.object({ type: z.literal('config_test_store'), size: z.number().int() }).strict(),
        create: () => {
          throw new Error('not built in this test');
        },
      }),
    );
    const unknown = await createOnlineStore(parse('project: demo\nregistry: r.json\nonline_store:\n  type: cassandra\n')).catch(
      (e: unknown) => e,
    );
    expect(unknown).toMatchObject({ code: ErrorCode.UNKNOWN_PLUGIN });
    expect((unknown as ConfigError).message).toMatch(
      /:4:3: online_store\.type 'cassandra' is not a registered online store \(registered: .*config_test_store/,
    );
    expect((unknown as ConfigError).hint).toMatch(/plugins:/);
    const badKey = await createOnlineStore(
      parse('project: demo\nregistry: r.json\nonline_store:\n  type: config_test_store\n  sise: 3\n'),
    ).catch((e: unknown) => e);
    expect((badKey as ConfigError).message).toMatch(/:5:3: unknown key 'online_store\.sise'\. Did you mean 'size'/);
    const missing = await createOnlineStore(
      parse('project: demo\nregistry: r.json\nplugins: [./no-such-plugin.ts]\nonline_store:\n  type: nope\n'),
    ).catch((e: unknown) => e);
    expect(missing).toMatchObject({
      code: ErrorCode.PLUGIN_LOAD_FAILED,
      message: expect.stringContaining("plugin './no-such-plugin.ts' (plugins[0])"),
    });
  });

  it('interpolates ${VAR} and ${VAR:-default} in values', () => {
    const text =
      'project: demo\nregistry: ${REG:-data/registry.json}\nonline_store:\n  type: redis\n  connection_string: ${REDIS_URL}\n  key_prefix: "p-${RUN}-"\n  command_timeout_ms: ${TIMEOUT}\n  cluster: ${CLUSTER}\n';
    const c = parse(text, { REDIS_URL: 'redis://:pa"ss\\word@10.0.0.1:6380', RUN: 'r1', TIMEOUT: '250', CLUSTER: 'true' });
    expect(c.online_store).toMatchObject({
      type: 'redis',
      connection_string: 'redis://:pa"ss\\word@10.0.0.1:6380',
      key_prefix: 'p-r1-',
      command_timeout_ms: 250,
      cluster: true,
    });
    expect(c.registry.path).toBe('data/registry.json');
  });

  it('names a missing environment variable and the key that uses it', () => {
    const e = errorOf(() => parse('project: demo\nregistry: r.json\nonline_store:\n  type: redis\n  connection_string: ${REDIS_URL}\n'));
    expect(e.message).toContain("environment variable REDIS_URL (used by 'online_store.connection_string') is not set");
    expect(e.hint).toContain('${REDIS_URL:-default}');
  });

  it('loadRepoConfig explains a missing file', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'frec-config-'));
    try {
      expect(() => loadRepoConfig(dir)).toThrow(
        expect.objectContaining({ code: ErrorCode.CONFIG_NOT_FOUND, message: expect.stringContaining(dir) }),
      );
      writeFileSync(path.join(dir, 'feature_store.yaml'), 'project: demo\nregistry: data/registry.json\n');
      expect(loadRepoConfig(dir).repoPath).toBe(dir);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
