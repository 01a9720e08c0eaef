import path from 'node:path';
import type { Command } from 'commander';
import { ErrorCode, FrecError, type FeatureStore } from '@frec/core';
import { resolveRepoPath } from '@frec/core/spi';
import { batchSourceOf, sourceGlob } from '@frec/offline';
import {
  DEFAULT_FEATURE_LOG_DIR,
  DEFAULT_PSI_THRESHOLD,
  DEFAULT_SKEW_REPORT_DIR,
  MonitoringErrorCode,
  computeSkewReport,
  queryParquet,
  readFeatureLogDay,
  sqlLiteral,
  writeSkewReport,
  type FeatureSample,
  type SkewReport,
} from '@frec/monitoring';
import { withStore } from '../context.js';
import { emit, globalsOf, table, type GlobalOptions } from '../output.js';

interface SkewOptions {
  date?: string;
  trainingSet?: string;
  threshold: string;
  logDir?: string;
  outDir?: string;
  maxReferenceRows: string;
}

const ident = (s: string): string => `"${s.replaceAll('"', '""')}"`;

/** A column's values from Parquet files, arrays as their length (as the feature log holds them). */
async function columnValues(glob: string, column: string, limit: number): Promise<FeatureSample> {
  const types = await queryParquet(`DESCRIBE SELECT ${ident(column)} FROM read_parquet(${sqlLiteral(glob)}, union_by_name = true)`);
  const list = /\[\]$|^LIST|^STRUCT/.test(String(types[0]?.column_type ?? ''));
  const expr = list ? `len(${ident(column)})` : ident(column);
  const rows = await queryParquet(
    `SELECT ${expr} AS v FROM read_parquet(${sqlLiteral(glob)}, union_by_name = true) USING SAMPLE reservoir(${limit} ROWS) REPEATABLE (42)`,
  );
  return {
    values: rows.map((r) => {
      const v = r.v;
      if (v === null || v === undefined) return null;
      if (typeof v === 'bigint') return Number(v);
      return typeof v === 'number' || typeof v === 'string' || typeof v === 'boolean' ? v : String(v);
    }),
  };
}

/** Reference values per logged feature: the training set's columns, or each view's offline source. */
async function referenceOf(
  store: FeatureStore,
  features: readonly string[],
  o: SkewOptions,
): Promise<{
  kind: SkewReport['reference']['kind'];
  name: string;
  samples: Map<string, FeatureSample>;
  skipped: Array<{ feature: string; reason: string }>;
}> {
  const limit = Number(o.maxReferenceRows);
  const samples = new Map<string, FeatureSample>();
  const skipped: Array<{ feature: string; reason: string }> = [];
  if (o.trainingSet) {
    const file = path.resolve(o.trainingSet);
    const cols = new Set(
      (await queryParquet(`DESCRIBE SELECT * FROM read_parquet(${sqlLiteral(file)})`)).map((c) => String(c.column_name)),
    );
    for (const f of features) {
      const [view, feature] = f.split(':') as [string, string];
      const col = [`${view}__${feature}`, feature].find((c) => cols.has(c));
      if (!col) skipped.push({ feature: f, reason: `no column ${view}__${feature} or ${feature} in ${file}` });
      else samples.set(f, await columnValues(file, col, limit));
    }
    return { kind: 'training_set', name: file, samples, skipped };
  }
  for (const f of features) {
    const [viewName, feature] = f.split(':') as [string, string];
    try {
      const view = await store.registry.getFeatureView(viewName);
      const source = batchSourceOf(view);
      const col = Object.entries(source.fieldMapping).find(([, to]) => to === feature)?.[0] ?? feature;
      samples.set(f, await columnValues(sourceGlob(source, store.config.repoPath), col, limit));
    } catch (err) {
      // Stream aggregates (last-N, windows) have no column in the raw events: compared against a training set only.
      skipped.push({ feature: f, reason: (err as Error).message.split('\n')[0]!.slice(0, 200) });
    }
  }
  return { kind: 'offline_source', name: 'batch sources of the logged views', samples, skipped };
}

