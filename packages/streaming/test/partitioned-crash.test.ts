import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { StreamWorker } from '@frec/core';
import { groupLag, readRows } from '@frec/core/spi';
import { publishByKey } from '../src/index.js';
import { BROKERS, eventLog, rng, streamRepo, waitFor, type StreamRepo } from './streaming-fixture.js';

const FREC = path.resolve(__dirname, '../../../node_modules/.bin/frec');
const K = 6;
const WORKERS = ['w1', 'w2', 'w3'];
const GROUP = 'frec:streamtest:user_activity';

interface Worker {
  name: string;
  child: ChildProcess;
  stderr: string;
}

/** A `frec stream` child; with `crashSeed` it also SIGKILLs itself after 1 in 4 state saves, before acknowledging. */
function startWorker(dir: string, name: string, crashSeed?: number): Worker {
  const child = spawn(
    FREC,
    [
      '-c',
      dir,
      'stream',
      '--consumer',
      name,
      '--block-ms',
      '50',
      '--batch-size',
      '20',
      '--lease-ms',
      '1500',
      '--no-offline',
      '--log-every',
      '3600',
    ],
    {
      stdio: ['ignore', 'ignore', 'pipe'],
      env: {
        ...process.env,
        ...(crashSeed !== undefined ? { FREC_STREAM_CRASH_AFTER_SAVE: '0.25', FREC_STREAM_CRASH_SEED: String(crashSeed) } : {}),
      },
    },
  );
  const w: Worker = { name, child, stderr: '' };
  child.stderr!.on('data', (d) => (w.stderr += String(d)));
  return w;
}

const alive = (c: ChildProcess): boolean => c.exitCode === null && c.signalCode === null;

function exited(child: ChildProcess): Promise<number | null> {
  return !alive(child) ? Promise.resolve(child.exitCode) : new Promise((r) => child.once('exit', (code) => r(code)));
}

/** The partitions a worker last said it owns (`stream view=... partitions=0,3`). */
function owns(w: Worker): number[] {
  const lines = w.stderr.match(/partitions=([\d,-]+)/g) ?? [];
  const last = lines.at(-1)?.split('=')[1] ?? '-';
  return last === '-' ? [] : last.split(',').map(Number);
}

