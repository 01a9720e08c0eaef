import type { FeatureStore } from '@frec/core';
import type { Interactions } from '../data/interactions.js';
import type { Split } from '../eval/protocols.js';
import type { RankerData, TwoTowerData } from '../models/types.js';
import { REQUEST_SIGNAL_NAMES, writeRequestSignals, type ItemTimeline } from '../ranking/request-signals.js';
import { RELATIVE_SOURCE_NAMES, REQUEST_RELATIVE_NAMES, writeRequestRelative } from '../ranking/request-relative.js';
import { historicalRows, ITEM_FEATURE_REFS, LOOKUP_OFFSET_MS, USER_FEATURE_REFS } from './historical-rows.js';
import {
  CONTEXT_VECTOR_NAMES,
  ITEM_VECTOR_NAMES,
  USER_VECTOR_NAMES,
  requestContextAt,
  recentItemRows,
  writeContextVector,
  writeItemVector,
  writeUserVector,
  type ItemGenreLookup,
} from './vectorize.js';

const itemIndexes = new WeakMap<Interactions, Map<number, number>>();

/** Raw item id -> dense item index of a data set (built once per data set). */
export function itemIndexOf(data: Interactions): Map<number, number> {
  let m = itemIndexes.get(data);
  if (!m) itemIndexes.set(data, (m = new Map(data.itemIds.map((id, i) => [id, i]))));
  return m;
}

export const D_USER = USER_VECTOR_NAMES.length;
export const D_ITEM = ITEM_VECTOR_NAMES.length;
export const D_CONTEXT = CONTEXT_VECTOR_NAMES.length;
/**
 * Ranker input columns: user, item and context vectors, the request signals, the request-relative
 * columns, then the two-tower score (always last: BlendedRanker reads it there).
 */
export const RANKER_FEATURE_NAMES: readonly string[] = [
  ...USER_VECTOR_NAMES,
  ...ITEM_VECTOR_NAMES,
  ...CONTEXT_VECTOR_NAMES,
  ...REQUEST_SIGNAL_NAMES,
  ...REQUEST_RELATIVE_NAMES,
  'two_tower_score',
];
/** Where the request signals start in a ranker row. */
export const SIGNALS_AT = USER_VECTOR_NAMES.length + ITEM_VECTOR_NAMES.length + CONTEXT_VECTOR_NAMES.length;
/** Where the request-relative columns start in a ranker row. */
export const RELATIVE_AT = SIGNALS_AT + REQUEST_SIGNAL_NAMES.length;
const RELATIVE_SOURCES = RELATIVE_SOURCE_NAMES.map((n) => RANKER_FEATURE_NAMES.indexOf(n));

/**
 * Writes the request-relative columns (writeRequestRelative) of one request's rows `start .. start + n`
 * of ranker rows `x`, once every row's signals and two-tower score are written.
 */
export function writeRelativeColumns(x: Float32Array, start: number, n: number): void {
  writeRequestRelative(x, start, n, RANKER_FEATURE_NAMES.length, RELATIVE_SOURCES, RELATIVE_AT);
}

/** Item vectors of the whole catalog as of one moment, plus each item's genres for the user "recent genres" profile. */
export interface CatalogSnapshot {
  atMs: number;
  /** numItems x D_ITEM, row = dense item index. */
  itemFeatures: Float32Array;
  genresOf: ItemGenreLookup;
}

/** Reads every catalog item's features as of `atMs` through getHistoricalFeatures. */
export async function catalogSnapshot(store: FeatureStore, data: Interactions, atMs: number): Promise<CatalogSnapshot> {
  const rows = await historicalRows(
    store,
    data.itemIds.map((id) => ({ item_id: id, event_timestamp: new Date(atMs) })),
    { features: ITEM_FEATURE_REFS },
  );
  const itemFeatures = new Float32Array(data.itemIds.length * D_ITEM);
  const genresOf = new Map<number, ArrayLike<number>>();
  rows.forEach((r, i) => {
    writeItemVector(r, itemFeatures, i * D_ITEM);
    genresOf.set(data.itemIds[i]!, itemFeatures.slice(i * D_ITEM, i * D_ITEM + 19));
  });
  return { atMs, itemFeatures, genresOf };
}

