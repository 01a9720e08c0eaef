import type { RegistryData } from '@frec/core/spi';
import type { ModelSummary } from './models.js';

/** A node of the lineage graph; `layer` orders the columns: sources, views, on-demand views, services, models. */
export interface LineageNode {
  id: string;
  kind: 'source' | 'view' | 'onDemandView' | 'service' | 'model';
  name: string;
  /** Source type, view kind, or the model's production/latest version and stage. */
  detail: string;
  layer: number;
  /** The console page of the node: registry kind and name, or the model. */
  link: { kind: 'dataSources' | 'featureViews' | 'onDemandFeatureViews' | 'featureServices' | 'models'; name: string };
}

/** An edge: `from` feeds `to`. */
export interface LineageEdge {
  from: string;
  to: string;
}

/** The graph, possibly cut to the part connected to one node. */
export interface LineageGraph {
  nodes: LineageNode[];
  edges: LineageEdge[];
  focus: string | null;
  /** Nodes in the whole graph; more than MAX_FULL_GRAPH without a focus returns the services and models only. */
  totalNodes: number;
  truncated: boolean;
  modelsError: string | null;
}

/** Largest graph sent whole; past it the page asks for an object to centre on. */
export const MAX_FULL_GRAPH = 400;

/** Builds the lineage graph source -> view -> (on-demand view) -> feature service -> model. */
export function buildLineage(
  data: RegistryData,
  models: readonly ModelSummary[],
  modelsError: string | null,
  focus?: string,
): LineageGraph {
  const nodes = new Map<string, LineageNode>();
  const edges: LineageEdge[] = [];
  const add = (n: LineageNode) => nodes.set(n.id, n);
  for (const { spec } of Object.values(data.dataSources)) {
    // A push or stream source's batch source is part of it, not a separate input.
    add({
      id: `source:${spec.name}`,
      kind: 'source',
      name: spec.name,
      detail: spec.type,
      layer: 0,
      link: { kind: 'dataSources', name: spec.name },
    });
  }
  for (const { spec } of Object.values(data.featureViews)) {
    add({
      id: `view:${spec.name}`,
      kind: 'view',
      name: spec.name,
      detail: spec.kind,
      layer: 1,
      link: { kind: 'featureViews', name: spec.name },
    });
    if (!nodes.has(`source:${spec.source.name}`)) {
      add({
        id: `source:${spec.source.name}`,
        kind: 'source',
        name: spec.source.name,
        detail: spec.source.type,
        layer: 0,
        link: { kind: 'dataSources', name: spec.source.name },
      });
    }
    edges.push({ from: `source:${spec.source.name}`, to: `view:${spec.name}` });
  }
  for (const { spec } of Object.values(data.onDemandFeatureViews)) {
    add({
      id: `view:${spec.name}`,
      kind: 'onDemandView',
      name: spec.name,
      detail: 'on demand',
      layer: 2,
      link: { kind: 'onDemandFeatureViews', name: spec.name },
    });
    for (const s of spec.sources)
      edges.push({ from: s.kind === 'request' ? `source:${s.name}` : `view:${s.name}`, to: `view:${spec.name}` });
  }
  for (const { spec } of Object.values(data.featureServices)) {
    add({
      id: `service:${spec.name}`,
      kind: 'service',
      name: spec.name,
      detail: 'feature service',
      layer: 3,
      link: { kind: 'featureServices', name: spec.name },
    });
    for (const v of new Set(spec.projections.map((p) => p.view))) edges.push({ from: `view:${v}`, to: `service:${spec.name}` });
  }
  for (const m of models) {
    const shown = m.versions.find((v) => v.stage === 'production') ?? m.versions.at(-1);
    add({
      id: `model:${m.name}`,
      kind: 'model',
      name: m.name,
      detail: shown ? `v${shown.version} ${shown.stage}` : '',
      layer: 4,
      link: { kind: 'models', name: m.name },
    });
    for (const svc of new Set(m.versions.map((v) => v.featureService))) {
      // A model whose service is not applied still shows, with its edge to nothing.
      if (nodes.has(`service:${svc}`)) edges.push({ from: `service:${svc}`, to: `model:${m.name}` });
    }
  }
  const valid = edges.filter((e) => nodes.has(e.from) && nodes.has(e.to));
  const totalNodes = nodes.size;
  if (focus && nodes.has(focus)) {
    // Everything upstream and downstream of the focus, not siblings reached through a shared node.
    const keep = new Set([focus]);
    const walk = (start: string, next: (id: string) => string[]) => {
      const stack = [start];
      while (stack.length) {
        for (const n of next(stack.pop()!)) {
          if (keep.has(n)) continue;
          keep.add(n);
          stack.push(n);
        }
      }
    };
    const down = new Map<string, string[]>();
    const up = new Map<string, string[]>();
    for (const e of valid) {
      down.set(e.from, [...(down.get(e.from) ?? []), e.to]);
      up.set(e.to, [...(up.get(e.to) ?? []), e.from]);
    }
    walk(focus, (id) => down.get(id) ?? []);
    walk(focus, (id) => up.get(id) ?? []);
    return {
      nodes: [...nodes.values()].filter((n) => keep.has(n.id)),
      edges: valid.filter((e) => keep.has(e.from) && keep.has(e.to)),
      focus,
      totalNodes,
      truncated: false,
      modelsError,
    };
  }
  if (totalNodes > MAX_FULL_GRAPH) {
    const keep = new Set([...nodes.values()].filter((n) => n.kind === 'service' || n.kind === 'model').map((n) => n.id));
    return {
      nodes: [...nodes.values()].filter((n) => keep.has(n.id)),
      edges: valid.filter((e) => keep.has(e.from) && keep.has(e.to)),
      focus: null,
      totalNodes,
      truncated: true,
      modelsError,
    };
  }
  return { nodes: [...nodes.values()], edges: valid, focus: null, totalNodes, truncated: false, modelsError };
}
