import type { DuckDBConnection } from '@duckdb/node-api';
import { didYouMean, type FeatureViewSpec, type ValueType } from '@frec/core/spi';
import { duckdbTypeOf } from '../duckdb-types.js';
import { SourceNotFoundError, SourceSchemaMismatchError } from '../errors.js';
import { batchSourceOf, mayBeEmpty, sourceColumn, sourceGlob } from '../file-source.js';
import { isCompatible, isTimestampType } from '../duckdb-types.js';
import { ident, literal, readParquet } from '../sql.js';
import { describe, queryRows } from './duckdb-connection.js';

/** What a view's offline source looks like: the glob read, and its columns with DuckDB types (none when no file exists yet). */
export interface SourceShape {
  glob: string;
  /** A FROM item reading the source, or a typed empty relation when a push source has no file yet. */
  from: string;
  columns: Map<string, string>;
  /** True when no file exists yet (a push or stream source before its first batch). */
  empty: boolean;
}

/** The columns a view needs from its source: view name, source column, declared type and role. */
export function requiredColumns(
  view: FeatureViewSpec,
): Array<{ name: string; column: string; dtype: ValueType | 'timestamp'; role: string }> {
  const src = batchSourceOf(view);
  const cols: Array<{ name: string; column: string; dtype: ValueType | 'timestamp'; role: string }> = [
    ...view.entityColumns.map((c) => ({ name: c.name, column: sourceColumn(src, c.name), dtype: c.dtype, role: 'join key' })),
    { name: src.timestampField, column: src.timestampField, dtype: 'timestamp', role: 'timestamp field' },
    ...view.features.map((f) => ({ name: f.name, column: sourceColumn(src, f.name), dtype: f.dtype, role: 'feature' })),
  ];
  if (src.createdTimestampColumn) {
    cols.push({
      name: src.createdTimestampColumn,
      column: src.createdTimestampColumn,
      dtype: 'timestamp',
      role: 'created timestamp column',
    });
  }
  return cols;
}

async function countFiles(conn: DuckDBConnection, glob: string): Promise<number> {
  const [row] = await queryRows(conn, `SELECT count(*) AS n FROM glob(${literal(glob)})`);
  return Number(row?.n ?? 0);
}

/** Reads a view's source schema; a file source whose path matches nothing is SOURCE_NOT_FOUND. */
export async function inspectSource(conn: DuckDBConnection, view: FeatureViewSpec, repoPath: string): Promise<SourceShape> {
  const src = batchSourceOf(view);
  const glob = sourceGlob(src, repoPath);
  if ((await countFiles(conn, glob)) === 0) {
    if (!mayBeEmpty(view)) {
      throw new SourceNotFoundError(`Source '${src.name}' of feature view '${view.name}': no Parquet file at '${glob}'.`, {
        where: { featureView: view.name, source: src.name, file: glob },
        hint: 'Create the file, or fix the path (relative paths are read from the feature repo folder).',
      });
    }
    // A push or stream source whose first batch has not arrived: an empty relation with the declared columns.
    const cols = requiredColumns(view).map(
      (c) => `NULL::${c.dtype === 'timestamp' ? 'TIMESTAMP' : duckdbTypeOf(c.dtype)} AS ${ident(c.column)}`,
    );
    const columns = new Map(requiredColumns(view).map((c) => [c.column, c.dtype === 'timestamp' ? 'TIMESTAMP' : duckdbTypeOf(c.dtype)]));
    return { glob, from: `(SELECT ${cols.join(', ')} WHERE false)`, columns, empty: true };
  }
  const from = readParquet([glob]);
  return { glob, from, columns: await describe(conn, from), empty: false };
}

/** Checks a source's columns against the view; the error names the file, column, declared and actual type. */
export async function checkSourceSchema(conn: DuckDBConnection, view: FeatureViewSpec, shape: SourceShape): Promise<void> {
  const src = batchSourceOf(view);
  const names = [...shape.columns.keys()];
  for (const c of requiredColumns(view)) {
    const actual = shape.columns.get(c.column);
    const mapped = c.column !== c.name ? ` (mapped to '${c.name}')` : '';
    if (actual === undefined) {
      throw new SourceSchemaMismatchError(
        `Source '${src.name}' of feature view '${view.name}' has no column '${c.column}'${mapped}, the ${c.role} declared as ${c.dtype}, in '${shape.glob}'.${didYouMean(c.column, names)}`,
        {
          where: { featureView: view.name, source: src.name, file: shape.glob, column: c.column },
          hint: `Columns present: ${names.join(', ')}. Fix the schema or add a fieldMapping.`,
        },
      );
    }
    const ok = c.dtype === 'timestamp' ? isTimestampType(actual) : isCompatible(c.dtype, actual, { widenIntToFloat: c.role === 'feature' });
    if (!ok) {
      const file = await fileWithType(conn, shape.glob, c.column, actual);
      throw new SourceSchemaMismatchError(
        `Source '${src.name}' of feature view '${view.name}': column '${c.column}'${mapped} is ${actual} in '${file}', but the ${c.role} is declared as ${c.dtype}.`,
        {
          where: { featureView: view.name, source: src.name, file, column: c.column },
          hint: `Declare '${c.name}' with a type that matches ${actual}, or rewrite the file with ${c.dtype} values.`,
        },
      );
    }
  }
}

/** The first file of a glob whose column has the given type, so an error can name the file at fault. */
async function fileWithType(conn: DuckDBConnection, glob: string, column: string, type: string): Promise<string> {
  const files = await queryRows(conn, `SELECT file FROM glob(${literal(glob)}) ORDER BY file LIMIT 100`);
  for (const f of files) {
    const cols = await describe(conn, readParquet([String(f.file)]));
    if (cols.get(column) === type) return String(f.file);
  }
  return glob;
}
