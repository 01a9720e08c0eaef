import { describe, expect, it } from 'vitest';
import { emptyTiles, foldEvent, HLL_STANDARD_ERROR, mergeTiles, planTiles, seededRandom, type TileState } from '@frec/core/spi';
import { aggRepo, BASE, definitions, HOUR, type Ev } from './agg-fixture.js';

const DAY = 24 * HOUR;

describe('countDistinct approximate: the same sketch on every path', () => {
  it('batch tiles (DuckDB), stream batches (tileEvents, merged) and a plain fold give bit-identical sketches; reads agree', async () => {
    const { contents, view } = definitions();
    await using repo = await aggRepo(contents);
    // Many distinct values per window (thousands), so a hash that differed between paths would show in the registers.
    const rand = seededRandom(42);
    const events: Ev[] = Array.from({ length: 6_000 }, (_, i) => ({
      user_id: 1 + (i % 2),
      ts: BASE + Math.floor((i / 6_000) * 2 * DAY),
      rating: rand() < 0.05 ? null : Math.round(rand() * 100_000) / 8,
      item_id: `i${Math.floor(rand() * 20_000)}`,
    }));
    await repo.writeEvents('part0', events);
    await repo.store.apply(contents, { validateSources: true });
    const spec = view();
    const plan = planTiles(spec);
    const sketchSlots = plan.slots.flatMap((s, j) => (s.kind === 'hll' ? [j] : []));
    expect(sketchSlots.length).toBe(2);
    const offline = await repo.store.offlineStore();

    const batch = new Map<number, TileState>();
    for await (const b of offline.pullTiles!(spec, new Date(0), new Date(BASE + 10 * DAY)))
      b.keys.forEach((k, i) => batch.set(Number(k[0]), b.states[i]!));

    const stream = new Map<number, TileState>([1, 2].map((u) => [u, emptyTiles(plan)]));
    for (let k = 0; k < events.length; k += 500) {
      // As the broker delivers them: every field a string.
      const part = events.slice(k, k + 500).map((e) => ({
        key: [e.user_id],
        timeMs: e.ts,
        values: { item_id: e.item_id, ...(e.rating === null ? {} : { rating: String(e.rating) }) },
      }));
      const tiled = await offline.tileEvents!(spec, part);
      tiled.keys.forEach((key, i) => mergeTiles(plan, stream.get(Number(key[0]))!, tiled.states[i]!));
    }

    const folded = new Map<number, TileState>([1, 2].map((u) => [u, emptyTiles(plan)]));
    const slotValue = (e: Ev, j: number): unknown => (plan.slots[j]!.column === 'rating' ? e.rating : e.item_id);
    for (const e of events) {
      foldEvent(
        plan,
        folded.get(e.user_id)!,
        e.ts,
        plan.slots.map((_, j) => (sketchSlots.includes(j) ? slotValue(e, j) : null)),
      );
    }
    for (const u of [1, 2]) {
      for (const j of sketchSlots) {
        const b = batch.get(u)!;
        expect(b.t).toEqual(folded.get(u)!.t);
        expect(b.s[j]!.h).toEqual(folded.get(u)!.s[j]!.h);
        expect(stream.get(u)!.s[j]!.h).toEqual(b.s[j]!.h);
        // Non-trivial sketches: hundreds of registers set in a tile.
        expect(Math.max(...b.s[j]!.h!.map((x) => x.length))).toBeGreaterThan(50);
      }
    }

    // Online (materialized tiles) and offline (historical fold) read the same estimate, near the exact count.
    await repo.store.materialize(new Date(0), new Date(BASE + 10 * DAY));
    const t = BASE + 2 * DAY;
    const names = ['item_id_count_distinct_1d', 'item_id_count_distinct_approx_1d', 'item_id_count_distinct_approx_2d'];
    const online = (
      await repo.store.getOnlineFeatures({ features: names.map((f) => `user_agg:${f}`), entityRows: [{ user_id: 1 }], requestTime: t })
    ).toRows()[0]!;
    const job = await repo.store.getHistoricalFeatures({
      features: names.map((f) => `user_agg:${f}`),
      entities: [{ user_id: 1, event_timestamp: new Date(t) }],
    });
    const hist = (await job.toRows())[0]!;
    await job.close?.();
    for (const f of names) expect(hist[f], f).toBe(online[f]);
    const exact = online.item_id_count_distinct_1d as number;
    expect(exact).toBeGreaterThan(1_000);
    expect(Math.abs((online.item_id_count_distinct_approx_1d as number) - exact) / exact).toBeLessThanOrEqual(3 * HLL_STANDARD_ERROR);
  }, 120_000);
});
