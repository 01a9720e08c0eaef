import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError, ErrorCode, loadRepoConfig, parseRepoConfig } from '../src/index.js';

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
    expect(c.online_store).toEqual({ type: 'sqlite', path: 'data/online.db' });
    expect(c.offline_store.type).toBe('duckdb');
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
    const nested = errorOf(() => parse('project: demo\nregistry: r.json\nonline_store:\n  type: redis\n  conection_string: redis://x\n'));
    expect(nested.message).toContain("unknown key 'online_store.conection_string'. Did you mean 'connection_string'?");
    expect(nested.message).toMatch(/feature_store\.yaml:5:3:/);
    expect(nested.hint).toMatch(/Allowed keys here: .*cluster/);
  });

  it('rejects an unknown store type and a bad project name, naming the key', () => {
    expect(errorOf(() => parse('project: demo\nregistry: r.json\nonline_store:\n  type: cassandra\n')).message).toMatch(
      /online_store\.type/,
    );
    expect(errorOf(() => parse('project: my-demo\nregistry: r.json\n')).message).toMatch(
      /project: must hold only letters, digits and underscores/,
    );
    expect(errorOf(() => parse('project: demo\n')).message).toMatch(/registry: is required/);
    const reg = errorOf(() => parse('project: demo\nregistry:\n  path: r.json\n  cache_ttl: 3\n'));
    expect(reg.message).toMatch(/feature_store\.yaml:4:3: unknown key 'registry\.cache_ttl'\. Did you mean 'cache_ttl_seconds'\?/);
    expect(errorOf(() => parse('project: demo\nregistry:\n  path: r.json\n  cache_ttl_seconds: -1\n')).message).toMatch(
      /:4:22: registry\.cache_ttl_seconds: Number must be greater than or equal to 0\./,
    );
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
