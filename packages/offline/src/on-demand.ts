import { ErrorCode, RequestError } from '@frec/core';
import { coerceValue, runTransform, type HistoricalRequest } from '@frec/core/spi';
import type { HistoricalPlan } from './historical-plan.js';
import { toPlainValue } from './duckdb/duckdb-arrow.js';

/**
 * Computes the on-demand columns of one batch of joined rows, row by row, with the same
 * transform functions the online path runs and the same input row: its source views' features
 * by bare name, then its request sources' fields (taken from the entity columns, coerced to the
 * declared types). Nothing else is passed, so a transform cannot read training-only columns.
 */
export function computeOnDemand(
  plan: HistoricalPlan,
  request: HistoricalRequest,
  columnIndex: ReadonlyMap<string, number>,
  columns: readonly unknown[][],
  rowCount: number,
): Map<string, unknown[]> {
  const out = new Map<string, unknown[]>();
  for (const ro of request.resolved.odfvs) {
    const fn = request.transforms.get(ro.view.name);
    if (!fn) throw new Error(`No transform for on-demand view '${ro.view.name}'.`);
    const inputs = (plan.odfvInputs.get(ro.prefix) ?? []).map((i) => [i.feature, columnIndex.get(i.column)!] as const);
    const fields = ro.view.requestSources.flatMap((s) => s.schema).map((f) => [f, columnIndex.get(f.name)!] as const);
    const wanted = plan.outputs.filter((o) => o.kind === 'odfv' && o.odfv.prefix === ro.prefix) as Array<{ name: string; feature: string }>;
    const results = wanted.map(() => new Array<unknown>(rowCount));
    for (let r = 0; r < rowCount; r++) {
      const row: Record<string, unknown> = {};
      for (const [feature, i] of inputs) row[feature] = toPlainValue(columns[i]![r]);
      for (const [f, i] of fields) {
        const raw = toPlainValue(columns[i]![r]);
        const v = coerceValue(f.dtype, raw);
        if (v === undefined) {
          throw new RequestError(
            ErrorCode.WRONG_TYPE,
            `Request field '${f.name}' of on-demand view '${ro.view.name}' in entity row ${r} is ${JSON.stringify(raw)}, declared ${f.dtype}.`,
            {
              where: { featureView: ro.view.name, field: f.name },
            },
          );
        }
        row[f.name] = v;
      }
      const res = runTransform(ro.view, fn, row);
      wanted.forEach((w, k) => (results[k]![r] = res[w.feature] ?? null));
    }
    wanted.forEach((w, k) => out.set(w.name, results[k]!));
  }
  return out;
}
