import { runTransform, type HistoricalRequest } from '@frec/core';
import type { HistoricalPlan } from './historical-plan.js';
import { toPlainValue } from './duckdb/duckdb-arrow.js';

/**
 * Computes the on-demand columns of one batch of joined rows, row by row, with the same
 * transform functions the online path runs. A transform sees the entity row's columns
 * (request data) and its source views' features by bare name.
 */
export function computeOnDemand(
  plan: HistoricalPlan,
  request: HistoricalRequest,
  columnIndex: ReadonlyMap<string, number>,
  columns: readonly unknown[][],
  rowCount: number,
): Map<string, unknown[]> {
  const out = new Map<string, unknown[]>();
  const entityCols = plan.outputs.filter((o) => o.kind === 'entity').map((o) => [o.name, columnIndex.get(o.name)!] as const);
  for (const ro of request.resolved.odfvs) {
    const fn = request.transforms.get(ro.view.name);
    if (!fn) throw new Error(`No transform for on-demand view '${ro.view.name}'.`);
    const inputs = (plan.odfvInputs.get(ro.prefix) ?? []).map((i) => [i.feature, columnIndex.get(i.column)!] as const);
    const wanted = plan.outputs.filter((o) => o.kind === 'odfv' && o.odfv.prefix === ro.prefix) as Array<{ name: string; feature: string }>;
    const results = wanted.map(() => new Array<unknown>(rowCount));
    for (let r = 0; r < rowCount; r++) {
      const row: Record<string, unknown> = {};
      for (const [name, i] of entityCols) row[name] = toPlainValue(columns[i]![r]);
      for (const [feature, i] of inputs) row[feature] = toPlainValue(columns[i]![r]);
      const res = runTransform(ro.view, fn, row);
      wanted.forEach((w, k) => (results[k]![r] = res[w.feature] ?? null));
    }
    wanted.forEach((w, k) => out.set(w.name, results[k]!));
  }
  return out;
}
