import type { FeatureViewSpec } from '../definitions/specs.js';
import type { FeatureValue } from '../value-types.js';
import type { EntityKeyValues, OnlineColumnarRead, OnlineReadResult, OnlineStore } from './online-store.js';

/** A backend that can only read rows per key; `rowReadAdapter` gives it the batched read OnlineStore requires. */
export interface RowOnlineStore extends Omit<OnlineStore, 'readColumnsMany'> {
  /** Rows for entity keys of one view, in key order; `features` limits what is decoded. */
  read(project: string, view: FeatureViewSpec, keys: readonly EntityKeyValues[], features: readonly string[]): Promise<OnlineReadResult[]>;
}

/** Lays rows out by column, the shape getOnlineFeatures reads. */
export function rowsToColumns(results: readonly OnlineReadResult[], features: readonly string[]): OnlineColumnarRead {
  const n = results.length;
  const values = features.map(() => new Array<FeatureValue>(n).fill(null));
  const eventTimeMs = new Float64Array(n).fill(Number.NaN);
  const createdTimeMs = new Float64Array(n).fill(Number.NaN);
  let errors: Array<Error | undefined> | undefined;
  results.forEach((r, k) => {
    if (r instanceof Error) (errors ??= new Array(n))[k] = r;
    else if (r) {
      features.forEach((f, i) => {
        values[i]![k] = r.values[f] ?? null;
      });
      eventTimeMs[k] = r.eventTimeMs;
      createdTimeMs[k] = r.createdTimeMs;
    }
  });
  return { values, eventTimeMs, createdTimeMs, errors };
}

/**
 * Turns a row-per-key backend into an OnlineStore: each view of a batched read becomes one `read`,
 * run concurrently, and its rows are laid out by column.
 */
export function rowReadAdapter(store: RowOnlineStore): OnlineStore {
  const adapted = Object.create(store) as OnlineStore;
  adapted.readColumnsMany = (project, reads) =>
    Promise.all(reads.map(async (r) => rowsToColumns(await store.read(project, r.view, r.keys, r.features), r.features)));
  return adapted;
}

/**
 * Reads rows of one view through any OnlineStore's batched read: a row (values by feature, times),
 * null when absent, or the Error of a row that could not be decoded. For tools and tests; serving
 * reads columns.
 */
export async function readRows(
  store: OnlineStore,
  project: string,
  view: FeatureViewSpec,
  keys: readonly EntityKeyValues[],
  features: readonly string[] = view.features.map((f) => f.name),
): Promise<OnlineReadResult[]> {
  const [read] = await store.readColumnsMany(project, [{ view, keys, features }]);
  const out: OnlineReadResult[] = new Array(keys.length);
  for (let k = 0; k < keys.length; k++) {
    const err = read!.errors?.[k];
    if (err) {
      out[k] = err;
      continue;
    }
    const t = read!.eventTimeMs[k]!;
    if (Number.isNaN(t)) {
      out[k] = null;
      continue;
    }
    const values: Record<string, FeatureValue> = {};
    features.forEach((f, i) => (values[f] = read!.values[i]![k]!));
    out[k] = { values, eventTimeMs: t, createdTimeMs: read!.createdTimeMs[k]! };
  }
  return out;
}
