/**
 * @frec/monitoring: what serving writes and the daily job reads to watch a model in production
 * (docs/monitoring-contract.md): the sampled feature log and the impression log (batched Parquet,
 * partitioned by UTC date), the daily skew report (PSI, null/default and out-of-range shares per
 * feature, as a file and as Prometheus gauges) and the engagement report (CTR proxy, hit rate,
 * weekly catalog coverage).
 * @example
 * const log = new FeatureLogger({ dir: 'data/monitoring/feature-log', sampleRate: 0.01, writer: 'feature-server' });
 * const report = computeSkewReport({ date, reference, served: await readFeatureLogDay(dir, date) });
 */
export { ParquetLogWriter, type ParquetLogOptions, type LogColumn, type LogColumnType } from './parquet-log/parquet-log-writer.js';
export {
  FeatureLogger,
  FEATURE_LOG_COLUMNS,
  DEFAULT_FEATURE_LOG_DIR,
  featureLoggingConfigSchema,
  entityKeyOf,
  type FeatureLoggingConfig,
  type FeatureLoggerOptions,
} from './feature-log/feature-log.js';
export { ImpressionLogger, IMPRESSION_LOG_COLUMNS, DEFAULT_IMPRESSION_LOG_DIR, type ServedList } from './impression-log/impression-log.js';
export { psi, quantileEdges, numericBins, sortedQuantile, NUMERIC_BINS, TOP_CATEGORIES, PSI_EPSILON, type SkewBin } from './skew/psi.js';
export {
  computeSkewReport,
  compareFeature,
  DEFAULT_PSI_THRESHOLD,
  type FeatureSample,
  type SkewFeature,
  type SkewReport,
} from './skew/skew-report.js';
export {
  writeSkewReport,
  latestSkewReport,
  readFeatureLogDay,
  queryParquet,
  sqlLiteral,
  DEFAULT_SKEW_REPORT_DIR,
} from './skew/skew-files.js';
export { SkewGauges } from './skew/skew-gauges.js';
export {
  engagementReport,
  isoWeekStart,
  type Impression,
  type Interaction,
  type EngagementFigures,
  type EngagementReport,
  type WeeklyCoverage,
} from './engagement/engagement-report.js';
export { readImpressions } from './engagement/read-impressions.js';
export { MonitoringErrorCode } from './errors.js';
