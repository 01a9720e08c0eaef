import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { StreamWorker } from '@frec/core';
import { backfillStreamView } from '@frec/offline/stream-backfill';
import {
  BROKERS,
  recentStart,
  rng,
  streamRepo,
  waitFor,
  writeEventsParquet,
  type Interaction,
  type StreamRepo,
} from './streaming-fixture.js';

const FREC = path.resolve(__dirname, '../../../node_modules/.bin/frec');
/** Each feature of the fixture view, by the aggregation kind it exercises. */
const KINDS: Record<string, string> = {
  last_10_items: 'lastN',
  count_1h: 'count (1h window)',
  sum_dwell_24h: 'sum (24h window)',
  mean_dwell_7d: 'mean (7d window)',
  session_length: 'session_length',
  session_duration: 'session_duration',
};
const FEATURES = Object.keys(KINDS);
/**
 * Covers the log's own disorder (20 minutes) and what a kill adds: NATS redelivers a dead worker's
 * unacknowledged events after newer ones, up to a checkpoint's span of event time (about 5 hours) late.
 */
const LATENESS = '1d';

/**
 * The replay log, in publish order: event times that mostly grow, 30% of events delayed by up to
 * 20 minutes, bursts of one user in one millisecond, and producer
 * duplicates (the same event published twice).
 */
export function replayLog(seed: number, n: number, users: number): Interaction[] {
  const r = rng(seed);
  let t = recentStart();
  const timeOrder: Interaction[] = [];
  while (timeOrder.length < n) {
    const prev = timeOrder[timeOrder.length - 1];
    if (prev && r() < 0.15) {
      // Another event of the same user in the same millisecond.
      timeOrder.push({ ...prev, item_id: Math.floor(r() * 50), dwell: Math.round(r() * 100_000) / 1000 });
      continue;
    }
    t += 1 + Math.floor(r() * (r() < 0.05 ? 3_600_000 : 120_000));
    timeOrder.push({ user_id: 1 + Math.floor(r() * users), item_id: Math.floor(r() * 50), dwell: Math.round(r() * 100_000) / 1000, ts: t });
  }
  // Delivered by event time plus a delay of up to 20 minutes for 30% of events, so no event is later than that
  // behind its user's newest one; a duplicate goes out up to 20 minutes after its original.
  const late = 20 * 60_000;
  const sends = timeOrder.flatMap((e, i) => [
    { e, i, at: e.ts + (r() < 0.3 ? r() * late : 0) },
    ...(r() < 0.04 ? [{ e: { ...e }, i, at: e.ts + r() * late }] : []),
  ]);
  const published = sends.sort((a, b) => a.at - b.at || a.i - b.i).map((x) => x.e);
  return published;
}

/** Plain values: DuckDB gives bigint and lists where the online path has numbers and arrays. */
function plain(v: unknown): unknown {
  if (typeof v === 'bigint') return Number(v);
  if (Array.isArray(v)) return v.map(plain);
  if (v instanceof Date) return v.getTime();
  return v;
}

/** Agreement counts per aggregation kind. */
class Agreement {
  private readonly seen = new Map<string, { agree: number; total: number; first?: string }>();
  add(feature: string, got: unknown, want: unknown, where: string): void {
    const k = this.seen.get(feature) ?? { agree: 0, total: 0 };
    this.seen.set(feature, k);
    k.total++;
    if (JSON.stringify(plain(got)) === JSON.stringify(plain(want))) k.agree++;
    else k.first ??= `${where}: got ${JSON.stringify(plain(got))}, want ${JSON.stringify(plain(want))}`;
  }
  report(label: string): Record<string, string> {
    const out: Record<string, string> = {};
    for (const f of FEATURES) {
      const k = this.seen.get(f) ?? { agree: 0, total: 0 };
      out[KINDS[f]!] = `${((100 * k.agree) / Math.max(1, k.total)).toFixed(2)}% of ${k.total}${k.first ? ` (first miss ${k.first})` : ''}`;
    }
    console.log(
      `replay agreement, ${label}:\n${Object.entries(out)
        .map(([kind, v]) => `  ${kind}: ${v}`)
        .join('\n')}`,
    );
    return out;
  }
  get perfect(): boolean {
    return [...this.seen.values()].every((k) => k.agree === k.total) && this.seen.size === FEATURES.length;
  }
}

