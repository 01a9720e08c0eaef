import os from 'node:os';
import path from 'node:path';
import { tileStorageSpec } from './aggregations/tiles.js';
import { ErrorCode, RegistryError } from './errors.js';
import { loadRepoConfig, type RepoConfig } from './config/repo-config.js';
import { withSource } from './config/config-errors.js';
import type { Transform } from './definitions/on-demand-feature-view.js';
import type { FeatureViewSpec } from './definitions/specs.js';
import { resolveFeatures, type FeatureSelector } from './feature-refs.js';
import { getOnlineFeatures, type OnlineFeaturesRequest, type OnlineFeaturesResponse } from './online/get-online-features.js';
import { createRegistryStore } from './registry/create-registry-store.js';
import { emptyRegistry } from './registry/registry-data.js';
import { Registry } from './registry/registry.js';
import { importDefinitions } from './repo/load-repo.js';
import { applyPlanToRegistry, computePlan, recordApply, sitesDiffer, type Plan } from './repo/plan.js';
import { buildRepoContents, type RepoContents } from './repo/repo-contents.js';
import { createOfflineStore, createOnlineStore } from './stores/factories.js';
import type { EntityInput, OfflineStore, RetrievalJob } from './stores/offline-store.js';
import type { OnlineStore, OnlineWriteResult } from './stores/online-store.js';
import { compileTransform } from './transforms.js';
import type { DataSource } from './definitions/sources.js';
import type { MaterializeOptions, MaterializeResult } from './materialize/materialize.js';
import type { PushOptions, PushResult } from './push/push.js';
import type { ViewFreshness } from './streaming/freshness.js';

export interface OpenOptions {
  /** Folder holding feature_store.yaml (default: the current directory). */
  repoPath?: string;
  /** An already parsed config, instead of reading feature_store.yaml. */
  config?: RepoConfig;
  /** Definitions loaded in this process; their transforms are used instead of the registry's source text. */
  definitions?: RepoContents;
  /**
   * Plugin modules to load when a store is first needed, after those the config lists under
   * `plugins:` (the CLI passes the built-in backends this way).
   */
  plugins?: readonly string[];
}

export interface ApplyResult {
  plan: Plan;
  generation: number;
}

export interface HistoricalFeaturesRequest {
  entities: EntityInput;
  fullFeatureNames?: boolean;
  /** Name of the entity rows' event timestamp column (default 'event_timestamp'). */
  timestampColumn?: string;
}

/** Who runs an apply, for the registry's history: the OS account, else $USER, else ''. */
function applyingUser(): string {
  try {
    return os.userInfo().username;
  } catch {
    return process.env.USER ?? process.env.USERNAME ?? '';
  }
}

/**
 * The FeatureStore is the SDK's entry point: it reads the repo config and registry, and
 * serves features from the online and offline stores that the config names.
 * @example
 * const store = await FeatureStore.open({ repoPath: 'feature_repo' });
 * const res = await store.getOnlineFeatures({ features: ['user_stats:mean_rating'], entityRows: [{ user_id: 1 }] });
 */
export class FeatureStore {
  readonly config: RepoConfig;
  readonly registry: Registry;
  private definitions: RepoContents | undefined;
  private online: Promise<OnlineStore> | undefined;
  private onlineNow: OnlineStore | undefined;
  private readonly decorators = new Map<string, (store: OnlineStore) => OnlineStore>();
  private offline: Promise<OfflineStore> | undefined;

  private constructor(config: RepoConfig, registry: Registry, definitions?: RepoContents) {
    this.config = config;
    this.registry = registry;
    this.definitions = definitions;
  }

  static async open(options: OpenOptions = {}): Promise<FeatureStore> {
    const loaded = options.config ?? loadRepoConfig(options.repoPath ?? process.cwd());
    const extra = (options.plugins ?? []).filter((p) => !loaded.plugins.includes(p));
    const config = extra.length > 0 ? withSource({ ...loaded, plugins: [...loaded.plugins, ...extra] }, loaded) : loaded;
    const store = await createRegistryStore(config);
    return new FeatureStore(config, new Registry(store, config.project, config.registry.cache_ttl_seconds), options.definitions);
  }

  get project(): string {
    return this.config.project;
  }

