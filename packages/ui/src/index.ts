/**
 * @frec/ui: the frec web console (catalog, lineage, freshness, distributions and drift, serving,
 * models, registry history) as pages under /ui/ and a read-only JSON API under /api/. `frec ui`
 * runs it on its own; `frec serve --ui` mounts it in the feature server. See docs/ui.md.
 */
export { mountConsole, consoleExtension } from './mount-console.js';
export { createConsoleServer, DEFAULT_CONSOLE_PORT, type ConsoleServer, type ConsoleServerOptions } from './console-server.js';
export {
  createConsoleContext,
  DEFAULT_FEATURE_LOG_DIR,
  DEFAULT_SKEW_REPORT_DIR,
  DEFAULT_MAX_LAG,
  type ConsoleOptions,
  type ConsoleContext,
} from './console-context.js';
export { registrySource, urlSource, MetricsSampler, type MetricSource } from './metrics/metric-sources.js';
export { summarizeServing, type ServingSummary, type EndpointRow, type LatencyRow, type ShadowRow } from './metrics/serving-summary.js';
export { parsePrometheusText, type Exposition, type Sample } from './metrics/prometheus-text.js';
export { histogramQuantile } from './metrics/histogram-quantile.js';
export { featureDistribution, type Distribution } from './drift/distribution.js';
export { psi, numericBins, categoricalBins, NUMERIC_BINS, TOP_CATEGORIES, PSI_EPSILON, type Bin } from './drift/bins.js';
export { skewReportSchema, type SkewReport } from './drift/skew-reports.js';
export { ConsoleErrorCode } from './console-errors.js';
export { CONSOLE_ASSETS_DIR } from './routes/static-routes.js';
