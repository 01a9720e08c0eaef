import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { StreamWorker, type FeatureValue } from '@frec/core';
import { backfillStreamView } from '@frec/offline/stream-backfill';
import { BROKERS, eventLog, streamRepo, waitFor, type StreamRepo } from './streaming-fixture.js';

const FEATURES = ['last_10_items', 'count_1h', 'sum_dwell_24h', 'mean_dwell_7d', 'session_length', 'session_duration'];

/** Plain values for comparison: DuckDB hands back bigint and typed arrays where the online path has numbers. */
function plain(v: unknown): unknown {
  if (typeof v === 'bigint') return Number(v);
  if (Array.isArray(v)) return v.map(plain);
  if (v && typeof v === 'object' && 'items' in (v as object)) return ((v as { items: unknown[] }).items ?? []).map(plain);
  return v;
}

describe.each(BROKERS)('stream worker and DuckDB backfill agree (broker %s)', (broker) => {
  let repo: StreamRepo;
  beforeAll(async () => {
    repo = await streamRepo({ broker });
  });
  afterAll(async () => {
    await repo?.dispose();
  });

  it('gives identical feature values at every checkpoint of a seeded event log', async () => {
    const events = eventLog(11, 1500, 15);
    // The historical log the backfill reads: the same events, times stored as TIMESTAMP.
    const json = path.join(repo.dir, 'data', 'events.json');
    const parquet = path.join(repo.dir, 'data', 'events.parquet');
    writeFileSync(json, events.map((e) => JSON.stringify(e)).join('\n'));
    const db = await DuckDBInstance.create(':memory:');
    const conn = await db.connect();
    await conn.run(
      `COPY (SELECT user_id, item_id, dwell, make_timestamp(ts * 1000) AS ts FROM read_json('${json}', format = 'newline_delimited')) TO '${parquet}' (FORMAT parquet)`,
    );

    const worker = new StreamWorker(repo.store, repo.broker, [repo.view], { blockMs: 50, consumer: 'c1' });
    const running = worker.run();
    const users = [...new Set(events.map((e) => e.user_id))].sort((a, b) => a - b);
    const checkpoints: Array<{ at: number; online: Array<Record<string, unknown>> }> = [];
    const chunk = Math.ceil(events.length / 5);
    for (let i = 0; i < events.length; i += chunk) {
      const part = events.slice(i, i + chunk);
      await repo.broker.publish(repo.topic, part);
      await waitFor(async () => worker.totals.messages === i + part.length, `checkpoint ${i / chunk}`);
      const res = await repo.store.getOnlineFeatures({
        features: FEATURES.map((f) => `user_activity:${f}`),
        entityRows: users.map((u) => ({ user_id: u })),
      });
      checkpoints.push({ at: part[part.length - 1]!.ts, online: res.toRows() });
    }
    worker.stop();
    await running;
    await worker.close();
    expect(worker.totals.applied).toBe(events.length);

    const backfilled: Array<Record<string, unknown>> = [];
    const res = await backfillStreamView(repo.view, {
      events: parquet,
      write: async (rows) => void backfilled.push(...rows),
      batchSize: 400,
    });
    expect(res).toMatchObject({ events: events.length, rows: events.length, entities: users.length, invalid: 0 });

    for (const cp of checkpoints) {
      // As of the checkpoint: each user's last backfilled row at or before it (rows come in time order per user).
      const asOf = new Map<number, Record<string, unknown>>();
      for (const r of backfilled) if ((r.ts as Date).getTime() <= cp.at) asOf.set(r.user_id as number, r);
      users.forEach((u, i) => {
        const want = asOf.get(u);
        const got = cp.online[i]!;
        if (!want)
          expect(
            FEATURES.every((f) => got[f] === null),
            `user ${u} has no value yet`,
          ).toBe(true);
        else
          for (const f of FEATURES)
            expect(got[f], `checkpoint ${new Date(cp.at).toISOString()}, user ${u}, ${f}`).toEqual(want[f] as FeatureValue);
      });
    }

    // The worker's own offline rows (one per event) are the backfill's rows, value for value.
    const reader = await conn.runAndReadAll(
      `SELECT user_id, epoch_ms(ts) AS t, ${FEATURES.join(', ')} FROM read_parquet('${path.join(repo.dir, 'data/user_activity/**/*.parquet')}') ORDER BY user_id, t`,
    );
    const written = reader.getRowObjectsJS().map((r) => Object.fromEntries(Object.entries(r).map(([k, v]) => [k, plain(v)])));
    const fromBackfill = [...backfilled]
      .sort((a, b) => (a.user_id as number) - (b.user_id as number) || (a.ts as Date).getTime() - (b.ts as Date).getTime())
      .map((r) => ({ user_id: r.user_id, t: (r.ts as Date).getTime(), ...Object.fromEntries(FEATURES.map((f) => [f, r[f]])) }));
    expect(written).toEqual(fromBackfill);

    // And a point-in-time join over those rows reads what the online store served at each checkpoint.
    const last = checkpoints[2]!;
    const hist = await repo.store.getHistoricalFeatures({
      entities: users.map((u) => ({ user_id: u, event_timestamp: new Date(last.at) })),
      features: FEATURES.map((f) => `user_activity:${f}`),
    });
    const histRows = (await hist.toRows()).sort((a, b) => Number(a.user_id) - Number(b.user_id));
    users.forEach((u, i) => {
      for (const f of FEATURES) expect(plain(histRows[i]![f]), `historical ${f} of user ${u}`).toEqual(last.online[i]![f]);
    });

    // The CLI backfill appends the same rows again: every row now twice, and still the same distinct rows.
    const cli = await new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) => {
      const child = spawn(
        path.resolve(__dirname, '../../../node_modules/.bin/frec'),
        ['-c', repo.dir, '--json', 'stream-backfill', 'user_activity', '--events', 'data/events.parquet'],
        {
          stdio: ['ignore', 'pipe', 'pipe'],
        },
      );
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (d) => (stdout += String(d)));
      child.stderr.on('data', (d) => (stderr += String(d)));
      child.on('exit', (code) => resolve({ code, stdout, stderr }));
    });
    expect(cli.code, cli.stderr).toBe(0);
    expect(JSON.parse(cli.stdout)).toEqual({
      view: 'user_activity',
      events: events.length,
      rows: events.length,
      entities: users.length,
      invalid: 0,
    });
    const counts = (
      await conn.runAndReadAll(
        `SELECT count(*) AS n, count(DISTINCT (user_id, ts, last_10_items, count_1h, sum_dwell_24h)) AS d FROM read_parquet('${path.join(repo.dir, 'data/user_activity/**/*.parquet')}')`,
      )
    ).getRowObjectsJS()[0]!;
    expect([Number(counts.n), Number(counts.d)]).toEqual([2 * events.length, events.length]);
    conn.closeSync();
    db.closeSync();
  }, 60_000);
});
