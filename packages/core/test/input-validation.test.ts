import { rmSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FrecError, entity, featureView, field, fileSource } from '../src/index.js';
import { parseEvent, toOnlineRows } from '../src/spi.js';
import { BASE, DAY, testRepo, type TestRepo } from './materialize-fixture.js';

/** Awaits a rejection and returns the FrecError, so the test can check code and message. */
async function errorOf(p: Promise<unknown>): Promise<FrecError> {
  try {
    await p;
  } catch (err) {
    expect(err).toBeInstanceOf(FrecError);
    return err as FrecError;
  }
  throw new Error('expected a rejection');
}

const row = (user: number, over: Record<string, unknown> = {}) => ({
  user_id: user,
  clicks: user * 2,
  score: user / 4,
  genres: ['drama'],
  event_timestamp: new Date(BASE + user * 1000),
  ...over,
});

let repo: TestRepo;
beforeAll(async () => {
  repo = await testRepo();
});
afterAll(async () => {
  await repo?.dispose();
});

const readClicks = async (user: number) =>
  (await repo.store.getOnlineFeatures({ features: ['user_push_stats:clicks'], entityRows: [{ user_id: user }] })).toRows()[0];

describe('event times outside years 0001-9999', () => {
  it('push refuses them with INVALID_PUSH_ROW naming the field, and the entity stays readable and pushable', async () => {
    for (const t of [8.64e15 + 1, 1e20, -8.64e15, 253_402_300_800_000, '+275760-09-13T00:00:00.000Z']) {
      const err = await errorOf(repo.store.push('user_push', [row(7, { event_timestamp: t })]));
      expect(err.code, String(t)).toBe('INVALID_PUSH_ROW');
      expect(err.where).toMatchObject({ field: 'event_timestamp', row: 0 });
      expect(err.message).toContain('0001-01-01T00:00:00Z to 9999-12-31T23:59:59.999Z');
    }
    expect(await readClicks(7)).toEqual({ user_id: 7, clicks: null });
    await repo.store.push('user_push', [row(7)]);
    expect(await readClicks(7)).toEqual({ user_id: 7, clicks: 14 });
    // The edges of the range are times like any other.
    await repo.store.push('user_push', [row(8, { event_timestamp: 253_402_300_799_999 })]);
    expect(await readClicks(8)).toEqual({ user_id: 8, clicks: 16 });
  });

  it('writeToOnlineStore refuses them, naming the view, row and field', async () => {
    const err = await errorOf(repo.store.writeToOnlineStore('user_push_stats', [row(9), row(10, { event_timestamp: 1e20 })]));
    expect(err.code).toBe('INVALID_REQUEST');
    expect(err.where).toMatchObject({ featureView: 'user_push_stats', row: 1, field: 'event_timestamp' });
    expect(await readClicks(9)).toEqual({ user_id: 9, clicks: null });
  });

  it('a stream event outside the range is a parse error naming the time field', async () => {
    const view = await repo.store.registry.getFeatureView('user_push_stats');
    expect(parseEvent(view, { user_id: '1', event_timestamp: String(BASE) })).toMatchObject({ event: { timeMs: BASE } });
    for (const t of ['100000000000000000000', 8.64e15 + 1]) {
      const parsed = parseEvent(view, { user_id: '1', event_timestamp: t });
      expect(parsed).toMatchObject({ field: 'event_timestamp' });
      expect((parsed as { error: string }).error).toContain('outside');
    }
  });

  it('materialize refuses a window outside the range', async () => {
    const err = await errorOf(repo.store.materialize(new Date(-8.64e15), new Date(BASE + 10 * DAY), { views: ['user_stats'] }));
    expect(err.code).toBe('INVALID_REQUEST');
    expect(err.where).toMatchObject({ field: 'start' });
  });
});

