/** Quotes an identifier for DuckDB SQL (column, table or alias name). */
export function ident(name: string): string {
  return `"${name.replace(/"/g, '""')}"`;
}

/** Quotes a string literal for DuckDB SQL. */
export function literal(value: string): string {
  return `'${value.replace(/'/g, "''")}'`;
}

/** A TIMESTAMP literal (timezone-naive, read as UTC) for an instant. */
export function timestampLiteral(d: Date): string {
  return `TIMESTAMP ${literal(d.toISOString().replace('T', ' ').replace('Z', ''))}`;
}

/** A `read_parquet` call over files or globs; hive partitions become columns, files may differ in column order. */
export function readParquet(paths: readonly string[]): string {
  return `read_parquet([${paths.map(literal).join(', ')}], hive_partitioning = true, union_by_name = true)`;
}
