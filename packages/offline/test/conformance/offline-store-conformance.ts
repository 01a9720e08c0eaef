import { describe, expect, it } from 'vitest';
import {
  entity,
  featureView,
  field,
  Float64,
  Int64,
  pushSource,
  String as Str,
  type DataSource,
  type EntityInput,
  type FeatureSelector,
  type FeatureView,
  type FileSourceSpec,
} from '@frec/core';
import {
  emptyRegistry,
  resolveFeatures,
  seededRandom,
  type HistoricalRequest,
  type OfflineStore,
  type PulledBatch,
  type RegistryData,
} from '@frec/core/spi';

/** A batch source over files or tables, as `fileSource` builds it. */
export type FileSource = DataSource<FileSourceSpec>;

/** Column types a conformance source table may hold. */
export type ColumnType = 'int64' | 'float64' | 'string' | 'timestamp';

/** A source table the harness loads into its engine: typed columns, rows with Date timestamps. */
export interface SourceTable {
  columns: Record<string, ColumnType>;
  rows: ReadonlyArray<Record<string, number | string | Date | null>>;
}

/**
 * What an engine provides to run the suite: its store, a way to load a source table the way its
 * users' batch sources hold data (a Parquet file, a warehouse table), and a source that
 * `appendRows` may write to. Nothing in the suite knows which engine it runs on.
 */
export interface OfflineStoreHarness {
  readonly store: OfflineStore;
  /** Loads `table` and returns a batch source over it; `timestampField` and `createdTimestampColumn` name its time columns. */
  source(name: string, table: SourceTable, options: { timestampField: string; createdTimestampColumn?: string }): Promise<FileSource>;
  /** A batch source with no rows yet that `appendRows` writes to. */
  appendTarget(name: string, options: { timestampField: string }): FileSource;
  dispose(): Promise<void>;
}

/** Makes a fresh harness per test (own tables, own store). */
export type HarnessFactory = () => Promise<OfflineStoreHarness>;

const user = entity({ name: 'user', joinKey: 'user_id', valueType: Int64 });
const at = (iso: string): Date => new Date(`${iso}Z`);

function registryOf(views: FeatureView[]): RegistryData {
  const data = emptyRegistry('conformance');
  for (const v of views) data.featureViews[v.name] = { spec: v.spec, createdAt: '', updatedAt: '', version: 1 };
  return data;
}

/** The request FeatureStore.getHistoricalFeatures builds. */
function requestOf(views: FeatureView[], selector: FeatureSelector, entities: EntityInput, fullFeatureNames = false): HistoricalRequest {
  const resolved = resolveFeatures(registryOf(views), selector);
  return { entities, resolved, fullFeatureNames, timestampColumn: 'event_timestamp', transforms: new Map(), odfvSpecs: new Map() };
}

async function rowsOf(h: OfflineStoreHarness, req: HistoricalRequest): Promise<Array<Record<string, unknown>>> {
  const job = await h.store.getHistoricalFeatures(req);
  try {
    return await job.toRows();
  } finally {
    await job.close?.();
  }
}

async function pulled(h: OfflineStoreHarness, fv: FeatureView, start: Date, end: Date, batchSize: number): Promise<PulledBatch[]> {
  const out: PulledBatch[] = [];
  for await (const b of h.store.pullLatest(fv.spec, start, end, { batchSize })) out.push(b);
  return out;
}