/** Registers `frec monitor skew`. */
export function registerMonitorCommands(program: Command): void {
  const monitor = program.command('monitor').description('watch served features: the daily skew report');
  monitor
    .command('skew')
    .description(
      "compare one day of the feature log with the training set's (or the offline sources') values per feature: PSI, null/default share, out-of-range share; writes <skew dir>/<date>.json",
    )
    .option('--date <YYYY-MM-DD>', 'the served day (default: yesterday, UTC)')
    .option(
      '--training-set <file.parquet>',
      "reference values from a training set's columns (view__feature or feature) instead of the offline sources",
    )
    .option('--threshold <psi>', 'PSI over which a feature is flagged', String(DEFAULT_PSI_THRESHOLD))
    .option('--log-dir <path>', `feature log folder (default: feature_server.feature_logging.path, else ${DEFAULT_FEATURE_LOG_DIR})`)
    .option('--out-dir <path>', `report folder (default: ${DEFAULT_SKEW_REPORT_DIR})`)
    .option('--max-reference-rows <n>', 'reference rows sampled per feature', '200000')
    .action(async (o: SkewOptions, cmd: Command) => {
      const g = globalsOf(cmd) as GlobalOptions;
      const date = o.date ?? new Date(Date.now() - 86_400_000).toISOString().slice(0, 10);
      if (!/^\d{4}-\d{2}-\d{2}$/.test(date) || Number.isNaN(Date.parse(date)))
        throw new FrecError(ErrorCode.INVALID_REQUEST, `--date '${date}' is not a date.`, {
          hint: 'Use YYYY-MM-DD, e.g. --date 2026-12-01.',
        });
      const threshold = Number(o.threshold);
      if (!(threshold > 0))
        throw new FrecError(ErrorCode.INVALID_REQUEST, `--threshold '${o.threshold}' is not a positive number.`, {
          hint: 'E.g. --threshold 0.2.',
        });
      const report = await withStore(g, async (store) => {
        const section = (store.config as { feature_server?: { feature_logging?: { path?: string } } }).feature_server;
        const logDir = resolveRepoPath(store.config, o.logDir ?? section?.feature_logging?.path ?? DEFAULT_FEATURE_LOG_DIR);
        const served = await readFeatureLogDay(logDir, date);
        if (served.rows === 0)
          throw new FrecError(MonitoringErrorCode.MONITORING_LOG_EMPTY, `The feature log has no rows for ${date} in ${logDir}.`, {
            hint: 'Turn on feature_server.feature_logging (sample_rate, path) in feature_store.yaml, or pass --log-dir / --date.',
            where: { file: logDir },
          });
        const ref = await referenceOf(store, [...served.features.keys()], o);
        const r = computeSkewReport({ date, reference: { kind: ref.kind, name: ref.name, features: ref.samples }, served, threshold });
        r.skipped = [...ref.skipped, ...(r.skipped ?? []).filter((s) => !ref.skipped.some((x) => x.feature === s.feature))];
        if (r.skipped.length === 0) delete r.skipped;
        const file = await writeSkewReport(resolveRepoPath(store.config, o.outDir ?? DEFAULT_SKEW_REPORT_DIR), r);
        return { ...r, file };
      });
      emit(g, report, () =>
        [
          `Skew report ${report.date}: ${report.features.length} features, ${report.features.filter((f) => f.flagged).length} flagged (PSI > ${threshold}); written to ${report.file}`,
          table([
            ['FEATURE', 'TYPE', 'PSI', 'FLAGGED', 'NULL REF', 'NULL SERVED', 'OUT OF RANGE'],
            ...report.features.map((f) => [
              f.feature,
              f.type,
              f.psi.toFixed(4),
              f.flagged ? 'yes' : 'no',
              f.nullShare.reference.toFixed(3),
              f.nullShare.served.toFixed(3),
              f.outOfRange.toFixed(3),
            ]),
          ]),
          ...(report.skipped ?? []).map((s) => `skipped ${s.feature}: ${s.reason}`),
        ].join('\n'),
      );
      // Exit 3 when a feature is flagged, so a cron job or CI step can alert on it.
      if (report.features.some((f) => f.flagged)) process.exitCode = 3;
    });
}
