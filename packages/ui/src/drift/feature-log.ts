import { readdir } from 'node:fs/promises';
import path from 'node:path';

const PARTITION = /^date=(\d{4}-\d{2}-\d{2})$/;

/** The dates that have a feature-log partition (`date=YYYY-MM-DD/` holding Parquet files), ascending. */
export async function featureLogDates(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { withFileTypes: true }).catch(() => []);
  const dates: string[] = [];
  for (const e of entries) {
    const m = e.isDirectory() ? PARTITION.exec(e.name) : null;
    if (!m) continue;
    const files = await readdir(path.join(dir, e.name)).catch(() => [] as string[]);
    if (files.some((f) => f.endsWith('.parquet'))) dates.push(m[1]!);
  }
  return dates.sort();
}

/** The glob of one day's feature-log files. */
export function featureLogGlob(dir: string, date: string): string {
  return path.join(dir, `date=${date}`, '*.parquet');
}