  /** Imports the repo's definition files (TypeScript) and validates them as a whole. */
  async loadDefinitions(): Promise<RepoContents> {
    const found = await importDefinitions(this.config.repoPath);
    this.definitions = buildRepoContents(found);
    return this.definitions;
  }

  /** The online store named in the config, created on first use. */
  onlineStore(): Promise<OnlineStore> {
    this.online ??= this.track(
      createOnlineStore(this.config)
        .then((s) => [...this.decorators.values()].reduce((acc, decorate) => decorate(acc), s))
        .catch((err) => {
          this.online = undefined;
          throw err;
        }),
    );
    return this.online;
  }

  /** The online store once created (decorators applied), else undefined: reads skip a promise per request. */
  createdOnlineStore(): OnlineStore | undefined {
    return this.onlineNow;
  }

  private track(p: Promise<OnlineStore>): Promise<OnlineStore> {
    this.onlineNow = undefined;
    void p.then(
      (s) => {
        if (this.online === p) this.onlineNow = s;
      },
      () => undefined,
    );
    return p;
  }

  /**
   * Wraps the online store in a decorator (metrics, tracing), once per `key`: every later read and
   * write goes through it, including those of a store already created.
   * @example store.decorateOnlineStore('metrics', (s) => new InstrumentedOnlineStore(s, metrics));
   */
  decorateOnlineStore(key: string, decorate: (store: OnlineStore) => OnlineStore): void {
    if (this.decorators.has(key)) return;
    this.decorators.set(key, decorate);
    if (this.online) this.online = this.track(this.online.then(decorate));
  }

  /** The offline store named in the config, created on first use. */
  offlineStore(): Promise<OfflineStore> {
    this.offline ??= createOfflineStore(this.config).catch((err) => {
      this.offline = undefined;
      throw err;
    });
    return this.offline;
  }

  /** What `apply` would change. */
  async plan(contents?: RepoContents): Promise<Plan> {
    const repo = contents ?? this.definitions ?? (await this.loadDefinitions());
    return computePlan(repo, await this.registry.data({ fresh: true }));
  }

  /**
   * Validates the definitions (file sources against their Parquet schemas too), writes them
   * to the registry with an optimistic-concurrency check, and updates online-store infrastructure.
   */
  async apply(contents?: RepoContents, options: { validateSources?: boolean; baseGeneration?: number } = {}): Promise<ApplyResult> {
    const repo = contents ?? this.definitions ?? (await this.loadDefinitions());
    this.definitions = repo;
    const snap = await this.registry.snapshot({ fresh: true });
    const current = snap?.data ?? emptyRegistry(this.project);
    // A plan reviewed at one generation must not be applied over another's later changes.
    if (options.baseGeneration !== undefined && options.baseGeneration !== current.generation) {
      throw new RegistryError(
        ErrorCode.REGISTRY_CONFLICT,
        `Registry at ${this.registry.store.location} moved from generation ${options.baseGeneration} (the plan's base) to ${current.generation}: someone else applied meanwhile.`,
        {
          where: { file: this.registry.store.location },
          hint: 'Run `frec plan` again, merge their changes into your definitions, and re-apply.',
        },
      );
    }
    const plan = computePlan(repo, current);
    if (options.validateSources !== false) {
      const offline = await this.offlineStore();
      for (const fv of repo.featureViews.values()) await offline.validateSource(fv);
    }
    const now = new Date();
    const applied = applyPlanToRegistry(repo, current, now, { repoPath: this.config.repoPath });
    // Moving a declaration changes no object, but the console shows where each one is declared.
    const commit = plan.changes.length > 0 || !snap || sitesDiffer(current, applied);
    const next = plan.changes.length > 0 || !snap ? recordApply(applied, plan, applyingUser(), now) : applied;
    if (commit) await this.registry.commit(next, snap);
    const removed = plan.changes
      .filter((c) => c.kind === 'featureViews' && c.type === 'remove')
      .map((c) => current.featureViews[c.name]!.spec);
    const online = await this.onlineStore();
    const keep = [...repo.featureViews.values()].filter((v) => v.online).map((v) => (v.tiling ? tileStorageSpec(v) : v));
    await online.update({ project: this.project, keep, remove: removed });
    return { plan, generation: commit ? next.generation : current.generation };
  }

