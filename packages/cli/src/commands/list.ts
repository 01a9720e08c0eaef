import type { Command } from 'commander';
import { NotFoundError, ErrorCode, type FeatureStore, type FeatureViewSpec } from '@frec/core';
import { formatDuration, didYouMean, tileStorageSpec } from '@frec/core/spi';
import { emit, table, globalsOf } from '../output.js';
import { withStore } from '../context.js';

/** Registers the read-only inspection verbs: entities, feature-views and feature-services. */
export function registerListCommands(program: Command): void {
  const entities = program.command('entities').description('inspect entities');
  entities
    .command('list')
    .description('list applied entities')
    .action(async (_o: unknown, cmd: Command) => {
      const g = globalsOf(cmd);
      await withStore(g, async (store) => {
        const data = await store.registry.data({ fresh: true });
        const rows = Object.values(data.entities).map((e) => e.spec);
        emit(g, rows, () =>
          table([['NAME', 'JOIN KEY', 'TYPE', 'DESCRIPTION'], ...rows.map((e) => [e.name, e.joinKey, e.valueType, e.description])]),
        );
      });
    });

  const views = program.command('feature-views').description('inspect feature views');
  views
    .command('list')
    .description('list applied feature views (batch, stream and on-demand)')
    .action(async (_o: unknown, cmd: Command) => {
      const g = globalsOf(cmd);
      await withStore(g, async (store) => {
        const data = await store.registry.data({ fresh: true });
        const rows = [
          ...Object.values(data.featureViews).map((v) => ({
            name: v.spec.name,
            type: v.spec.kind,
            entities: v.spec.entities,
            features: v.spec.features.length,
            ttl: v.spec.ttlSeconds,
            online: v.spec.online,
          })),
          ...Object.values(data.onDemandFeatureViews).map((v) => ({
            name: v.spec.name,
            type: 'on_demand',
            entities: [] as string[],
            features: v.spec.features.length,
            ttl: 0,
            online: true,
          })),
        ];
        emit(g, rows, () =>
          table([
            ['NAME', 'TYPE', 'ENTITIES', 'FEATURES', 'TTL', 'ONLINE'],
            ...rows.map((r) => [
              r.name,
              r.type,
              r.entities.join(','),
              String(r.features),
              r.ttl ? formatDuration(r.ttl) : '-',
              String(r.online),
            ]),
          ]),
        );
      });
    });
  views
    .command('describe')
    .argument('<name>', 'feature view name')
    .description('show one feature view in full')
    .action(async (name: string, _o: unknown, cmd: Command) => {
      const g = globalsOf(cmd);
      await withStore(g, async (store) => {
        const data = await store.registry.data({ fresh: true });
        const obj = data.featureViews[name] ?? data.onDemandFeatureViews[name];
        if (!obj) {
          const all = [...Object.keys(data.featureViews), ...Object.keys(data.onDemandFeatureViews)];
          throw new NotFoundError(ErrorCode.UNKNOWN_FEATURE_VIEW, `Feature view '${name}' is not applied.${didYouMean(name, all)}`, {
            where: { featureView: name },
          });
        }
        const spec = (obj as { spec: FeatureViewSpec }).spec;
        const aggregation = spec.tiling ? await aggregationStatus(store, spec) : undefined;
        emit(g, { ...obj, materialization: data.materialization[name] ?? null, ...(aggregation ? { aggregation } : {}) }, () =>
          aggregation ? `${formatAggregationStatus(spec, aggregation)}\n\n${JSON.stringify(obj, null, 2)}` : JSON.stringify(obj, null, 2),
        );
      });
    });

  const services = program.command('feature-services').description('inspect feature services');
  services
    .command('list')
    .description('list applied feature services')
    .action(async (_o: unknown, cmd: Command) => {
      const g = globalsOf(cmd);
      await withStore(g, async (store) => {
        const data = await store.registry.data({ fresh: true });
        const rows = Object.values(data.featureServices).map((s) => ({
          name: s.spec.name,
          features: s.spec.projections.reduce((n, p) => n + p.features.length, 0),
          views: s.spec.projections.map((p) => p.view),
        }));
        emit(g, rows, () => table([['NAME', 'FEATURES', 'VIEWS'], ...rows.map((r) => [r.name, String(r.features), r.views.join(',')])]));
      });
    });
}

/** What `describe` shows of an aggregation view beyond its spec: the newest tile online and the stream's lag. */
interface AggregationStatus {
  tileSeconds: number;
  windows: Array<{ feature: string; function: string; column: string | null; windowSeconds: number; filter: string | null }>;
  /** Start of the newest tile any entity holds online (ISO), null when none. */
  lastTile: string | null;
  /** Online rows (entities) of the view. */
  entities: number | null;
  /** Stream sources: messages not yet read or acknowledged, and seconds since the newest event was folded. */
  streamLag: { pending: number; undelivered: number | null; newestValueAgeSeconds: number | null } | null;
}

async function aggregationStatus(store: FeatureStore, spec: FeatureViewSpec): Promise<AggregationStatus> {
  const t = spec.tiling!;
  const online = await store.onlineStore();
  const stats = online.stats ? await online.stats(store.project, tileStorageSpec(spec)).catch(() => null) : null;
  const tileMs = t.tileSeconds * 1000;
  let streamLag: AggregationStatus['streamLag'] = null;
  if (spec.source.type === 'stream') {
    const [f] = await store.freshness([spec.name]).catch(() => []);
    if (f?.consumerLag)
      streamLag = {
        pending: f.consumerLag.pending,
        undelivered: f.consumerLag.undelivered,
        newestValueAgeSeconds: f.newestValueAgeSeconds,
      };
  }
  return {
    tileSeconds: t.tileSeconds,
    windows: t.aggregations.map((a) => ({
      feature: a.name,
      function: a.function,
      column: a.column ?? null,
      windowSeconds: a.windowSeconds,
      filter: a.filter ?? null,
    })),
    lastTile: stats?.newestEventTimeMs != null ? new Date(Math.floor(stats.newestEventTimeMs / tileMs) * tileMs).toISOString() : null,
    entities: stats?.rows ?? null,
    streamLag,
  };
}

function formatAggregationStatus(spec: FeatureViewSpec, a: AggregationStatus): string {
  const lines = [
    `aggregation view ${spec.name}: tile size ${formatDuration(a.tileSeconds)}, ${a.entities ?? '?'} entities online, last tile ${a.lastTile ?? '-'}`,
    a.streamLag
      ? `stream lag: ${a.streamLag.pending} pending, ${a.streamLag.undelivered ?? '?'} undelivered, newest value ${a.streamLag.newestValueAgeSeconds === null ? '-' : `${a.streamLag.newestValueAgeSeconds.toFixed(0)}s`} old`
      : 'stream lag: - (batch source)',
    table([
      ['FEATURE', 'FUNCTION', 'COLUMN', 'WINDOW', 'FILTER'],
      ...a.windows.map((w) => [w.feature, w.function, w.column ?? '*', formatDuration(w.windowSeconds), w.filter ?? '']),
    ]),
  ];
  return lines.join('\n');
}
