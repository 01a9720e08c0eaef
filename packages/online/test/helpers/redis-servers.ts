import { spawn, execFile, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { Redis } from 'ioredis';

const run = promisify(execFile);

/** A free loopback port whose cluster bus port (+10000) is free too. */
export async function freePort(): Promise<number> {
  for (;;) {
    const port = await new Promise<number>((resolve, reject) => {
      const srv = createServer();
      srv.once('error', reject);
      srv.listen(0, '127.0.0.1', () => {
        const p = (srv.address() as { port: number }).port;
        srv.close(() => resolve(p));
      });
    });
    if (port + 10000 < 65536) return port;
  }
}

async function waitFor(check: () => Promise<boolean>, timeoutMs: number, what: string): Promise<void> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    try {
      if (await check()) return;
    } catch {
      // not up yet
    }
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

async function pingPort(port: number): Promise<boolean> {
  const { stdout } = await run('redis-cli', ['-p', String(port), 'ping']);
  return stdout.trim() === 'PONG';
}

/** One redis-server process we started, on a free loopback port. */
export interface RedisProcess {
  port: number;
  child: ChildProcess;
  kill(signal?: NodeJS.Signals): Promise<void>;
}

function startProcess(port: number, dir: string, extra: string[]): RedisProcess {
  const child = spawn(
    'redis-server',
    ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', dir, '--daemonize', 'no', ...extra],
    { stdio: 'ignore' },
  );
  return {
    port,
    child,
    kill: async (signal = 'SIGKILL') => {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const exited = new Promise<void>((r) => child.once('exit', () => r()));
      child.kill(signal);
      await exited;
    },
  };
}

/** A standalone redis-server on a free port, removed by `stop()`. */
export interface StandaloneRedis {
  port: number;
  url: string;
  proc: RedisProcess;
  stop(): Promise<void>;
}

/** Starts a standalone redis-server on a free port. */
export async function startRedis(): Promise<StandaloneRedis> {
  return startRedisOnPort(await freePort());
}

/** Starts a standalone redis-server on the given port (e.g. to restart one that was killed). */
export async function startRedisOnPort(port: number): Promise<StandaloneRedis> {
  const dir = mkdtempSync(path.join(tmpdir(), 'frec-redis-'));
  const proc = startProcess(port, dir, []);
  await waitFor(() => pingPort(port), 10_000, `redis-server on ${port}`);
  return {
    port,
    url: `redis://127.0.0.1:${port}`,
    proc,
    stop: async () => {
      await proc.kill();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** A Redis Cluster of 3 masters and 3 replicas on loopback, torn down by `stop()`. */
export interface RedisClusterFixture {
  ports: number[];
  /** Comma-separated seed list for online_store.connection_string. */
  connection: string;
  procs: Map<number, RedisProcess>;
  masters(): Promise<number[]>;
  stop(): Promise<void>;
}

/** Starts 6 redis-server processes with cluster-enabled and joins them with `redis-cli --cluster create`. */
export async function startRedisCluster(nodeTimeoutMs = 1000): Promise<RedisClusterFixture> {
  const dir = mkdtempSync(path.join(tmpdir(), 'frec-cluster-'));
  const ports: number[] = [];
  while (ports.length < 6) {
    const p = await freePort();
    if (!ports.includes(p)) ports.push(p);
  }
  const procs = new Map<number, RedisProcess>();
  const stop = async (): Promise<void> => {
    await Promise.all([...procs.values()].map((p) => p.kill()));
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    for (const port of ports) {
      procs.set(
        port,
        startProcess(port, dir, [
          '--cluster-enabled',
          'yes',
          '--cluster-config-file',
          `nodes-${port}.conf`,
          '--cluster-node-timeout',
          String(nodeTimeoutMs),
          '--dbfilename',
          `dump-${port}.rdb`,
          // A replica that synced moments ago must still be allowed to take over.
          '--cluster-replica-validity-factor',
          '0',
        ]),
      );
    }
    await Promise.all(ports.map((p) => waitFor(() => pingPort(p), 10_000, `redis-server on ${p}`)));
    await run('redis-cli', ['--cluster', 'create', ...ports.map((p) => `127.0.0.1:${p}`), '--cluster-replicas', '1', '--cluster-yes']);
    await waitFor(
      async () => {
        const states = await Promise.all(ports.map((p) => run('redis-cli', ['-p', String(p), 'cluster', 'info'])));
        return states.every((s) => s.stdout.includes('cluster_state:ok'));
      },
      20_000,
      'cluster_state:ok',
    );
    // Failover needs replicas that finished their first sync.
    await waitFor(
      async () => {
        const infos = await Promise.all(ports.map((p) => run('redis-cli', ['-p', String(p), 'info', 'replication'])));
        const replicas = infos.filter((i) => i.stdout.includes('role:slave'));
        return replicas.length === 3 && replicas.every((i) => i.stdout.includes('master_link_status:up'));
      },
      20_000,
      'replicas in sync',
    );
  } catch (err) {
    await stop();
    throw err;
  }
  return {
    ports,
    connection: ports
      .slice(0, 3)
      .map((p) => `redis://127.0.0.1:${p}`)
      .join(','),
    procs,
    masters: async () => {
      const r = new Redis(
        ports.find((p) => procs.get(p)!.child.exitCode === null && procs.get(p)!.child.signalCode === null)!,
        '127.0.0.1',
        { lazyConnect: true },
      );
      try {
        await r.connect();
        const nodes = (await r.call('CLUSTER', 'NODES')) as string;
        return nodes
          .split('\n')
          .filter((l) => l.includes('master') && !l.includes('fail'))
          .map((l) => Number(l.split(' ')[1]!.split('@')[0]!.split(':')[1]));
      } finally {
        r.disconnect();
      }
    },
    stop,
  };
}
