import { mkdir, readdir, readFile, rename, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { FeatureSample, SkewReport } from './skew-report.js';

/** Where daily skew reports go unless configured. */
export const DEFAULT_SKEW_REPORT_DIR = 'data/monitoring/skew';

const DATE = /^\d{4}-\d{2}-\d{2}$/;

/** Writes `<dir>/<date>.json` whole (temporary file, then rename); a rerun for the same day replaces it. */
export async function writeSkewReport(dir: string, report: SkewReport): Promise<string> {
  if (!DATE.test(report.date)) throw new RangeError(`skew report date '${report.date}' is not YYYY-MM-DD`);
  await mkdir(dir, { recursive: true });
  const file = path.join(dir, `${report.date}.json`);
  const tmp = path.join(dir, `.${report.date}.json.${process.pid}.tmp`);
  await writeFile(tmp, `${JSON.stringify(report, null, 2)}\n`);
  await rename(tmp, file);
  return file;
}

/** The newest report in `dir` (by its date), or undefined when there is none or it cannot be read. */
export async function latestSkewReport(dir: string): Promise<SkewReport | undefined> {
  const dates = (await readdir(dir).catch(() => [] as string[]))
    .map((n) => /^(\d{4}-\d{2}-\d{2})\.json$/.exec(n)?.[1])
    .filter((d): d is string => d !== undefined)
    .sort();
  const last = dates.at(-1);
  if (!last) return undefined;
  try {
    return JSON.parse(await readFile(path.join(dir, `${last}.json`), 'utf8')) as SkewReport;
  } catch {
    return undefined;
  }
}

/** Runs a query over Parquet files with an in-memory DuckDB and returns its rows. */
export async function queryParquet(sql: string): Promise<Array<Record<string, unknown>>> {
  const { DuckDBInstance } = await import('@duckdb/node-api');
  const instance = await DuckDBInstance.create(':memory:');
  const conn = await instance.connect();
  try {
    return (await conn.runAndReadAll(sql)).getRowObjectsJS() as Array<Record<string, unknown>>;
  } finally {
    conn.closeSync();
    instance.closeSync();
  }
}

/** A SQL string literal. */
export const sqlLiteral = (s: string): string => `'${s.replaceAll("'", "''")}'`;

/**
 * The served values of one day of a feature log, per feature ('view:feature'): numbers from
 * value_num, other scalars from value_str, with their statuses. Empty when the day has no files.
 */
export async function readFeatureLogDay(dir: string, date: string): Promise<{ rows: number; features: Map<string, FeatureSample> }> {
  if (!DATE.test(date)) throw new RangeError(`date '${date}' is not YYYY-MM-DD`);
  const part = path.join(dir, `date=${date}`);
  const files = (await readdir(part).catch(() => [] as string[])).filter((f) => f.endsWith('.parquet') && !f.startsWith('.'));
  const features = new Map<string, { values: Array<number | string | null>; statuses: string[] }>();
  if (files.length === 0) return { rows: 0, features };
  const rows = await queryParquet(
    `SELECT feature, value_num, value_str, status FROM read_parquet(${sqlLiteral(path.join(part, '*.parquet'))}) ORDER BY feature`,
  );
  for (const r of rows) {
    const f = String(r.feature);
    let s = features.get(f);
    if (!s) features.set(f, (s = { values: [], statuses: [] }));
    s.values.push(r.value_num !== null && r.value_num !== undefined ? Number(r.value_num) : ((r.value_str as string | null) ?? null));
    s.statuses.push(String(r.status ?? 'PRESENT'));
  }
  return { rows: rows.length, features };
}