/** User inputs as of given moments (one per request), read point-in-time from the offline store. */
export async function userInputsAt(
  store: FeatureStore,
  data: Interactions,
  requests: ReadonlyArray<{ user: number; atMs: number }>,
  genresOf: ItemGenreLookup,
): Promise<{ vectors: Float32Array; recent: Int32Array[] }> {
  const rows = await historicalRows(
    store,
    requests.map((q) => ({ user_id: data.userIds[q.user]!, event_timestamp: new Date(q.atMs) })),
    { features: USER_FEATURE_REFS },
  );
  const vectors = new Float32Array(requests.length * D_USER);
  rows.forEach((r, i) => writeUserVector(r, genresOf, vectors, i * D_USER));
  const index = itemIndexOf(data);
  return { vectors, recent: rows.map((r) => recentItemRows(r, index)) };
}

/** User vectors as of given moments (one per request), read point-in-time from the offline store. */
export async function userVectorsAt(
  store: FeatureStore,
  data: Interactions,
  requests: ReadonlyArray<{ user: number; atMs: number }>,
  genresOf: ItemGenreLookup,
): Promise<Float32Array> {
  return (await userInputsAt(store, data, requests, genresOf)).vectors;
}

/**
 * The two-tower training set: one row per training interaction, its user features read through the
 * `two_tower_v1` feature service as of just before the interaction; items carry the catalog snapshot.
 */
export async function twoTowerTrainingSet(
  store: FeatureStore,
  data: Interactions,
  split: Split,
  catalog: CatalogSnapshot,
): Promise<TwoTowerData & { recentItems: Int32Array[] }> {
  const n = split.train.length;
  const entities = Array.from(split.train, (e) => ({
    user_id: data.userIds[data.user[e]!]!,
    item_id: data.itemIds[data.item[e]!]!,
    event_timestamp: new Date(data.timeMs[e]! - LOOKUP_OFFSET_MS),
  }));
  const rows = await historicalRows(store, entities, { featureService: 'two_tower_v1' });
  const userFeatures = new Float32Array(n * D_USER);
  rows.forEach((r, i) => writeUserVector(r, catalog.genresOf, userFeatures, i * D_USER));
  const index = itemIndexOf(data);
  return {
    recentItems: rows.map((r) => recentItemRows(r, index)),
    numUsers: data.userIds.length,
    numItems: data.itemIds.length,
    userIndex: Int32Array.from(split.train, (e) => data.user[e]!),
    itemIndex: Int32Array.from(split.train, (e) => data.item[e]!),
    dUser: D_USER,
    userFeatures,
    dItem: D_ITEM,
    itemFeatures: catalog.itemFeatures,
  };
}

/** One ranker example before its features are read: who, what, when, and the retrieval score. */
export interface RankerExample {
  user: number;
  item: number;
  atMs: number;
  label: 0 | 1;
  retrievalScore: number;
  /** Raw co-occurrence of the item with the request's recent items (coOccurrenceScores); 0 when unknown. */
  coOccurrence?: number;
}

/**
 * The ranker training set: positives and retrieved negatives with user, item and request-context
 * features read through the `ranker_v1` feature service as of each example's moment, the
 * request signals (writeRequestSignals) from `timeline` as of that moment, and the request-relative
 * columns over each request's rows (consecutive examples of one user at one moment are one request).
 */
export async function rankerTrainingSet(
  store: FeatureStore,
  data: Interactions,
  examples: readonly RankerExample[],
  genresOf: ItemGenreLookup,
  timeline: ItemTimeline,
): Promise<RankerData> {
  const entities = examples.map((x) => ({
    user_id: data.userIds[x.user]!,
    item_id: data.itemIds[x.item]!,
    event_timestamp: new Date(x.atMs),
    ...requestContextAt(x.atMs),
  }));
  const rows = await historicalRows(store, entities, { featureService: 'ranker_v1' });
  const d = RANKER_FEATURE_NAMES.length;
  const x = new Float32Array(examples.length * d);
  const y = new Float32Array(examples.length);
  rows.forEach((r, i) => {
    const o = i * d;
    writeUserVector(r, genresOf, x, o);
    writeItemVector(r, x, o + D_USER);
    writeContextVector(r, x, o + D_USER + D_ITEM);
    const ex = examples[i]!;
    writeRequestSignals(x, o + SIGNALS_AT, o, o + D_USER, timeline, ex.item, ex.atMs, ex.coOccurrence ?? 0);
    x[o + d - 1] = ex.retrievalScore;
    y[i] = examples[i]!.label;
  });
  for (let a = 0; a < examples.length;) {
    let b = a + 1;
    while (b < examples.length && examples[b]!.user === examples[a]!.user && examples[b]!.atMs === examples[a]!.atMs) b++;
    writeRelativeColumns(x, a, b - a);
    a = b;
  }
  return { n: examples.length, d, x, y, featureNames: [...RANKER_FEATURE_NAMES] };
}