describe('NaN and ±Infinity in float features: refused unless the field allows them', () => {
  it('push refuses NaN, ±Infinity and their strings with INVALID_PUSH_ROW naming the field', async () => {
    for (const v of [Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY, 'NaN', 'Infinity', '-Infinity']) {
      const err = await errorOf(repo.store.push('user_push', [row(20, { score: v })], { to: 'online_and_offline' }));
      expect(err.code, String(v)).toBe('INVALID_PUSH_ROW');
      expect(err.where).toMatchObject({ field: 'score', row: 0 });
      expect(err.hint).toContain('allowNonFinite');
    }
    expect(await readClicks(20)).toEqual({ user_id: 20, clicks: null });
  });

  it('writeToOnlineStore refuses them with WRONG_TYPE', async () => {
    const err = await errorOf(repo.store.writeToOnlineStore('user_push_stats', [row(21, { score: Number.POSITIVE_INFINITY })]));
    expect(err.code).toBe('WRONG_TYPE');
    expect(err.where).toMatchObject({ featureView: 'user_push_stats', field: 'score' });
  });

  it('a stream event with NaN in a float feature is a parse error; a field declared allowNonFinite takes it', async () => {
    const view = await repo.store.registry.getFeatureView('user_push_stats');
    expect(parseEvent(view, { user_id: '1', event_timestamp: String(BASE), score: 'NaN' })).toMatchObject({ field: 'score' });
    expect(parseEvent(view, { user_id: '1', event_timestamp: String(BASE), score: '0.5' })).toMatchObject({ key: [1] });
    const user = entity({ name: 'user', joinKey: 'user_id', valueType: 'int64' });
    const lenient = featureView({
      name: 'lenient',
      entities: [user],
      source: fileSource({ name: 'lenient_src', path: 'data/lenient/*.parquet', timestampField: 'event_timestamp' }),
      schema: [field('ratio', 'float64', { allowNonFinite: true }), field('strict', 'float32')],
    }).spec;
    expect(lenient.features[0]).toMatchObject({ allowNonFinite: true });
    expect(lenient.features[1]).not.toHaveProperty('allowNonFinite');
    expect(parseEvent(lenient, { user_id: '1', event_timestamp: String(BASE), ratio: 'Infinity', strict: '1' })).toMatchObject({
      key: [1],
    });
    expect(parseEvent(lenient, { user_id: '1', event_timestamp: String(BASE), ratio: '1', strict: 'NaN' })).toMatchObject({
      field: 'strict',
    });
    const [ok] = toOnlineRows(lenient, [{ user_id: 1, ratio: 'NaN', strict: 1, event_timestamp: new Date(BASE) }]);
    expect(Number.isNaN(ok!.values.ratio as number)).toBe(true);
    expect(() => toOnlineRows(lenient, [{ user_id: 1, ratio: 1, strict: Number.NaN, event_timestamp: new Date(BASE) }])).toThrow(
      expect.objectContaining({ code: 'WRONG_TYPE' }),
    );
  });

  it('materialize refuses a source row holding NaN, naming the view, feature and entity', async () => {
    await repo.sql(
      `COPY (SELECT 7777 AS user_id, 'NaN'::DOUBLE AS f0, 1.0 AS f1, CAST(1 AS BIGINT) AS n, 'x' AS tag, [CAST(1 AS FLOAT)] AS emb,
        make_timestamp(${BASE + 5 * DAY} * 1000) AS event_timestamp) TO '${repo.dir}/data/user_stats/nan.parquet' (FORMAT parquet)`,
    );
    try {
      const err = await errorOf(repo.store.materialize(new Date(BASE), new Date(BASE + 10 * DAY), { views: ['user_stats'] }));
      expect(err.code).toBe('WRONG_TYPE');
      expect(err.where).toMatchObject({ featureView: 'user_stats', feature: 'f0', entity: '7777' });
    } finally {
      rmSync(path.join(repo.dir, 'data/user_stats/nan.parquet'));
    }
  });
});
