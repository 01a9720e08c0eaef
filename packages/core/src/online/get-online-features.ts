import { readTileRows, recentStorageSpec, type TileRows } from '../aggregations/recent-row.js';
import { evaluateFeatureOver, planTiles, tileStorageSpec, TILES_COLUMN } from '../aggregations/tiles.js';
import { ErrorCode, FrecError, RequestError, StoreError, toFrecError } from '../errors.js';
import type { FeatureStore } from '../feature-store.js';
import type { FeatureSelector } from '../feature-refs.js';
import type { EntityKeyValues, OnlineColumnarRead, OnlineColumnarRequest } from '../stores/online-store.js';
import type { RegistryData } from '../registry/registry-data.js';
import { runTransform } from '../transforms.js';
import { coerceScalar, coerceValue, int64KeyOf, isArrayType, type FeatureValue, type ScalarType } from '../value-types.js';
import { entityInputOf, type EntityInput } from './entity-input.js';
import { keyInternerOf, type ViewKeys } from './key-interner.js';
import { cachedRequestPlan, type JoinKeyPlan, type RequestPlan, type ViewPlan } from './online-plan.js';
import { OnlineFeaturesResponse, type FeatureStatus, type OnlineRowError } from './online-response.js';

export { OnlineFeaturesResponse, type FeatureStatus, type OnlineRowError } from './online-response.js';

/**
 * A getOnlineFeatures request: features (`view:feature`) or a feature service, and the entities:
 * `entityRows`, one object per entity (join keys, plus any request-data fields that on-demand views
 * need, as in Feast), or `entities`, the same table as one array per column (Feast's HTTP shape,
 * read as is). `requestData` gives request fields for all rows at once: a value shared by every row,
 * or an array with one value per row.
 */
export type OnlineFeaturesRequest = FeatureSelector &
  (
    | { entityRows: ReadonlyArray<Record<string, unknown>>; entities?: undefined }
    | { entities: Readonly<Record<string, ReadonlyArray<unknown>>>; entityRows?: undefined }
  ) & {
    requestData?: Record<string, unknown>;
    fullFeatureNames?: boolean;
    /**
     * The request time (epoch ms or Date, default now): aggregation views' windows end at it and TTLs
     * count to it. For replays and tests; it must not be before the entities' newest events.
     */
    requestTime?: number | Date;
  };

// Row states of a view read, decided once per distinct key.
const PRESENT = 0;
const NOT_FOUND = 1;
const EXPIRED = 2;

interface ViewResult {
  read: OnlineColumnarRead;
  rowToKey: Int32Array;
  state: Uint8Array;
  eventTimes: Float64Array;
  /** Every row has its own key, so row r is key r. */
  identity: boolean;
  /** Status of each entity row for this view (PRESENT, NOT_FOUND or OUTSIDE_MAX_AGE). */
  rowStatus: FeatureStatus[];
  anyExpired: boolean;
}

function coerceKey(k: JoinKeyPlan, raw: unknown, row: number): string | number {
  if (raw === undefined || raw === null) {
    throw new RequestError(ErrorCode.MISSING_JOIN_KEY, `Entity row ${row} has no value for join key '${k.name}' of entity '${k.entity}'.`, {
      where: { row, joinKey: k.name, entity: k.entity },
      hint: `Give every entity row a '${k.name}' field.`,
    });
  }
  const t = k.dtype as ScalarType;
  if (typeof raw === 'number' && (t === 'int64' || t === 'int32') && Number.isSafeInteger(raw) && (t === 'int64' || (raw | 0) === raw))
    return raw;
  if (typeof raw === 'string' && t === 'string') return raw;
  if (t === 'int64') {
    // Past 2^53 an int64 key is a bigint or a string of digits; it reads as its exact decimal text.
    const exact = int64KeyOf(raw);
    if (exact !== undefined) return exact;
  }
  const v = isArrayType(k.dtype) ? undefined : coerceScalar(t, raw);
  if (v === undefined || v === null) {
    throw new RequestError(
      ErrorCode.WRONG_TYPE,
      `Join key '${k.name}' of entity '${k.entity}' in entity row ${row} is ${typeof raw === 'bigint' ? `${raw}n` : JSON.stringify(raw)} (${typeof raw}), declared ${k.dtype}.`,
      {
        where: { row, joinKey: k.name, entity: k.entity },
        hint: `Pass a ${k.dtype} value for '${k.name}'.`,
      },
    );
  }
  if (typeof v === 'number' || typeof v === 'string') return v;
  if (v instanceof Date) return v.getTime();
  if (v instanceof Uint8Array) return Buffer.from(v).toString('base64');
  return String(v);
}

