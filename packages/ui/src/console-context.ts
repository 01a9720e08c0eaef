import path from 'node:path';
import type { FeatureStore } from '@frec/core';
import { resolveRepoPath } from '@frec/core/spi';
import { DEFAULT_MODEL_REGISTRY_DIR, openModelRegistry, type ModelRegistry } from '@frec/model-registry';
import { DuckSession } from './drift/duck-session.js';
import type { DriftLocations } from './drift/distribution.js';
import { MetricsSampler, type MetricSource } from './metrics/metric-sources.js';

/** Where the monitoring contract puts served feature values, under the repo, unless configured. */
export const DEFAULT_FEATURE_LOG_DIR = 'data/monitoring/feature-log';
/** Where the daily skew reports go, under the repo, unless configured. */
export const DEFAULT_SKEW_REPORT_DIR = 'data/monitoring/skew';
/** Consumer lag (pending + undelivered messages) past which a stream view is shown as lagging. */
export const DEFAULT_MAX_LAG = 1000;

/** Options of the console, whether mounted in `frec serve --ui` or run by `frec ui`. */
export interface ConsoleOptions {
  /** Model registry folder or s3:// location (default $FREC_MODEL_REGISTRY, else <repo>/data/models). */
  modelRegistry?: string;
  /** Feature-log folder (default feature_server.feature_logging.path, else data/monitoring/feature-log). */
  featureLogDir?: string;
  /** Skew-report folder (default data/monitoring/skew). */
  skewReportDir?: string;
  /** Where the serving page reads metrics: this process's registries (serve --ui) or /metrics URLs (frec ui). */
  metrics?: readonly MetricSource[];
  /** Scrapes closer together than this reuse the last one (default 1000 ms), so many open pages cost one scrape. */
  metricsMinIntervalMs?: number;
  /** Consumer lag past which a stream view is shown as lagging (default 1000). */
  maxLag?: number;
  /** Latency budget per recommender stage in ms, shown beside the live percentiles. */
  stageBudgetsMs?: Record<string, number>;
  /** The feature server the curl snippets call (default: this origin when mounted, else feature_server host and port). */
  featureServerUrl?: string;
  /** Environment to read FREC_MODEL_REGISTRY from (default process.env). */
  env?: NodeJS.ProcessEnv;
}

/** What every API route works from. */
export interface ConsoleContext {
  store: FeatureStore;
  models: ModelRegistry;
  duck: DuckSession;
  sampler: MetricsSampler;
  drift: DriftLocations;
  maxLag: number;
  stageBudgetsMs: Record<string, number>;
  featureServerUrl: string | null;
  /** Shown on the overview: where things are read from, relative to the repo where possible. */
  describe: { modelRegistry: string; featureLogDir: string; skewReportDir: string; metrics: string[] };
}

function loggingPath(store: FeatureStore): string | undefined {
  const section = store.config.feature_server as { feature_logging?: { path?: unknown } } | undefined;
  const p = section?.feature_logging?.path;
  return typeof p === 'string' && p.length > 0 ? p : undefined;
}

/** Resolves the console's options against the repo: folders relative to it, defaults from the monitoring contract. */
export function createConsoleContext(store: FeatureStore, options: ConsoleOptions = {}): ConsoleContext {
  const env = options.env ?? process.env;
  const repo = store.config.repoPath;
  const modelLocation = options.modelRegistry || env.FREC_MODEL_REGISTRY || DEFAULT_MODEL_REGISTRY_DIR;
  const featureLogDir = resolveRepoPath({ repoPath: repo }, options.featureLogDir ?? loggingPath(store) ?? DEFAULT_FEATURE_LOG_DIR);
  const skewReportDir = resolveRepoPath({ repoPath: repo }, options.skewReportDir ?? DEFAULT_SKEW_REPORT_DIR);
  const rel = (p: string) => {
    const r = path.relative(repo, p);
    return r && !r.startsWith('..') && !path.isAbsolute(r) ? r : p;
  };
  const metrics = options.metrics ?? [];
  return {
    store,
    models: openModelRegistry(modelLocation, { baseDir: repo }),
    duck: new DuckSession(),
    sampler: new MetricsSampler(metrics, { minIntervalMs: options.metricsMinIntervalMs ?? 1000 }),
    drift: { repoPath: repo, featureLogDir, skewReportDir },
    maxLag: options.maxLag ?? DEFAULT_MAX_LAG,
    stageBudgetsMs: options.stageBudgetsMs ?? {},
    featureServerUrl: options.featureServerUrl ?? null,
    describe: {
      modelRegistry: /^s3:\/\//.test(modelLocation) ? modelLocation : rel(path.resolve(repo, modelLocation)),
      featureLogDir: rel(featureLogDir),
      skewReportDir: rel(skewReportDir),
      metrics: metrics.map((m) => m.name),
    },
  };
}
