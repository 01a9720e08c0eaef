import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DuckDBInstance } from '@duckdb/node-api';
import { applyEvent, emptyState, featuresOf, planAggregations, readRows, type AggregateState } from '@frec/core/spi';
import { BROKERS, eventLog, rng, streamRepo, waitFor, type StreamRepo } from './streaming-fixture.js';

const FREC = path.resolve(__dirname, '../../../node_modules/.bin/frec');

/** A `frec stream` child; with `crashSeed`, it also kills itself after 1 in 4 state saves, before acknowledging. */
function startWorker(dir: string, crashSeed?: number): ChildProcess {
  return spawn(FREC, ['-c', dir, 'stream', '--consumer', 'w1', '--block-ms', '50', '--batch-size', '10', '--log-every', '3600'], {
    stdio: ['ignore', 'ignore', 'pipe'],
    env: {
      ...process.env,
      ...(crashSeed !== undefined ? { FREC_STREAM_CRASH_AFTER_SAVE: '0.25', FREC_STREAM_CRASH_SEED: String(crashSeed) } : {}),
    },
  });
}

function exited(child: ChildProcess): Promise<number | null> {
  return child.exitCode !== null || child.signalCode !== null
    ? Promise.resolve(child.exitCode)
    : new Promise((r) => child.once('exit', (code) => r(code)));
}

describe.each(BROKERS)('stream worker killed at random points (broker %s)', (broker) => {
  let repo: StreamRepo;
  const children: ChildProcess[] = [];
  beforeAll(async () => {
    // A redelivered event can be hours behind in event time (NATS redelivers after ack_wait, behind newer
    // events): the lateness covers the whole log, so every offline row is corrected.
    repo = await streamRepo({ broker, allowedLateness: '30d' });
  });
  afterAll(async () => {
    for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
    await repo?.dispose();
  });

  it('loses no event and counts none twice (seeded kills while events flow)', async () => {
    const r = rng(42);
    const events = eventLog(3, 1600, 25);
    const group = 'frec:streamtest:user_activity';
    const states = repo.broker.stateStore('streamtest');
    let kills = 0;
    let selfKills = 0;
    for (let round = 0; round < 4; round++) {
      // Even rounds: killed from outside at a random moment; odd rounds: the worker kills itself between save and ack.
      const child = startWorker(repo.dir, round % 2 === 1 ? round : undefined);
      children.push(child);
      // Each round's burst arrives as the worker starts, so it is mid-backlog when it dies.
      await repo.broker.publish(repo.topic, events.slice(round * 400, round * 400 + 400));
      // Wait until this worker is really consuming, then kill it at a random moment.
      const base = await states.progress('user_activity');
      await waitFor(
        async () => (await states.progress('user_activity')).updatedAtMs !== base.updatedAtMs || child.signalCode !== null,
        'the worker to start consuming',
        30_000,
      );
      if (round % 2 === 1) {
        await Promise.race([exited(child), new Promise((res) => setTimeout(res, 2000))]);
        if (child.signalCode === 'SIGKILL') selfKills++;
      } else await new Promise((res) => setTimeout(res, 20 + Math.floor(r() * 300)));
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      await exited(child);
      kills++;
    }
    const last = startWorker(repo.dir);
    children.push(last);
    let stderr = '';
    last.stderr!.on('data', (d) => (stderr += String(d)));
    await waitFor(
      async () => {
        const lag = await repo.broker.lag(repo.topic, group);
        return lag.pending === 0 && lag.undelivered === 0;
      },
      `the last worker to drain the stream (its stderr: ${stderr.slice(-500)})`,
      40_000,
    ).catch(async (e: Error) => {
      throw new Error(`${e.message}; lag ${JSON.stringify(await repo.broker.lag(repo.topic, group))}; stderr: ${stderr}`);
    });
    last.kill('SIGTERM');
    expect(await exited(last)).toBe(0);
    expect(kills).toBe(4);
    expect(selfKills, 'crashes between state save and acknowledgement').toBeGreaterThan(0);

    const plan = planAggregations(repo.view);
    const want = new Map<number, AggregateState>();
    for (const e of events) {
      const s = want.get(e.user_id) ?? emptyState();
      want.set(e.user_id, s);
      applyEvent(plan, s, { timeMs: e.ts, values: { item_id: String(e.item_id), dwell: String(e.dwell) } });
    }
    const users = [...want.keys()].sort((a, b) => a - b);
    const saved = await states.load('user_activity', users.map(String));
    users.forEach((u, i) => expect(saved[i]?.state.applied, `events applied for user ${u}`).toBe(want.get(u)!.applied));
    const online = await repo.store.onlineStore();
    const rows = await readRows(
      online,
      'streamtest',
      repo.view,
      users.map((u) => [u]),
    );
    users.forEach((u, i) => {
      const row = rows[i];
      if (!row || row instanceof Error) throw new Error(`no online row for user ${u}`);
      expect(row.values).toEqual(featuresOf(plan, want.get(u)!));
      expect(row.eventTimeMs).toBe(want.get(u)!.maxTimeMs);
    });
    expect(stderr).not.toContain('error=');

    // Offline: per user and time, the newest-created row (what a point-in-time join reads) is the in-order fold.
    const perEvent: string[] = [];
    const replay = new Map<number, AggregateState>();
    for (const e of events) {
      const s = replay.get(e.user_id) ?? emptyState();
      replay.set(e.user_id, s);
      applyEvent(plan, s, { timeMs: e.ts, values: { item_id: String(e.item_id), dwell: String(e.dwell) } });
      perEvent.push(JSON.stringify([e.user_id, e.ts, featuresOf(plan, s).last_10_items, featuresOf(plan, s).count_1h]));
    }
    const db = await DuckDBInstance.create(':memory:');
    const conn = await db.connect();
    const reader = await conn.runAndReadAll(
      `SELECT user_id, epoch_ms(ts) AS t, last_10_items, count_1h FROM read_parquet('${repo.dir}/data/user_activity/**/*.parquet')
       QUALIFY row_number() OVER (PARTITION BY user_id, ts ORDER BY __frec_created DESC) = 1 ORDER BY t`,
    );
    const offline = reader
      .getRowObjectsJS()
      .map((r) => JSON.stringify([Number(r.user_id), Number(r.t), (r.last_10_items as bigint[]).map(Number), Number(r.count_1h)]));
    conn.closeSync();
    db.closeSync();
    expect(offline).toEqual(perEvent);
  }, 110_000);
});