// Duplicate keys are read once: rows map to distinct keys.
function distinctKeys(owner: object, vp: ViewPlan, keyCols: Array<Array<string | number>>, n: number): ViewKeys {
  if (vp.keyCols.length === 1) return keyInternerOf(owner, vp.view.name).distinct(keyCols[vp.keyCols[0]!]!, n);
  const rowToKey = new Int32Array(n);
  const keys: EntityKeyValues[] = [];
  const seen = new Map<string, number>();
  for (let r = 0; r < n; r++) {
    const key = vp.keyCols.map((j) => keyCols[j]![r]!);
    const id = JSON.stringify(key);
    let u = seen.get(id);
    if (u === undefined) {
      u = keys.length;
      seen.set(id, u);
      keys.push(key);
    }
    rowToKey[r] = u;
  }
  return { keys, rowToKey };
}

/** An aggregation view's read: each requested feature evaluated from the key's tiles at `atMs` (they decay without new events). */
function tiledRead(vp: ViewPlan, read: OnlineColumnarRead, recent: OnlineColumnarRead | undefined, atMs: number): OnlineColumnarRead {
  const plan = planTiles(vp.view);
  const feats = vp.read.map((n) => plan.features[plan.byName.get(n)!]!);
  const col = read.values[0]!;
  const rcol = recent?.values[0] ?? [];
  const nk = col.length;
  const values = feats.map(() => new Array<FeatureValue>(nk));
  let errors = read.errors;
  for (let k = 0; k < nk; k++) {
    const bytes = col[k];
    let st: TileRows | undefined;
    // An entity first seen by an incremental run has only its recent row; the newer row's time is the entity's.
    if (bytes instanceof Uint8Array || rcol[k] instanceof Uint8Array) {
      try {
        st = readTileRows(plan, bytes, rcol[k]);
        if (st && st.maxT !== null && !(read.eventTimeMs[k]! >= st.maxT)) read.eventTimeMs[k] = st.maxT;
      } catch (err) {
        errors ??= new Array<Error | undefined>(nk);
        errors[k] = new StoreError(ErrorCode.CORRUPT_ROW, `The stored tiles of feature view '${vp.view.name}' cannot be read.`, {
          where: { featureView: vp.view.name },
          hint: 'Materialize the view again to rewrite its rows.',
          cause: err,
        });
        read.eventTimeMs[k] = Number.NaN;
      }
    }
    for (let f = 0; f < feats.length; f++) values[f]![k] = st ? evaluateFeatureOver(plan, st.st, st.more, st.from, feats[f]!, atMs) : null;
  }
  return { values, eventTimeMs: read.eventTimeMs, createdTimeMs: read.createdTimeMs, errors };
}