/** user_stats: ratings with a created-time column, TTL 2 days. */
async function ratings(h: OfflineStoreHarness): Promise<FeatureView> {
  const src = await h.source(
    'ratings',
    {
      columns: { user_id: 'int64', ts: 'timestamp', created: 'timestamp', mean_rating: 'float64', tier: 'string' },
      rows: [
        { user_id: 1, ts: at('2024-01-01T10:00:00'), created: at('2024-01-01T10:00:00'), mean_rating: 3, tier: 'a' },
        { user_id: 1, ts: at('2024-01-02T10:00:00'), created: at('2024-01-02T10:00:01'), mean_rating: 4, tier: 'b' },
        // Same event time, created later: this row wins the tie.
        { user_id: 1, ts: at('2024-01-02T10:00:00'), created: at('2024-01-02T10:00:09'), mean_rating: 4.5, tier: 'c' },
        { user_id: 1, ts: at('2024-01-03T10:00:00'), created: at('2024-01-03T10:00:00'), mean_rating: 5, tier: null },
        { user_id: 2, ts: at('2024-01-01T00:00:00'), created: null, mean_rating: 1.5, tier: 'z' },
      ],
    },
    { timestampField: 'ts', createdTimestampColumn: 'created' },
  );
  return featureView({
    name: 'user_stats',
    entities: [user],
    source: src,
    ttl: '2d',
    schema: [field('mean_rating', Float64), field('tier', Str)],
  });
}

/**
 * The engine-independent behaviour of an offline store: point-in-time correctness, TTL,
 * created-time tie-breaks, entity rows kept as given, pull-latest for materialization, and
 * append. Run it for every implementation with that engine's harness.
 */
