import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { sqlString } from '../../src/drift/duck-session.js';
import type { ReportFeature } from './skew-reference.js';

/** One served value as the feature log keeps it (docs: monitoring contract). */
export interface FeatureLogRow {
  request_id: string;
  served_at: Date;
  service: string;
  /** 'view:feature'. */
  feature: string;
  entity_key: string;
  value_num: number | null;
  value_str: string | null;
  status: 'PRESENT' | 'NOT_FOUND' | 'NULL_VALUE' | 'OUTSIDE_MAX_AGE';
}

/**
 * Writes one Parquet file of the feature log in the contract's layout
 * (`<dir>/date=YYYY-MM-DD/<writer>-<seq>.parquet`, columns and types as documented).
 */
export async function writeFeatureLog(dir: string, date: string, rows: readonly FeatureLogRow[], file = 'test-0.parquet'): Promise<string> {
  const folder = path.join(dir, `date=${date}`);
  mkdirSync(folder, { recursive: true });
  const out = path.join(folder, file);
  const instance = await DuckDBInstance.create(':memory:');
  const conn = await instance.connect();
  try {
    await conn.run(
      'CREATE TABLE log (request_id VARCHAR, served_at TIMESTAMPTZ, service VARCHAR, feature VARCHAR, entity_key VARCHAR, value_num DOUBLE, value_str VARCHAR, status VARCHAR)',
    );
    const lit = (v: string | null) => (v === null ? 'NULL' : sqlString(v));
    for (let i = 0; i < rows.length; i += 500) {
      const values = rows
        .slice(i, i + 500)
        .map(
          (r) =>
            `(${lit(r.request_id)}, ${lit(r.served_at.toISOString())}::TIMESTAMPTZ, ${lit(r.service)}, ${lit(r.feature)}, ${lit(r.entity_key)}, ${
              r.value_num === null ? 'NULL' : `CAST(${sqlString(String(r.value_num))} AS DOUBLE)`
            }, ${lit(r.value_str)}, ${lit(r.status)})`,
        )
        .join(',\n');
      if (values) await conn.run(`INSERT INTO log VALUES ${values}`);
    }
    await conn.run(`COPY log TO ${sqlString(out)} (FORMAT parquet)`);
  } finally {
    conn.closeSync();
    instance.closeSync();
  }
  return out;
}

/** Writes a daily skew report file (`<dir>/YYYY-MM-DD.json`) in the contract's shape. */
export function writeSkewReport(
  dir: string,
  report: {
    date: string;
    reference: { kind: 'training_set' | 'offline_source'; name: string; rows: number };
    servedRows: number;
    features: ReportFeature[];
    threshold?: number;
  },
): string {
  mkdirSync(dir, { recursive: true });
  const file = path.join(dir, `${report.date}.json`);
  const body = {
    date: report.date,
    generatedAt: new Date(`${report.date}T23:59:00Z`).toISOString(),
    reference: report.reference,
    served: { rows: report.servedRows },
    threshold: { psi: report.threshold ?? 0.2 },
    features: report.features,
  };
  writeFileSync(file, `${JSON.stringify(body, null, 2)}\n`);
  return file;
}
