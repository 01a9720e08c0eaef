import path from 'node:path';
import { queryParquet, sqlLiteral } from '../skew/skew-files.js';
import type { Impression } from './engagement-report.js';

/** Impressions logged between two UTC dates (inclusive, YYYY-MM-DD), from the impression log's partitions. */
export async function readImpressions(dir: string, from: string, to: string): Promise<Impression[]> {
  const { readdir } = await import('node:fs/promises');
  const parts = (await readdir(dir).catch(() => [] as string[]))
    .map((n) => /^date=(\d{4}-\d{2}-\d{2})$/.exec(n)?.[1])
    .filter((d): d is string => d !== undefined && d >= from && d <= to);
  const globs: string[] = [];
  for (const d of parts) {
    const files = (await readdir(path.join(dir, `date=${d}`))).filter((f) => f.endsWith('.parquet') && !f.startsWith('.'));
    if (files.length) globs.push(sqlLiteral(path.join(dir, `date=${d}`, '*.parquet')));
  }
  if (globs.length === 0) return [];
  const rows = await queryParquet(
    `SELECT request_id, user_id, item_id, position, epoch_ms(served_at) AS ms, model_version FROM read_parquet([${globs.join(', ')}])`,
  );
  return rows.map((r) => ({
    requestId: String(r.request_id),
    userId: String(r.user_id),
    itemId: String(r.item_id),
    position: Number(r.position),
    servedAt: Number(r.ms),
    modelVersion: r.model_version === null ? undefined : String(r.model_version),
  }));
}