export function describeOfflineStoreConformance(engine: string, makeHarness: HarnessFactory): void {
  const withHarness = (fn: (h: OfflineStoreHarness) => Promise<void>) => async () => {
    const h = await makeHarness();
    try {
      await fn(h);
    } finally {
      await h.dispose();
    }
  };

  describe(`offline store conformance: ${engine}`, () => {
    it(
      'point in time: the newest value at or before each entity row, never one after it (1 ms later), null before the first',
      withHarness(async (h) => {
        const src = await h.source(
          'flip',
          {
            columns: { user_id: 'int64', ts: 'timestamp', x: 'float64' },
            rows: [
              { user_id: 7, ts: at('2024-05-01T12:00:00'), x: 1 },
              { user_id: 7, ts: at('2024-05-01T12:00:00.001'), x: 999 },
              { user_id: 7, ts: at('2024-06-01T00:00:00'), x: 2 },
            ],
          },
          { timestampField: 'ts' },
        );
        const fv = featureView({ name: 'flip', entities: [user], source: src, schema: [field('x', Float64)] });
        const rows = await rowsOf(
          h,
          requestOf([fv], { features: ['flip:x'] }, [
            { user_id: 7, event_timestamp: at('2024-05-01T12:00:00') },
            { user_id: 7, event_timestamp: at('2024-05-01T11:59:59.999') },
            { user_id: 7, event_timestamp: at('2024-05-31T23:59:59.999') },
            { user_id: 7, event_timestamp: at('2024-06-01T00:00:00') },
          ]),
        );
        expect(rows.map((r) => r.x)).toEqual([1, null, 999, 2]);
      }),
    );

    it(
      'keeps entity rows in order with duplicates and extra columns; breaks event-time ties by created time; unknown keys get nulls',
      withHarness(async (h) => {
        const stats = await ratings(h);
        const entities = [
          { user_id: 1, event_timestamp: at('2024-01-02T12:00:00'), label: 1 },
          { user_id: 2, event_timestamp: at('2024-01-02T12:00:00'), label: 0 },
          { user_id: 1, event_timestamp: at('2024-01-01T09:00:00'), label: 0 },
          { user_id: 1, event_timestamp: at('2024-01-02T12:00:00'), label: 1 },
          { user_id: 3, event_timestamp: at('2024-01-02T12:00:00'), label: 1 },
        ];
        const rows = await rowsOf(h, requestOf([stats], { features: ['user_stats:mean_rating', 'user_stats:tier'] }, entities));
        expect(rows).toEqual([
          { user_id: 1, event_timestamp: at('2024-01-02T12:00:00'), label: 1, mean_rating: 4.5, tier: 'c' },
          { user_id: 2, event_timestamp: at('2024-01-02T12:00:00'), label: 0, mean_rating: 1.5, tier: 'z' },
          { user_id: 1, event_timestamp: at('2024-01-01T09:00:00'), label: 0, mean_rating: null, tier: null },
          { user_id: 1, event_timestamp: at('2024-01-02T12:00:00'), label: 1, mean_rating: 4.5, tier: 'c' },
          { user_id: 3, event_timestamp: at('2024-01-02T12:00:00'), label: 1, mean_rating: null, tier: null },
        ]);
      }),
    );

    it(
      'TTL: drops a value older than the TTL and keeps one exactly at the boundary',
      withHarness(async (h) => {
        const stats = await ratings(h);
        const rows = await rowsOf(
          h,
          requestOf([stats], { features: ['user_stats:mean_rating'] }, [
            { user_id: 2, event_timestamp: at('2024-01-03T00:00:00') },
            { user_id: 2, event_timestamp: at('2024-01-03T00:00:00.001') },
          ]),
        );
        expect(rows.map((r) => r.mean_rating)).toEqual([1.5, null]);
      }),
    );

    it(
      'joins several views, each at its own point in time, under view__feature names when asked',
      withHarness(async (h) => {
        const stats = await ratings(h);
        const profileSrc = await h.source(
          'profile',
          {
            columns: { user_id: 'int64', ts: 'timestamp', mean_rating: 'float64' },
            rows: [
              { user_id: 1, ts: at('2024-01-01T00:00:00'), mean_rating: 0.5 },
              { user_id: 1, ts: at('2024-01-02T11:00:00'), mean_rating: 0.7 },
            ],
          },
          { timestampField: 'ts' },
        );
        const profile = featureView({
          name: 'user_profile',
          entities: [user],
          source: profileSrc,
          schema: [field('mean_rating', Float64)],
        });
        const rows = await rowsOf(
          h,
          requestOf(
            [stats, profile],
            { features: ['user_stats:mean_rating', 'user_profile:mean_rating'] },
            [
              { user_id: 1, event_timestamp: at('2024-01-02T10:30:00') },
              { user_id: 1, event_timestamp: at('2024-01-02T11:30:00') },
            ],
            true,
          ),
        );
        expect(rows.map((r) => [r.user_stats__mean_rating, r.user_profile__mean_rating])).toEqual([
          [4.5, 0.5],
          [4.5, 0.7],
        ]);
      }),
    );

    it(
      'pullLatest: the latest row per key with event time in [start, end), created time breaking ties, in batches of at most batchSize',
      withHarness(async (h) => {
        const stats = await ratings(h);
        const batches = await pulled(h, stats, at('2024-01-01T00:00:00'), at('2024-01-03T10:00:00'), 1);
        expect(batches.length).toBe(2);
        expect(batches.every((b) => b.keys.length === 1 && b.eventTimeMs.length === 1)).toBe(true);
        const got = batches
          .map((b) => [b.keys[0]![0], b.columns.mean_rating![0], b.columns.tier![0], b.eventTimeMs[0], b.createdTimeMs[0]])
          .sort((a, b) => Number(a[0]) - Number(b[0]));
        expect(got).toEqual([
          [1, 4.5, 'c', at('2024-01-02T10:00:00').getTime(), at('2024-01-02T10:00:09').getTime()],
          [2, 1.5, 'z', at('2024-01-01T00:00:00').getTime(), 0],
        ]);
        // End is exclusive, start inclusive.
        const later = await pulled(h, stats, at('2024-01-03T10:00:00'), at('2024-01-04T00:00:00'), 100);
        expect(later.flatMap((b) => b.columns.mean_rating)).toEqual([5]);
      }),
    );

    it(
      'appendRows: appended rows are readable at once by retrieval and pullLatest; a bad row is refused with its index and nothing is written',
      withHarness(async (h) => {
        const target = h.appendTarget('events', { timestampField: 'ts' });
        const fv = featureView({
          name: 'user_events',
          entities: [user],
          source: pushSource({ name: 'user_events_push', batchSource: target }),
          schema: [field('clicks', Int64), field('genre', Str)],
        });
        const ask = [
          { user_id: 1, event_timestamp: at('2024-03-01T12:00:00') },
          { user_id: 1, event_timestamp: at('2024-03-03T00:00:00') },
          { user_id: 2, event_timestamp: at('2024-03-03T00:00:00') },
        ];
        const req = requestOf([fv], { features: ['user_events:clicks', 'user_events:genre'] }, ask);
        expect((await rowsOf(h, req)).map((r) => r.clicks)).toEqual([null, null, null]);
        await h.store.appendRows(target.spec, fv.spec, [
          { user_id: 1, ts: at('2024-03-01T10:00:00'), clicks: 3, genre: 'drama' },
          { user_id: 1, ts: at('2024-03-02T10:00:00'), clicks: 5, genre: null },
        ]);
        await h.store.appendRows(target.spec, fv.spec, [{ user_id: 2, ts: '2024-03-02T11:00:00Z', clicks: 1, genre: 'comedy' }]);
        const after = await rowsOf(h, req);
        expect(after.map((r) => [r.clicks, r.genre])).toEqual([
          [3, 'drama'],
          [5, null],
          [1, 'comedy'],
        ]);
        await expect(
          h.store.appendRows(target.spec, fv.spec, [
            { user_id: 3, ts: at('2024-03-02T00:00:00'), clicks: 9, genre: 'x' },
            { user_id: 3, ts: at('2024-03-02T00:00:00'), clicks: 'many', genre: 'x' },
          ]),
        ).rejects.toMatchObject({ code: 'INVALID_PUSH_ROW', message: expect.stringContaining('Row 1') });
        expect(await rowsOf(h, req)).toEqual(after);
        const latest = await pulled(h, fv, at('2024-03-01T00:00:00'), at('2024-03-04T00:00:00'), 100);
        const byKey = new Map(latest.flatMap((b) => b.keys.map((k, i) => [k[0], b.columns.clicks![i]] as const)));
        expect(Object.fromEntries(byKey)).toEqual({ 1: 5, 2: 1 });
      }),
    );

    it(
      'agrees with a reference join written without the engine, on seeded random rows with ties and a TTL',
      withHarness(async (h) => {
        const rand = seededRandom(22);
        const int = (n: number) => Math.floor(rand() * n);
        const base = Date.UTC(2024, 0, 1);
        const min = 60_000;
        const ttlMin = 5;
        const rows = Array.from({ length: 120 }, () => ({
          user_id: int(8),
          ts: new Date(base + int(30) * min),
          // Distinct created times, so every (key, ts) has exactly one winner.
          created: null as Date | null,
          v: int(1000),
        }));
        rows.forEach((r, i) => (r.created = new Date(base + i * 1000)));
        const src = await h.source(
          'random',
          { columns: { user_id: 'int64', ts: 'timestamp', created: 'timestamp', v: 'float64' }, rows },
          { timestampField: 'ts', createdTimestampColumn: 'created' },
        );
        const fv = featureView({ name: 'random_view', entities: [user], source: src, ttl: `${ttlMin}m`, schema: [field('v', Float64)] });
        const entities = Array.from({ length: 60 }, () => ({ user_id: int(9), event_timestamp: new Date(base + int(34) * min) }));
        const reference = entities.map((e) => {
          const cands = rows.filter(
            (r) =>
              r.user_id === e.user_id &&
              r.ts.getTime() <= e.event_timestamp.getTime() &&
              r.ts.getTime() >= e.event_timestamp.getTime() - ttlMin * min,
          );
          cands.sort((a, b) => b.ts.getTime() - a.ts.getTime() || b.created!.getTime() - a.created!.getTime());
          return cands[0]?.v ?? null;
        });
        expect(reference.filter((v) => v !== null).length).toBeGreaterThan(10);
        expect(reference.filter((v) => v === null).length).toBeGreaterThan(5);
        const got = await rowsOf(h, requestOf([fv], { features: ['random_view:v'] }, entities));
        expect(got.map((r) => r.v)).toEqual(reference);
      }),
    );
  });
}
