import type { ApplyRecord, RegistryData } from '@frec/core/spi';

/** An applied object's version, for the registry history page. */
export interface ObjectVersion {
  kind: string;
  name: string;
  version: number;
  createdAt: string;
  updatedAt: string;
}

/** The registry's applies (newest first) and every object's current version. */
export interface RegistryHistory {
  project: string;
  generation: number;
  lastUpdated: string;
  applies: ApplyRecord[];
  objects: ObjectVersion[];
}

/** The apply log kept in the registry, newest first, and the applied objects by last change. */
export function registryHistory(data: RegistryData): RegistryHistory {
  const objects: ObjectVersion[] = [];
  for (const kind of ['entities', 'dataSources', 'featureViews', 'onDemandFeatureViews', 'featureServices'] as const) {
    for (const [name, o] of Object.entries(data[kind]))
      objects.push({ kind, name, version: o.version, createdAt: o.createdAt, updatedAt: o.updatedAt });
  }
  objects.sort((a, b) => b.updatedAt.localeCompare(a.updatedAt) || a.kind.localeCompare(b.kind) || a.name.localeCompare(b.name));
  return {
    project: data.project,
    generation: data.generation,
    lastUpdated: data.lastUpdated,
    applies: [...(data.history ?? [])].reverse(),
    objects,
  };
}