function viewResult(vp: ViewPlan, vk: ViewKeys, read: OnlineColumnarRead, n: number, now: number, allPresent: FeatureStatus[]): ViewResult {
  const nk = vk.keys.length;
  const state = new Uint8Array(nk);
  const times = read.eventTimeMs;
  const ttlMs = vp.ttlMs;
  let missing = 0;
  let anyExpired = false;
  for (let u = 0; u < nk; u++) {
    const t = times[u]!;
    if (t !== t) {
      state[u] = NOT_FOUND;
      missing++;
    } else if (ttlMs > 0 && t + ttlMs < now) {
      state[u] = EXPIRED;
      missing++;
      anyExpired = true;
    }
  }
  const { rowToKey } = vk;
  const identity = nk === n;
  let eventTimes: Float64Array;
  if (identity) {
    // Row r is key r: the store's array becomes the response's, absent rows at 0 (no copy).
    eventTimes = times;
    if (missing > 0) for (let r = 0; r < n; r++) if (times[r] !== times[r]) times[r] = 0;
  } else {
    eventTimes = new Float64Array(n);
    for (let r = 0; r < n; r++) {
      const t = times[rowToKey[r]!]!;
      eventTimes[r] = t !== t ? 0 : t;
    }
  }
  let rowStatus = allPresent;
  if (missing > 0) {
    rowStatus = new Array<FeatureStatus>(n);
    for (let r = 0; r < n; r++) {
      const s = state[rowToKey[r]!];
      rowStatus[r] = s === PRESENT ? 'PRESENT' : s === NOT_FOUND ? 'NOT_FOUND' : 'OUTSIDE_MAX_AGE';
    }
  }
  return { read, rowToKey, state, eventTimes, identity, rowStatus, anyExpired };
}

function requestValue(req: OnlineFeaturesRequest, input: EntityInput, row: number, name: string, n: number, scalar: boolean): unknown {
  const own = input.value(row, name);
  if (own !== undefined) return own;
  const shared = req.requestData?.[name];
  if (Array.isArray(shared) && shared.length === n && (scalar || Array.isArray(shared[0]))) return shared[row];
  return shared;
}

function computeOdfvs(
  plan: RequestPlan,
  req: OnlineFeaturesRequest,
  entities: EntityInput,
  results: ViewResult[],
  n: number,
  values: FeatureValue[][],
  statuses: FeatureStatus[][],
  offset: number,
): void {
  plan.odfvs.forEach((op, oi) => {
    const cols = plan.outputs.map((o, c) => (o.kind === 'odfv' && o.odfv === oi ? c : -1)).filter((c) => c >= 0);
    for (let r = 0; r < n; r++) {
      const input: Record<string, unknown> = {};
      for (const inp of op.inputs) {
        const vr = results[inp.view]!;
        const u = vr.rowToKey[r]!;
        input[inp.name] = vr.state[u] === PRESENT ? vr.read.values[inp.feature]![u] : null;
      }
      for (const f of op.requestFields) {
        const raw = requestValue(req, entities, r, f.name, n, !isArrayType(f.dtype));
        if (raw === undefined) {
          throw new RequestError(
            ErrorCode.INVALID_REQUEST,
            `On-demand view '${op.spec.name}' needs request field '${f.name}', missing from entity row ${r} and requestData.`,
            {
              where: { featureView: op.spec.name, field: f.name, row: r },
              hint: `Add '${f.name}' to each entity row or to requestData.`,
            },
          );
        }
        const v = coerceValue(f.dtype, raw);
        if (v === undefined) {
          throw new RequestError(
            ErrorCode.WRONG_TYPE,
            `Request field '${f.name}' of on-demand view '${op.spec.name}' in entity row ${r} is ${JSON.stringify(raw)}, declared ${f.dtype}.`,
            {
              where: { featureView: op.spec.name, field: f.name, row: r },
            },
          );
        }
        input[f.name] = v;
      }
      const out = runTransform(op.spec, op.transform, input);
      for (const c of cols) {
        const o = plan.outputs[c]!;
        const v = (out[(o as { feature: string }).feature] ?? null) as FeatureValue;
        values[offset + c]![r] = v;
        statuses[offset + c]![r] = v === null ? 'NULL_VALUE' : 'PRESENT';
      }
    }
  });
}

/** What a request needs between planning and its store read. */
interface PreparedRead {
  req: OnlineFeaturesRequest;
  input: EntityInput;
  n: number;
  plan: RequestPlan;
  keyCols: Array<Array<string | number>>;
  vks: ViewKeys[];
  /** Per view: whether its recent rows are read too (an aggregation view with live recent rows, recent-row.ts). */
  recent: boolean[];
}