  /** Removes the online data of every applied view and the registry itself. */
  async teardown(): Promise<void> {
    const data = await this.registry.data({ fresh: true });
    const online = await this.onlineStore();
    await online.teardown({ project: this.project, views: Object.values(data.featureViews).map((v) => v.spec) });
    await this.registry.store.delete();
  }

  /** The transform of an on-demand view: the in-process function when loaded, else rebuilt from the registry. */
  transformOf(name: string, spec: Parameters<typeof compileTransform>[0]): Transform {
    return this.definitions?.transforms.get(name) ?? compileTransform(spec);
  }

  /** Reads the latest feature values for entity rows; see OnlineFeaturesRequest. */
  getOnlineFeatures(request: OnlineFeaturesRequest): Promise<OnlineFeaturesResponse> {
    return getOnlineFeatures(this, request);
  }

  /** Builds a point-in-time-correct training set: for each entity row, the feature values as of its timestamp. */
  async getHistoricalFeatures(request: HistoricalFeaturesRequest & FeatureSelector): Promise<RetrievalJob> {
    const data = await this.registry.data();
    const resolved = resolveFeatures(data, request);
    const transforms = new Map<string, Transform>();
    const odfvSpecs = new Map(resolved.odfvs.map((o) => [o.view.name, o.view]));
    for (const o of resolved.odfvs) transforms.set(o.view.name, this.transformOf(o.view.name, o.view));
    const offline = await this.offlineStore();
    return offline.getHistoricalFeatures({
      entities: request.entities,
      resolved,
      fullFeatureNames: request.fullFeatureNames ?? false,
      timestampColumn: request.timestampColumn ?? 'event_timestamp',
      transforms,
      odfvSpecs,
      sources: Object.values(data.dataSources).map((s) => s.spec),
    });
  }

  /** Writes rows for a view straight to the online store (values by feature name, join keys, and its timestamp field). */
  async writeToOnlineStore(viewName: string, rows: ReadonlyArray<Record<string, unknown>>): Promise<OnlineWriteResult> {
    const { writeRowsToOnline } = await import('./online/write-to-online.js');
    const view = await this.registry.getFeatureView(viewName);
    return writeRowsToOnline(this, view, rows);
  }

  /**
   * Copies the latest offline values with event time in [start, end) into the online store.
   * @example await store.materialize(new Date('2024-01-01'), new Date(), { views: ['user_stats'] });
   */
  async materialize(start: Date, end: Date, options?: MaterializeOptions): Promise<MaterializeResult> {
    const m = await import('./materialize/materialize.js');
    return m.materialize(this, start, end, options);
  }

  /** Materializes each view from its registry watermark up to `end`. */
  async materializeIncremental(end: Date, options?: MaterializeOptions): Promise<MaterializeResult> {
    const m = await import('./materialize/materialize.js');
    return m.materializeIncremental(this, end, options);
  }

  /** Validates rows and writes them through a push source to the online store, the offline store, or both. */
  async push(source: string | DataSource, rows: ReadonlyArray<Record<string, unknown>>, options?: PushOptions): Promise<PushResult> {
    const m = await import('./push/push.js');
    return m.push(this, source, rows, options);
  }

  /** Newest-value age and consumer lag per view, for metrics and stale-feature fallbacks. */
  async freshness(views?: readonly string[]): Promise<ViewFreshness[]> {
    const m = await import('./streaming/freshness.js');
    return m.viewFreshness(this, views);
  }

  /** Looks up an applied feature view. */
  getFeatureView(name: string): Promise<FeatureViewSpec> {
    return this.registry.getFeatureView(name);
  }

  /** A path relative to the repo folder. */
  resolvePath(p: string): string {
    return path.isAbsolute(p) ? p : path.join(this.config.repoPath, p);
  }

  async close(): Promise<void> {
    const closing: Array<Promise<void>> = [];
    if (this.online) closing.push(this.online.then((s) => s.close()).catch(() => undefined));
    if (this.offline) closing.push(this.offline.then((s) => s.close()).catch(() => undefined));
    this.online = undefined;
    this.onlineNow = undefined;
    this.offline = undefined;
    await Promise.all(closing);
  }
}
