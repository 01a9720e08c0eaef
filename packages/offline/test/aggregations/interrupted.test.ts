import { describe, expect, it } from 'vitest';
import { planTiles } from '@frec/core/spi';
import { aggRepo, agrees, BASE, definitions, generateEvents, HOUR, reference, type AggRepo } from './agg-fixture.js';

const split = BASE + 36 * HOUR;

async function readAll(repo: AggRepo, features: string[], t: number): Promise<Array<Record<string, unknown>>> {
  const res = await repo.store.getOnlineFeatures({
    features: features.map((f) => `user_agg:${f}`),
    entityRows: [1, 2, 3, 4, 5, 6].map((u) => ({ user_id: u })),
    requestTime: t,
  });
  return res.toRows();
}

describe('aggregation views: interrupted materialization', () => {
  it('an incremental run that dies midway is completed by a rerun (even with a later END) to what a clean run gives', async () => {
    const events = generateEvents(21, 6, 3);
    const day1 = events.filter((e) => e.ts < split);
    const day2 = events.filter((e) => e.ts >= split);
    const { contents, view } = definitions();
    const features = planTiles(view()).features.map((f) => f.name);
    await using clean = await aggRepo(contents);
    await using crashed = await aggRepo(contents);
    for (const repo of [clean, crashed]) {
      await repo.writeEvents('part0', day1);
      await repo.store.apply(contents, { validateSources: true });
      await repo.store.materializeIncremental(new Date(split));
      await repo.writeEvents('part1', day2);
    }
    await clean.store.materializeIncremental(new Date(BASE + 5 * 24 * HOUR));

    let batches = 0;
    const dying = crashed.store.materializeIncremental(new Date(BASE + 5 * 24 * HOUR), {
      batchSize: 2,
      onProgress: (p) => {
        if (p.phase === 'batch' && ++batches === 1) throw new Error('killed after the first batch');
      },
    });
    await expect(dying).rejects.toThrow(/killed after the first batch/);
    // The watermark did not move: the rerun reads day 2 again; the two entities already merged are not counted twice.
    await crashed.store.materializeIncremental(new Date(BASE + 6 * 24 * HOUR), { batchSize: 2 });

    const maxT = Math.max(...events.map((e) => e.ts));
    let compared = 0;
    for (const t of [maxT, maxT + 3 * HOUR, maxT + 25 * HOUR]) {
      const [a, b] = [await readAll(clean, features, t), await readAll(crashed, features, t)];
      expect(b).toEqual(a);
      a.forEach((row, i) => {
        const want = reference(events, i + 1, t);
        for (const f of features) {
          expect(agrees(row[f], want[f]), `${f} of user ${i + 1}`).toBe(true);
          compared++;
        }
      });
    }
    expect(compared).toBe(3 * 6 * features.length);
  });
});