function prepare(store: FeatureStore, data: RegistryData, req: OnlineFeaturesRequest): PreparedRead {
  const input = entityInputOf(req);
  const n = input.n;
  const limit = store.config.max_online_entities;
  if (n > limit) {
    throw new RequestError(ErrorCode.REQUEST_TOO_LARGE, `The request has ${n} entity rows; the limit is ${limit}.`, {
      where: { entityRows: n },
      hint: 'Split the request, or raise max_online_entities in feature_store.yaml.',
    });
  }
  const plan = cachedRequestPlan(store, data, req, req.fullFeatureNames ?? false, (name, spec) => store.transformOf(name, spec));
  const keyCols = plan.joinKeys.map((k) => {
    const col = new Array<string | number>(n);
    for (let r = 0; r < n; r++) col[r] = coerceKey(k, input.value(r, k.name), r);
    return col;
  });
  const vks = plan.views.map((vp) => distinctKeys(store, vp, keyCols, n));
  const recent = plan.views.map((vp) => vp.view.tiling !== undefined && data.materialization[vp.view.name]?.recentRows === true);
  return { req, input, n, plan, keyCols, vks, recent };
}

/**
 * The feature list of a tiles read, one array for every read: online stores cache their decode plan
 * by the list's identity (the SQLite and Redis ColumnReader), and a fresh array per read made each
 * read build two plans (ADR 0098, third addendum).
 */
const TILES_FEATURES: readonly string[] = [TILES_COLUMN];

function readRequests(plan: RequestPlan, vks: ViewKeys[], recent: boolean[]): OnlineColumnarRequest[] {
  const reqs = plan.views.map((vp, i) =>
    // An aggregation view's row is its tiles, merged below at the request time.
    vp.view.tiling
      ? { view: tileStorageSpec(vp.view), keys: vks[i]!.keys, features: TILES_FEATURES }
      : { view: vp.view, keys: vks[i]!.keys, features: vp.read },
  );
  // Then the recent rows of each aggregation view that has live ones (recent-row.ts), in the same call: one round trip.
  plan.views.forEach((vp, i) => {
    if (recent[i]) reqs.push({ view: recentStorageSpec(vp.view), keys: vks[i]!.keys, features: TILES_FEATURES });
  });
  return reqs;
}

/**
 * Reads the latest feature values for entity rows: one read per view (duplicate keys read once),
 * statuses per value, on-demand views computed with request data. See OnlineFeaturesRequest.
 */
export async function getOnlineFeatures(store: FeatureStore, req: OnlineFeaturesRequest): Promise<OnlineFeaturesResponse> {
  const data = await store.registry.data();
  const p = prepare(store, data, req);
  const online = await store.onlineStore();
  let reads: OnlineColumnarRead[];
  try {
    reads = p.vks.length === 0 ? [] : await online.readColumnsMany(store.project, readRequests(p.plan, p.vks, p.recent));
  } catch (err) {
    throw toFrecError(err);
  }
  return finish(p, reads);
}

/**
 * getOnlineFeatures, answered synchronously when it can be: the registry's data is cached, the
 * online store is created and reads in process (`readColumnsManyNow`, SQLite). Otherwise, or when
 * that store needs I/O after all, a promise. The same response and errors either way; a server
 * skips a promise and a microtask hop per layer on a path whose whole budget is tens of
 * microseconds (docs/profiles/feature-server.md).
 */
export function getOnlineFeaturesNow(
  store: FeatureStore,
  req: OnlineFeaturesRequest,
): OnlineFeaturesResponse | Promise<OnlineFeaturesResponse> {
  const data = store.registry.cachedData();
  const online = store.createdOnlineStore();
  if (data === undefined || online?.readColumnsManyNow === undefined) return getOnlineFeatures(store, req);
  const p = prepare(store, data, req);
  if (p.vks.length === 0) return finish(p, []);
  let reads: OnlineColumnarRead[] | Promise<OnlineColumnarRead[]>;
  try {
    reads = online.readColumnsManyNow(store.project, readRequests(p.plan, p.vks, p.recent));
  } catch (err) {
    throw toFrecError(err);
  }
  if (reads instanceof Promise)
    return reads.then(
      (r) => finish(p, r),
      (err: unknown) => {
        throw toFrecError(err);
      },
    );
  return finish(p, reads);
}

