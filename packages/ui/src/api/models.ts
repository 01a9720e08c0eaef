import type { ModelManifest, ModelRegistry } from '@frec/model-registry';
import type { ShadowRow } from '../metrics/serving-summary.js';

/** One version of a model as the console shows it (artifacts without their bytes, small params only). */
export interface ModelVersionSummary {
  version: number;
  stage: string;
  createdAt: string;
  featureService: string;
  trainingData: ModelManifest['trainingData'];
  metrics: Record<string, number>;
  description: string;
  /** Stage changes, oldest first, with a reason where the registry recorded one. */
  stageHistory: Array<{ stage: string; at: string; reason?: string }>;
  artifacts: Array<{ path: string; bytes: number }>;
  /** Scalar parameters (numbers, strings, booleans); larger values are left out. */
  params: Record<string, string | number | boolean>;
  /** This version scored as a shadow beside production, from the serving metrics. */
  shadow: ShadowRow | null;
}

/** A model with every version, oldest first. */
export interface ModelSummary {
  name: string;
  production: number | null;
  versions: ModelVersionSummary[];
}

function smallParams(params: Record<string, unknown>): Record<string, string | number | boolean> {
  const out: Record<string, string | number | boolean> = {};
  for (const [k, v] of Object.entries(params)) {
    if (typeof v === 'number' || typeof v === 'boolean' || (typeof v === 'string' && v.length <= 200)) out[k] = v;
  }
  return out;
}

/** Every model and version in the registry, each version joined with its shadow-scoring metrics when there are any. */
export async function listModels(registry: ModelRegistry, shadow: readonly ShadowRow[] = []): Promise<ModelSummary[]> {
  const byName = new Map<string, ModelSummary>();
  for (const m of await registry.list()) {
    let s = byName.get(m.name);
    if (!s) byName.set(m.name, (s = { name: m.name, production: null, versions: [] }));
    if (m.stage === 'production') s.production = m.version;
    s.versions.push({
      version: m.version,
      stage: m.stage,
      createdAt: m.createdAt,
      featureService: m.featureService,
      trainingData: m.trainingData,
      metrics: m.metrics,
      description: m.description,
      stageHistory: m.stageHistory as ModelVersionSummary['stageHistory'],
      artifacts: m.artifacts.map((a) => ({ path: a.path, bytes: a.bytes })),
      params: smallParams(m.params),
      // Rankers report their version as `<name>@<version>` (see the recommender's shadow metrics).
      shadow: shadow.find((r) => r.version === `${m.name}@${m.version}`) ?? null,
    });
  }
  return [...byName.values()];
}