/** The backfill's rows over the first `count` published events, one per user and time. */
async function backfillPrefix(repo: StreamRepo, file: string, count: number): Promise<Array<Record<string, unknown>>> {
  const rows: Array<Record<string, unknown>> = [];
  await backfillStreamView(repo.view, {
    events: { sql: `SELECT * FROM read_parquet('${file}') WHERE pos < ${count} ORDER BY pos` },
    write: async (batch) => void rows.push(...batch),
  });
  return rows;
}

function exited(child: ChildProcess): Promise<void> {
  return child.exitCode !== null || child.signalCode !== null ? Promise.resolve() : new Promise((r) => child.once('exit', () => r()));
}

describe.each(process.env.REPLAY_BROKER ? [process.env.REPLAY_BROKER as 'redis'] : BROKERS)(
  'stream replay agrees with the backfill (broker %s)',
  (broker) => {
    let repo: StreamRepo;
    const children: ChildProcess[] = [];
    beforeAll(async () => {
      repo = await streamRepo({ broker, allowedLateness: LATENESS });
    });
    afterAll(async () => {
      for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
      await repo?.dispose();
    });

    // Issue 23 item 4: out-of-order events within the lateness, ties, producer duplicates, workers
    // killed at random; online at every checkpoint and offline at every row and sampled read: 100%.
    it('gives the backfill value for every aggregation kind, online at each checkpoint and offline at every time', async () => {
      const r = rng(2323);
      const log = replayLog(23, 900, 12);
      const file = await writeEventsParquet(repo.dir, 'replay', log);
      const group = 'frec:streamtest:user_activity';
      const users = [...new Set(log.map((e) => e.user_id))].sort((a, b) => a - b);
      const online = new Agreement();
      const rounds = 6;
      const chunk = Math.ceil(log.length / rounds);
      let kills = 0;
      for (let round = 0; round < rounds; round++) {
        const end = Math.min(log.length, (round + 1) * chunk);
        await repo.broker.publish(repo.topic, log.slice(round * chunk, end));
        // Round 2: a `frec stream` child killed with SIGKILL at a random moment; the others: a worker abandoned
        // in-process after a random number of state saves (its later batches saved, never acknowledged).
        if (round === 2) {
          const child = spawn(
            FREC,
            ['-c', repo.dir, 'stream', '--consumer', 'w1', '--block-ms', '50', '--batch-size', '7', '--log-every', '3600'],
            {
              stdio: ['ignore', 'ignore', 'ignore'],
            },
          );
          children.push(child);
          const states = repo.broker.stateStore('streamtest');
          const base = (await states.progress('user_activity')).updatedAtMs;
          await waitFor(
            async () => (await states.progress('user_activity')).updatedAtMs !== base || child.exitCode !== null,
            'the child worker to start consuming',
            60_000,
          );
          await new Promise((res) => setTimeout(res, Math.floor(r() * 200)));
          child.kill('SIGKILL');
          await exited(child);
          await states.close();
          kills++;
        } else {
          let saves = 0;
          const dieAt = 1 + Math.floor(r() * 12);
          let dead = false;
          const doomed: StreamWorker = new StreamWorker(repo.store, repo.broker, [repo.view], {
            consumer: 'w1',
            batchSize: 7,
            blockMs: 50,
            afterSave: () => {
              if (dead || ++saves >= dieAt) {
                dead = true;
                doomed.stop();
                throw new Error('abandoned between save and acknowledgement');
              }
            },
            onError: () => undefined,
          });
          const running = doomed.run();
          await waitFor(async () => dead || doomed.totals.messages >= end - round * chunk, 'the doomed worker to die or finish', 60_000);
          doomed.stop();
          await running;
          await doomed.close();
          if (dead) kills++;
        }
        // A fresh worker with the same consumer name takes the pending events over and drains the stream.
        const worker = new StreamWorker(repo.store, repo.broker, [repo.view], {
          consumer: 'w1',
          batchSize: 50,
          blockMs: 50,
          claimIdleMs: 500,
        });
        const running = worker.run();
        await waitFor(
          async () => {
            const lag = await repo.broker.lag(repo.topic, group);
            return lag.pending === 0 && lag.undelivered === 0;
          },
          `checkpoint ${round} to drain`,
          60_000,
        );
        worker.stop();
        await running;
        await worker.close();

        const res = await repo.store.getOnlineFeatures({
          features: FEATURES.map((f) => `user_activity:${f}`),
          entityRows: users.map((u) => ({ user_id: u })),
        });
        const got = res.toRows();
        const latest = new Map<number, Record<string, unknown>>();
        for (const row of await backfillPrefix(repo, file, end)) latest.set(row.user_id as number, row);
        users.forEach((u, i) => {
          const want = latest.get(u);
          for (const f of FEATURES) online.add(f, got[i]![f], want ? want[f] : null, `checkpoint ${round} user ${u}`);
        });
      }
      expect(kills, 'workers killed').toBeGreaterThanOrEqual(4);
      console.log(`replay (${broker}): ${log.length} events published, ${users.length} users, ${kills} workers killed`);

      // Offline: the worker's rows as a point-in-time join reads them (newest created per user and time).
      const backfilled = await backfillPrefix(repo, file, log.length);
      const db = await DuckDBInstance.create(':memory:');
      const conn = await db.connect();
      const written = (
        await conn.runAndReadAll(
          `SELECT user_id, epoch_ms(ts) AS t, ${FEATURES.join(', ')} FROM read_parquet('${repo.dir}/data/user_activity/**/*.parquet')
         QUALIFY row_number() OVER (PARTITION BY user_id, ts ORDER BY __frec_created DESC) = 1`,
        )
      ).getRowObjectsJS();
      conn.closeSync();
      db.closeSync();
      const byTime = new Map(written.map((w) => [`${Number(w.user_id)}/${Number(w.t)}`, w]));
      const offline = new Agreement();
      for (const b of backfilled) {
        const key = `${b.user_id as number}/${(b.ts as Date).getTime()}`;
        const w = byTime.get(key);
        for (const f of FEATURES) offline.add(f, w ? w[f] : undefined, b[f], `row ${key}`);
      }
      expect(written.length, 'one resolved offline row per user and time').toBe(backfilled.length);

      // And point-in-time reads at random times between the events give the backfill's as-of values.
      const lo = Math.min(...log.map((e) => e.ts));
      const hi = Math.max(...log.map((e) => e.ts));
      const samples = Array.from({ length: 300 }, () => ({
        user_id: users[Math.floor(r() * users.length)]!,
        at: lo + Math.floor(r() * (hi - lo + 1)),
      }));
      const hist = await (
        await repo.store.getHistoricalFeatures({
          entities: samples.map((s) => ({ user_id: s.user_id, event_timestamp: new Date(s.at) })),
          features: FEATURES.map((f) => `user_activity:${f}`),
        })
      ).toRows();
      const pit = new Agreement();
      samples.forEach((s, i) => {
        let want: Record<string, unknown> | undefined;
        for (const b of backfilled) if (b.user_id === s.user_id && (b.ts as Date).getTime() <= s.at) want = b;
        for (const f of FEATURES) pit.add(f, hist[i]![f], want ? want[f] : null, `read of user ${s.user_id} at ${s.at}`);
      });

      const report = {
        online: online.report(`${broker} online`),
        offline: offline.report(`${broker} offline rows`),
        pit: pit.report(`${broker} point-in-time reads`),
      };
      expect({ online: online.perfect, offline: offline.perfect, pit: pit.perfect }, JSON.stringify(report, null, 1)).toEqual({
        online: true,
        offline: true,
        pit: true,
      });
    }, 180_000);
  },
);
