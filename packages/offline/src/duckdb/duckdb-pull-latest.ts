import { JSDuckDBValueConverter, type DuckDBConnection } from '@duckdb/node-api';
import { type FeatureViewSpec } from '@frec/core';
import { coerceValue, int64KeyOf, type PulledBatch } from '@frec/core/spi';
import { asDeclared, asUtcTimestamp } from '../duckdb-types.js';
import { offlineStoreError } from '../errors.js';
import { batchSourceOf, sourceColumn } from '../file-source.js';
import { createdColumnIn } from '../historical-plan.js';
import { ident, literal, timestampLiteral } from '../sql.js';
import { queryRows } from './duckdb-connection.js';
import type { SourceShape } from './duckdb-source-schema.js';

/**
 * Source rows one pull-latest pass may hold. The window keeps every input row of its pass until
 * it is done (it cannot spill far: it fails under a low memory_limit), so a view with more rows
 * is pulled in several passes, each over a disjoint hash range of its keys: the memory is bounded
 * by this figure, not by the view's size (ADR 0099).
 */
export const DEFAULT_PASS_ROWS = 750_000;

/** One of `of` disjoint parts of the entity keys (by hash); `{ index: 0, of: 1 }` is every key. */
export interface KeyPart {
  index: number;
  of: number;
}

function partFilter(view: FeatureViewSpec, part: KeyPart | undefined): string {
  if (!part || part.of <= 1) return '';
  const src = batchSourceOf(view);
  const keys = view.entityColumns.map((k) => ident(sourceColumn(src, k.name)));
  return ` AND hash(${keys.join(', ')}) % ${part.of} = ${part.index}`;
}

/**
 * How many key parts a pull over this source needs so that no pass holds more than `passRows`
 * source rows: the row count comes from the Parquet footers (no scan).
 */
export async function keyPartsFor(conn: DuckDBConnection, shape: SourceShape, passRows: number): Promise<number> {
  if (shape.empty) return 1;
  const [row] = await queryRows(conn, `SELECT coalesce(sum(num_rows), 0) AS n FROM parquet_file_metadata(${literal(shape.glob)})`).catch(
    () => [{ n: 0 }],
  );
  const rows = Number(row?.n ?? 0);
  return Math.max(1, Math.ceil(rows / Math.max(1, passRows)));
}

/**
 * The latest row per entity key with event time in [start, end): the later event time wins,
 * then the later created time (a missing created time loses).
 */
export function compilePullLatest(view: FeatureViewSpec, shape: SourceShape, start: Date, end: Date, part?: KeyPart): string {
  const src = batchSourceOf(view);
  const typeOf = (c: string): string => shape.columns.get(c) ?? 'VARCHAR';
  const keys = view.entityColumns.map(
    (k, i) => `${asDeclared(ident(sourceColumn(src, k.name)), k.dtype, typeOf(sourceColumn(src, k.name)))} AS __frec_k${i}`,
  );
  const feats = view.features.map(
    (f, i) => `${asDeclared(ident(sourceColumn(src, f.name)), f.dtype, typeOf(sourceColumn(src, f.name)))} AS __frec_f${i}`,
  );
  const ts = asUtcTimestamp(ident(src.timestampField), typeOf(src.timestampField));
  const createdColumn = createdColumnIn(view.source.type, src.createdTimestampColumn, shape.columns);
  const created = createdColumn ? asUtcTimestamp(ident(createdColumn), typeOf(createdColumn)) : 'NULL::TIMESTAMP';
  const partition = view.entityColumns.map((_, i) => `__frec_k${i}`).join(', ');
  return [
    `SELECT * FROM (SELECT ${[...keys, ...feats, `${ts} AS __frec_ts`, `${created} AS __frec_created`].join(', ')}`,
    `  FROM ${shape.from} WHERE ${ts} >= ${timestampLiteral(start)} AND ${ts} < ${timestampLiteral(end)}${partFilter(view, part)})`,
    `QUALIFY row_number() OVER (PARTITION BY ${partition} ORDER BY __frec_ts DESC, __frec_created DESC NULLS LAST) = 1`,
  ].join('\n');
}

/** How many rows pullLatest will return: the distinct keys with a row in [start, end). */
export function compileCountLatest(view: FeatureViewSpec, shape: SourceShape, start: Date, end: Date, part?: KeyPart): string {
  const src = batchSourceOf(view);
  const typeOf = (c: string): string => shape.columns.get(c) ?? 'VARCHAR';
  const keys = view.entityColumns.map((k) => ident(sourceColumn(src, k.name)));
  const ts = asUtcTimestamp(ident(src.timestampField), typeOf(src.timestampField));
  return `SELECT count(*) AS n FROM (SELECT DISTINCT ${keys.join(', ')} FROM ${shape.from} WHERE ${ts} >= ${timestampLiteral(start)} AND ${ts} < ${timestampLiteral(end)}${partFilter(view, part)})`;
}

/**
 * Streams pull-latest queries (the passes of one pull), one after another, as PulledBatches of at
 * most `batchSize` rows. DuckDB computes the next chunk only when it is fetched, and the next one
 * is fetched only when the consumer asks for the next batch: the consumer's pace is the backpressure.
 */
export async function* streamPulled(
  conn: DuckDBConnection,
  view: FeatureViewSpec,
  sqls: readonly string[],
  batchSize: number,
): AsyncGenerator<PulledBatch> {
  const nk = view.entityColumns.length;
  const nf = view.features.length;
  let batch = emptyPulled(view);
  for (const sql of sqls) {
    const result = await conn.stream(sql).catch((err: unknown) => {
      throw offlineStoreError(`pull the latest rows of feature view '${view.name}'`, err, { featureView: view.name });
    });
    for (;;) {
      const chunk = await result.fetchChunk();
      if (!chunk || chunk.rowCount === 0) break;
      const cols = chunk.convertColumns(JSDuckDBValueConverter);
      for (let r = 0; r < chunk.rowCount; r++) {
        const key: Array<string | number> = [];
        for (let k = 0; k < nk; k++) {
          const v = cols[k]![r];
          // An int64 key past 2^53 stays exact as its decimal string: the online store key is the same text either way.
          key.push(typeof v === 'bigint' ? (int64KeyOf(v) ?? v.toString()) : (v as string | number));
        }
        batch.keys.push(key);
        for (let f = 0; f < nf; f++) {
          const spec = view.features[f]!;
          batch.columns[spec.name]!.push(coerceValue(spec.dtype, cols[nk + f]![r]) ?? null);
        }
        batch.eventTimeMs.push((cols[nk + nf]![r] as Date).getTime());
        const created = cols[nk + nf + 1]![r] as Date | null;
        batch.createdTimeMs.push(created ? created.getTime() : 0);
        if (batch.keys.length >= batchSize) {
          yield batch;
          batch = emptyPulled(view);
        }
      }
    }
  }
  if (batch.keys.length > 0) yield batch;
}

function emptyPulled(view: FeatureViewSpec): PulledBatch {
  return { keys: [], columns: Object.fromEntries(view.features.map((f) => [f.name, []])), eventTimeMs: [], createdTimeMs: [] };
}
