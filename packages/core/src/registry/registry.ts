import { ErrorCode, NotFoundError, RegistryError } from '../errors.js';
import { didYouMean } from '../names.js';
import type { EntitySpec, FeatureServiceSpec, FeatureViewSpec, OnDemandFeatureViewSpec } from '../definitions/specs.js';
import { emptyRegistry, type MaterializationState, type RegistryData } from './registry-data.js';
import type { RegistrySnapshot, RegistryStore } from './registry-store.js';

/**
 * The Registry reads and caches the project's applied objects. Reads within `cacheTtlSeconds`
 * reuse the last snapshot so serving code does not touch storage per request.
 */
export class Registry {
  private cached: { snapshot: RegistrySnapshot | null; at: number } | undefined;

  constructor(
    readonly store: RegistryStore,
    readonly project: string,
    readonly cacheTtlSeconds = 5,
  ) {}

  /** The current snapshot (cached), or null if nothing was applied yet. */
  async snapshot(options: { fresh?: boolean } = {}): Promise<RegistrySnapshot | null> {
    const now = Date.now();
    if (!options.fresh && this.cached && now - this.cached.at < this.cacheTtlSeconds * 1000) return this.cached.snapshot;
    const snapshot = await this.store.read();
    if (snapshot && snapshot.data.project !== this.project) {
      throw new RegistryError(
        ErrorCode.REGISTRY_CORRUPT,
        `Registry at ${this.store.location} belongs to project '${snapshot.data.project}', not '${this.project}'.`,
        {
          where: { file: this.store.location },
          hint: "Point feature_store.yaml at this project's own registry path.",
        },
      );
    }
    this.cached = { snapshot, at: now };
    return snapshot;
  }

  /** The registry data; an empty registry when nothing was applied. */
  async data(options: { fresh?: boolean } = {}): Promise<RegistryData> {
    return (await this.snapshot(options))?.data ?? emptyRegistry(this.project);
  }

  /**
   * The cached data while it is fresh, else undefined (then call data()): serving code reads it
   * without a promise per request.
   */
  cachedData(): RegistryData | undefined {
    const c = this.cached;
    if (!c || Date.now() - c.at >= this.cacheTtlSeconds * 1000) return undefined;
    return c.snapshot?.data ?? emptyRegistry(this.project);
  }

  /** Seconds since the registry was last read from storage (for the registry-age metric). */
  ageSeconds(): number {
    return this.cached ? (Date.now() - this.cached.at) / 1000 : Number.POSITIVE_INFINITY;
  }

  /** Writes new data conditionally on `expected`; throws REGISTRY_CONFLICT if someone wrote meanwhile. */
  async commit(data: RegistryData, expected: RegistrySnapshot | null): Promise<RegistrySnapshot> {
    const written = await this.store.write(data, expected ? expected.token : null);
    this.cached = { snapshot: written, at: Date.now() };
    return written;
  }

  /**
   * Applies a change to fresh data with optimistic concurrency, retrying on conflict.
   * Only for merges that are safe to repeat (materialization watermarks), never for `apply`.
   */
  async update(mutate: (data: RegistryData) => RegistryData, attempts = 20): Promise<RegistryData> {
    for (let i = 0; ; i++) {
      const snap = await this.snapshot({ fresh: true });
      const base = structuredClone(snap?.data ?? emptyRegistry(this.project));
      const next = mutate(base);
      next.generation = (snap?.data.generation ?? 0) + 1;
      next.lastUpdated = new Date().toISOString();
      try {
        return (await this.commit(next, snap)).data;
      } catch (err) {
        if (!(err instanceof RegistryError) || err.code !== ErrorCode.REGISTRY_CONFLICT || i >= attempts) throw err;
        await new Promise((r) => setTimeout(r, Math.random() * 20 * (i + 1)));
      }
    }
  }

  async getFeatureView(name: string): Promise<FeatureViewSpec> {
    const data = await this.data();
    const fv = data.featureViews[name];
    if (fv) return fv.spec;
    const all = [...Object.keys(data.featureViews), ...Object.keys(data.onDemandFeatureViews)];
    throw new NotFoundError(
      ErrorCode.UNKNOWN_FEATURE_VIEW,
      `Feature view '${name}' is not in project '${this.project}'.${didYouMean(name, all)}`,
      {
        where: { featureView: name, project: this.project },
        hint: 'Run `frec feature-views list` to see what is applied, or `frec apply` after declaring it.',
      },
    );
  }

  async getOnDemandFeatureView(name: string): Promise<OnDemandFeatureViewSpec> {
    const data = await this.data();
    const v = data.onDemandFeatureViews[name];
    if (v) return v.spec;
    throw new NotFoundError(
      ErrorCode.UNKNOWN_FEATURE_VIEW,
      `On-demand feature view '${name}' is not in project '${this.project}'.${didYouMean(name, Object.keys(data.onDemandFeatureViews))}`,
      {
        where: { featureView: name, project: this.project },
      },
    );
  }

  async getFeatureService(name: string): Promise<FeatureServiceSpec> {
    const data = await this.data();
    const s = data.featureServices[name];
    if (s) return s.spec;
    throw new NotFoundError(
      ErrorCode.UNKNOWN_FEATURE_SERVICE,
      `Feature service '${name}' is not in project '${this.project}'.${didYouMean(name, Object.keys(data.featureServices))}`,
      {
        where: { featureService: name, project: this.project },
        hint: 'Run `frec feature-services list` to see what is applied.',
      },
    );
  }

  async getEntity(name: string): Promise<EntitySpec> {
    const data = await this.data();
    const e = data.entities[name];
    if (e) return e.spec;
    throw new NotFoundError(
      ErrorCode.UNKNOWN_ENTITY,
      `Entity '${name}' is not in project '${this.project}'.${didYouMean(name, Object.keys(data.entities))}`,
      {
        where: { entity: name, project: this.project },
      },
    );
  }

  async materializationState(view: string): Promise<MaterializationState> {
    return (await this.data({ fresh: true })).materialization[view] ?? { watermark: null, intervals: [] };
  }

  /**
   * Records a materialized interval and moves the view's watermark forward (never backward).
   * `tiles` (aggregation views, recent-row.ts): `recent` (recent rows written: reads look them up),
   * `compact` (every live recent row merged into the base rows: the tile base moves to `end`, no
   * recent row is live) or `full` (base rows rewritten: the tile base moves to `end` unless recent
   * rows are live, whose runs then go on from the old tile base).
   */
  async recordMaterialization(view: string, start: Date, end: Date, tiles?: 'full' | 'compact' | 'recent'): Promise<void> {
    await this.update((d) => {
      const st = d.materialization[view] ?? { watermark: null, intervals: [] };
      if (tiles === 'compact' || (tiles === 'full' && st.recentRows !== true)) st.tileBase = end.toISOString();
      if (tiles === 'recent') st.recentRows = true;
      if (tiles === 'compact') delete st.recentRows;
      st.intervals.push([start.toISOString(), end.toISOString()]);
      if (st.intervals.length > 100) st.intervals = st.intervals.slice(-100);
      if (!st.watermark || st.watermark < end.toISOString()) st.watermark = end.toISOString();
      d.materialization[view] = st;
      return d;
    });
  }
}