describe.each(BROKERS)('partitioned workers killed at random points (broker %s)', (broker) => {
  let repo: StreamRepo;
  let clean: StreamRepo;
  const all: Worker[] = [];
  beforeAll(async () => {
    repo = await streamRepo({ broker, partitions: K });
    clean = await streamRepo({ broker, partitions: K });
  });
  afterAll(async () => {
    for (const w of all) if (alive(w.child)) w.child.kill('SIGKILL');
    await repo?.dispose();
    await clean?.dispose();
  });

  it('3 workers on 6 partitions, kill -9 and restarts: every entity equals a clean single-worker run', async () => {
    const r = rng(broker === 'redis' ? 7 : 8);
    // Bursts of 300, one kill each; odd rounds crash between save and ack. NATS recovers by redelivery after ack_wait, so it runs one round of each kind.
    const rounds = broker === 'redis' ? 4 : 2;
    const burst = 300;
    const events = eventLog(5, rounds * burst, 40);
    const running = new Map(WORKERS.map((n) => [n, startWorker(repo.dir, n)]));
    all.push(...running.values());
    let kills = 0;
    let selfKills = 0;
    const states = repo.broker.stateStore('streamtest');
    for (let round = 0; round < rounds; round++) {
      const name = WORKERS[Math.floor(r() * WORKERS.length)]!;
      let victim = running.get(name)!;
      if (round % 2 === 1) {
        // Odd rounds: the victim is restarted with the fault hook and kills itself between a state save and its acknowledgement.
        victim.child.kill('SIGKILL');
        await exited(victim.child);
        kills++;
        victim = startWorker(repo.dir, name, round);
        running.set(name, victim);
        all.push(victim);
        // The burst comes once it holds partitions, so it has events to crash on.
        const v = victim;
        await waitFor(async () => owns(v).length > 0 || !alive(v.child), `round ${round}: ${name} to take partitions`, 40_000);
      }
      const base = await states.progress('user_activity');
      await publishByKey(repo.broker, repo.view, events.slice(round * burst, (round + 1) * burst));
      // Wait until the burst is being consumed and the victim holds partitions, then kill it at a random moment.
      await waitFor(
        async () =>
          ((await states.progress('user_activity')).updatedAtMs !== base.updatedAtMs && owns(victim).length > 0) || !alive(victim.child),
        `round ${round}: ${name} consuming`,
        40_000,
      );
      if (round % 2 === 1) {
        const v = victim;
        await waitFor(
          async () => {
            const lag = await groupLag(repo.broker, repo.topic, GROUP, K);
            return !alive(v.child) || lag.pending + (lag.undelivered ?? 0) === 0;
          },
          `round ${round}: ${name} to crash or the burst to drain`,
          40_000,
        );
        if (victim.child.signalCode === 'SIGKILL') selfKills++;
      } else await new Promise((res) => setTimeout(res, 20 + Math.floor(r() * 300)));
      if (alive(victim.child)) victim.child.kill('SIGKILL');
      await exited(victim.child);
      kills++;
      const again = startWorker(repo.dir, name);
      running.set(name, again);
      all.push(again);
    }
    await waitFor(
      async () => {
        const lag = await groupLag(repo.broker, repo.topic, GROUP, K);
        return lag.pending === 0 && lag.undelivered === 0;
      },
      'the workers to drain every partition',
      60_000,
    ).catch(async (e: Error) => {
      const lag = await groupLag(repo.broker, repo.topic, GROUP, K);
      throw new Error(
        `${e.message}; lag ${JSON.stringify(lag)}; stderr: ${[...running.values()].map((w) => w.stderr.slice(-400)).join(' | ')}`,
      );
    });
    // Restarted workers rejoin: the partitions end up shared 2, 2, 2.
    await waitFor(
      async () => [...running.values()].every((w) => owns(w).length === K / WORKERS.length),
      'the partitions to be shared evenly again',
      60_000,
    );
    // A drain on SIGTERM: every worker exits 0 having released its partitions.
    for (const w of running.values()) w.child.kill('SIGTERM');
    expect(await Promise.all([...running.values()].map((w) => exited(w.child)))).toEqual([0, 0, 0]);
    expect(kills).toBeGreaterThanOrEqual(rounds);
    expect(selfKills, 'crashes between state save and acknowledgement').toBeGreaterThan(0);

    // The clean run: one worker, no crash, the same events.
    const worker = new StreamWorker(clean.store, clean.broker, [clean.view], {
      consumer: 'clean',
      writeOffline: false,
      blockMs: 50,
      leaseMs: 900,
    });
    const run = worker.run();
    await publishByKey(clean.broker, clean.view, events);
    await waitFor(async () => worker.totals.messages === events.length, 'the clean run');
    worker.stop();
    await run;
    await worker.close();

    const users = [...new Set(events.map((e) => e.user_id))].sort((a, b) => a - b);
    const got = await states.load('user_activity', users.map(String));
    const want = await clean.broker.stateStore('streamtest').load('user_activity', users.map(String));
    users.forEach((u, i) => {
      expect(got[i]?.state.applied, `events applied for user ${u}`).toBe(want[i]!.state.applied);
      expect(got[i]?.state.maxTimeMs, `newest event of user ${u}`).toBe(want[i]!.state.maxTimeMs);
    });
    expect(
      got.reduce((n, s) => n + s!.state.applied, 0),
      'no event lost or counted twice',
    ).toBe(events.length);
    const keys = users.map((u) => [u]);
    const online = await readRows(await repo.store.onlineStore(), 'streamtest', repo.view, keys);
    const cleanOnline = await readRows(await clean.store.onlineStore(), 'streamtest', clean.view, keys);
    users.forEach((u, i) => {
      const a = online[i];
      const b = cleanOnline[i];
      if (!a || a instanceof Error || !b || b instanceof Error) throw new Error(`no online row for user ${u}`);
      expect(a.values, `online values of user ${u}`).toEqual(b.values);
      expect(a.eventTimeMs).toBe(b.eventTimeMs);
    });
  }, 150_000);
});