function finish(p: PreparedRead, reads: OnlineColumnarRead[]): OnlineFeaturesResponse {
  const { req, input, n, plan, keyCols, vks, recent } = p;
  const now = req.requestTime === undefined ? Date.now() : +req.requestTime;
  let extra = plan.views.length;
  for (let i = 0; i < plan.views.length; i++)
    if (plan.views[i]!.view.tiling) reads[i] = tiledRead(plan.views[i]!, reads[i]!, recent[i] ? reads[extra++]! : undefined, now);
  reads.length = plan.views.length;
  const allPresent = new Array<FeatureStatus>(n).fill('PRESENT');
  const results = plan.views.map((vp, i) => viewResult(vp, vks[i]!, reads[i]!, n, now, allPresent));

  const nk = plan.joinKeys.length;
  const ncol = nk + plan.outputs.length;
  const values = new Array<FeatureValue[]>(ncol);
  const statuses = new Array<FeatureStatus[]>(ncol);
  const times = new Array<ArrayLike<number>>(ncol);
  const zeros = new Float64Array(n);
  for (let j = 0; j < nk; j++) {
    values[j] = keyCols[j]!;
    statuses[j] = allPresent;
    times[j] = zeros;
  }
  plan.outputs.forEach((o, i) => {
    const c = nk + i;
    if (o.kind === 'odfv') {
      values[c] = new Array<FeatureValue>(n);
      statuses[c] = new Array<FeatureStatus>(n);
      times[c] = zeros;
      return;
    }
    const vr = results[o.view]!;
    times[c] = vr.eventTimes;
    const src = vr.read.values[o.feature]!;
    const { rowToKey, state } = vr;
    let vals: FeatureValue[];
    if (vr.identity && o.firstUse) {
      // The store's column is already in row order: keep it, no copy (only for its first output
      // column). Transforms read stale values through `state`, never through this column, so
      // nulling them here is safe.
      vals = src;
      if (vr.anyExpired) for (let r = 0; r < n; r++) if (state[r] === EXPIRED) vals[r] = null;
    } else {
      vals = new Array<FeatureValue>(n);
      for (let r = 0; r < n; r++) {
        const u = rowToKey[r]!;
        vals[r] = state[u] === PRESENT ? src[u]! : null;
      }
    }
    values[c] = vals;
    // Columns share their view's row statuses unless a present value is null; a column the
    // store reports null-free (and with no expired values nulled above) needs no scan.
    const rowStatus = vr.rowStatus;
    let st = rowStatus;
    if (vr.read.nullable?.[o.feature] === 0 && !vr.anyExpired) {
      statuses[c] = st;
      return;
    }
    for (let r = 0; r < n; r++) {
      if (vals[r] === null && rowStatus[r] === 'PRESENT') {
        if (st === rowStatus) st = rowStatus.slice();
        st[r] = 'NULL_VALUE';
      }
    }
    statuses[c] = st;
  });
  if (plan.odfvs.length > 0) computeOdfvs(plan, req, input, results, n, values, statuses, nk);

  const errors: OnlineRowError[] = [];
  for (let vi = 0; vi < results.length; vi++) {
    const vr = results[vi]!;
    const errs = vr.read.errors;
    if (!errs) continue;
    for (let r = 0; r < n; r++) {
      const e = errs[vr.rowToKey[r]!];
      if (e) errors.push({ row: r, featureView: plan.views[vi]!.view.name, error: e instanceof FrecError ? e : toFrecError(e) });
    }
  }
  return new OnlineFeaturesResponse(plan.featureNames, values, statuses, times, errors);
}
