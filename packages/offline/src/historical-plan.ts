import { ErrorCode, RequestError, type ValueType } from '@frec/core';
import { outputColumnNames, STREAM_CREATED_COLUMN, type HistoricalRequest, type ResolvedOdfv } from '@frec/core/spi';
import { asDeclared, asUtcTimestamp, subMicroNanos } from './duckdb-types.js';
import { batchSourceOf, sourceColumn } from './file-source.js';
import type { PointInTimeJoin, ViewRead } from './point-in-time-join.js';
import { ident } from './sql.js';

/** One column of the final result, in order. */
export type OutputColumn =
  | { kind: 'entity'; name: string }
  | { kind: 'feature'; name: string }
  | { kind: 'odfv'; name: string; odfv: ResolvedOdfv; feature: string; dtype: ValueType };

/** A historical request planned against the entity rows and the sources' schemas. */
export interface HistoricalPlan {
  join: PointInTimeJoin;
  /** The final columns: entity columns, then features in request order. */
  outputs: OutputColumn[];
  /** Per on-demand view (by prefix): its inputs, bare feature name to the SQL column holding it. */
  odfvInputs: Map<string, Array<{ feature: string; column: string }>>;
  /** Output feature names (no entity columns), as metadata reports them. */
  featureNames: string[];
}

/** Plans the join for a request: names, casts and the on-demand inputs. */
export function planHistorical(
  request: HistoricalRequest,
  entity: { from: string; columns: ReadonlyMap<string, string> },
  sources: ReadonlyArray<{ from: string; columns: ReadonlyMap<string, string>; aggregated?: boolean }>,
): HistoricalPlan {
  const { resolved } = request;
  const names = outputColumnNames(resolved, request.fullFeatureNames);
  const entityCols = [...entity.columns.keys()];
  const outputs: OutputColumn[] = entityCols.map((name) => ({ kind: 'entity', name }));
  const taken = new Set<string>();
  resolved.outputs.forEach((o, i) => {
    const name = names[i]!;
    if (taken.has(name)) return; // the same feature asked twice is returned once
    taken.add(name);
    if (entity.columns.has(name)) {
      throw new RequestError(ErrorCode.FEATURE_NAME_COLLISION, `Feature '${name}' has the name of an entity column.`, {
        where: { feature: name },
        hint: 'Rename the entity column, or pass fullFeatureNames: true to get view__feature names.',
      });
    }
    if (!o.odfv) outputs.push({ kind: 'feature', name });
    else {
      const odfv = resolved.odfvs.find((r) => r.prefix === o.prefix)!;
      const dtype = odfv.view.features.find((f) => f.name === o.feature)!.dtype;
      outputs.push({ kind: 'odfv', name, odfv, feature: o.feature, dtype });
    }
  });
  const visibleName = (prefix: string, feature: string): string | undefined => {
    const i = resolved.outputs.findIndex((o) => !o.odfv && o.prefix === prefix && o.feature === feature);
    return i < 0 ? undefined : names[i];
  };

  const columnOf = new Map<string, string>();
  const views: ViewRead[] = resolved.views.map((rv, v) => {
    const shape = sources[v]!;
    if (shape.aggregated) {
      // An aggregation view's values were computed per (key, entity time) into shape.from: an exact-time match.
      const feats = [...rv.features, ...rv.hiddenFeatures].map((f, j) => {
        const as = visibleName(rv.prefix, f) ?? `__frec_in_${v}_${j}`;
        columnOf.set(`${rv.prefix}\u0000${f}`, as);
        return { source: ident(f), as };
      });
      return {
        name: rv.view.name,
        from: ident(shape.from),
        keys: rv.view.entityColumns.map((k) => ({
          entity: asDeclared(ident(k.name), k.dtype, entity.columns.get(k.name) ?? ''),
          source: ident(k.name),
        })),
        eventTime: 'make_timestamp(__frec_ts_ms * 1000)',
        createdTime: undefined,
        ttlSeconds: 0,
        features: feats,
      };
    }
    const src = batchSourceOf(rv.view);
    const typeOf = (c: string): string => shape.columns.get(c) ?? 'VARCHAR';
    const created = createdColumnIn(rv.view.source.type, src.createdTimestampColumn, shape.columns);
    const features = [...rv.features, ...rv.hiddenFeatures].map((f, j) => {
      const spec = rv.view.features.find((x) => x.name === f)!;
      const column = sourceColumn(src, f);
      const as = visibleName(rv.prefix, f) ?? `__frec_in_${v}_${j}`;
      columnOf.set(`${rv.prefix}\u0000${f}`, as);
      return { source: asDeclared(ident(column), spec.dtype, typeOf(column)), as };
    });
    return {
      name: rv.view.name,
      from: shape.from,
      keys: rv.view.entityColumns.map((k) => {
        const column = sourceColumn(src, k.name);
        return {
          entity: asDeclared(ident(k.name), k.dtype, entity.columns.get(k.name) ?? ''),
          source: asDeclared(ident(column), k.dtype, typeOf(column)),
        };
      }),
      eventTime: asUtcTimestamp(ident(src.timestampField), typeOf(src.timestampField)),
      eventTimeNanos: subMicroNanos(ident(src.timestampField), typeOf(src.timestampField)),
      createdTime: created ? asUtcTimestamp(ident(created), typeOf(created)) : undefined,
      ttlSeconds: rv.view.ttlSeconds,
      features,
    };
  });

  const odfvInputs = new Map<string, Array<{ feature: string; column: string }>>();
  for (const ro of resolved.odfvs) {
    // Request data comes from the entity columns, as the online path takes it from entity rows.
    for (const f of ro.view.requestSources.flatMap((s) => s.schema)) {
      if (!entity.columns.has(f.name)) {
        throw new RequestError(
          ErrorCode.INVALID_REQUEST,
          `On-demand view '${ro.view.name}' needs request field '${f.name}', missing from the entity rows.`,
          {
            where: { featureView: ro.view.name, field: f.name },
            hint: `Add a '${f.name}' column (${f.dtype}) to the entity rows.`,
          },
        );
      }
    }
    const inputs: Array<{ feature: string; column: string }> = [];
    for (const s of ro.view.sources) {
      if (s.kind !== 'featureView') continue;
      for (const f of s.features) inputs.push({ feature: f, column: columnOf.get(`${s.name}\u0000${f}`)! });
    }
    odfvInputs.set(ro.prefix, inputs);
  }

  const entityTimeType = entity.columns.get(request.timestampColumn) ?? 'TIMESTAMP';
  const entityTime = asUtcTimestamp(ident(request.timestampColumn), entityTimeType);
  return {
    join: {
      entity: {
        from: entity.from,
        columns: entityCols,
        time: entityTime,
        timeNanos: subMicroNanos(ident(request.timestampColumn), entityTimeType),
      },
      views,
      featureOrder: outputs.filter((o) => o.kind === 'feature').map((o) => o.name),
    },
    outputs,
    odfvInputs,
    featureNames: outputs.filter((o) => o.kind !== 'entity').map((o) => o.name),
  };
}

/**
 * The created-time column a source's rows are tie-broken by: the declared one, or the one a stream
 * view's offline rows carry (STREAM_CREATED_COLUMN) when the files hold it.
 */
export function createdColumnIn(
  sourceType: string,
  declared: string | undefined,
  columns: ReadonlyMap<string, string>,
): string | undefined {
  if (declared) return declared;
  return sourceType === 'stream' && columns.has(STREAM_CREATED_COLUMN) ? STREAM_CREATED_COLUMN : undefined;
}
