import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { freePort } from '../../packages/online/test/helpers/redis-servers.js';
import { REDIS_CLUSTER_SETTINGS, REDIS_CLUSTER_SHAPE, redisConf } from '../src/redis-cluster.js';
import { ROOT } from './helpers.js';

const run = promisify(execFile);
const dir = mkdtempSync(path.join(os.tmpdir(), 'frec-redis-prod-'));
const children: ChildProcess[] = [];
afterAll(async () => {
  await Promise.all(
    children.map(
      (c) =>
        new Promise<void>((r) => {
          if (c.exitCode !== null || c.signalCode !== null) return r();
          c.once('exit', () => r());
          c.kill('SIGKILL');
        }),
    ),
  );
  rmSync(dir, { recursive: true, force: true });
});

const cli = async (port: number, ...args: string[]): Promise<string> =>
  (await run('redis-cli', ['-p', String(port), ...args])).stdout.trim();

/** Polls until `check` holds; the limit guards against a hang only. */
async function until(check: () => Promise<boolean>, what: string, limitMs = 30_000): Promise<void> {
  const end = Date.now() + limitMs;
  for (;;) {
    if (await check().catch(() => false)) return;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/**
 * One redis-server from a redis.conf holding the production directives, on loopback. The port and
 * its bus port are free when chosen but a parallel test may bind one first: a server that exits
 * before answering is started again on another port (a bounded number of tries).
 */
async function startNode(): Promise<number> {
  for (let attempt = 1; ; attempt++) {
    const port = await freePort();
    const conf = path.join(dir, `redis-${port}.conf`);
    // Loopback and a small maxmemory are the test's; everything else is the production file.
    writeFileSync(
      conf,
      `${redisConf()}\nport ${port}\nbind 127.0.0.1\ndir ${dir}\ncluster-config-file nodes-${port}.conf\nappendfilename appendonly-${port}.aof\nappenddirname aof-${port}\ndbfilename dump-${port}.rdb\nmaxmemory 64mb\n`,
    );
    const child = spawn('redis-server', [conf], { stdio: 'ignore' });
    children.push(child);
    const exited = () => child.exitCode !== null || child.signalCode !== null;
    await until(async () => exited() || (await cli(port, 'ping')) === 'PONG', `redis-server on ${port}`);
    if (!exited()) return port;
    if (attempt >= 5) throw new Error(`redis-server exited at start on ${attempt} ports in a row (last ${port})`);
  }
}

describe('Redis Cluster production setting (deploy/README.md)', () => {
  it('the README states every directive with its value, and the shape of 3 masters with 1 replica each', () => {
    const readme = readFileSync(path.join(ROOT, 'deploy/README.md'), 'utf8');
    const section = readme.slice(readme.indexOf('## Redis Cluster'), readme.indexOf('## Files'));
    for (const [k, v] of Object.entries(REDIS_CLUSTER_SETTINGS)) expect(section, `${k} ${v}`).toContain(`\`${k} ${v}\``);
    expect(section).toContain(`**${REDIS_CLUSTER_SHAPE.masters} masters, ${REDIS_CLUSTER_SHAPE.replicasPerMaster} replica each**`);
  });

  it('redis-server accepts the directives: 6 nodes form 3 masters with 1 replica each, report the values, and take writes', async () => {
    const n = REDIS_CLUSTER_SHAPE.masters * (1 + REDIS_CLUSTER_SHAPE.replicasPerMaster);
    const ports: number[] = [];
    for (let i = 0; i < n; i++) ports.push(await startNode());
    for (const [k, v] of Object.entries(REDIS_CLUSTER_SETTINGS)) {
      const got = (await cli(ports[0]!, 'config', 'get', k)).split('\n');
      expect(got, k).toEqual([k, v]);
    }
    await run('redis-cli', [
      '--cluster',
      'create',
      ...ports.map((p) => `127.0.0.1:${p}`),
      '--cluster-replicas',
      String(REDIS_CLUSTER_SHAPE.replicasPerMaster),
      '--cluster-yes',
    ]);
    await until(async () => (await cli(ports[0]!, 'cluster', 'info')).includes('cluster_state:ok'), 'cluster_state:ok');
    expect(await cli(ports[0]!, 'cluster', 'info')).toContain(`cluster_size:${REDIS_CLUSTER_SHAPE.masters}`);
    // min-replicas-to-write 1: a master takes writes once its replica is attached.
    await until(async () => {
      const infos = await Promise.all(ports.map((p) => cli(p, 'info', 'replication')));
      return infos.filter((i) => i.includes('role:slave') && i.includes('master_link_status:up')).length === n / 2;
    }, 'replicas in sync');
    await until(async () => (await cli(ports[0]!, '-c', 'set', 'frec-prod-check', '1')) === 'OK', 'a write to be accepted');
    expect(await cli(ports[0]!, '-c', 'get', 'frec-prod-check')).toBe('1');
  });
});
