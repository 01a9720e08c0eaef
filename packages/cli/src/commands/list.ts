import type { Command } from 'commander';
import { NotFoundError, ErrorCode } from '@frec/core';
import { formatDuration, didYouMean } from '@frec/core/spi';
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
        emit(g, { ...obj, materialization: data.materialization[name] ?? null }, () => JSON.stringify(obj, null, 2));
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
