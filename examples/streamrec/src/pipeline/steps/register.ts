import type { FeatureStore } from '@frec/core';
import { openModelRegistry, type ModelManifest } from '@frec/model-registry';
import type { EvalResult } from '../../eval/evaluate.js';
import type { ProtocolModels } from '../protocol-models.js';
import type { Step } from '../step.js';
import type { ExportedModels } from './export.js';

/** Where the register step registers, and whether it promotes. */
export interface RegisterConfig {
  /** Model registry location (folder or s3://...). */
  registry: string;
  /** Promote the registered models to production. */
  promote: boolean;
}

/** Headline metrics of one model name across both protocols, e.g. 'global_time/ndcg20'. */
function metricsOf(results: readonly EvalResult[], model: string): Record<string, number> {
  const out: Record<string, number> = {};
  for (const r of results.filter((x) => x.model === model)) {
    out[`${r.protocol}/ndcg20`] = r.ndcg20;
    out[`${r.protocol}/recall20`] = r.recall20;
    if (r.recall500 !== undefined) out[`${r.protocol}/recall500`] = r.recall500;
    out[`${r.protocol}/users`] = r.users;
  }
  return out;
}

const TWO_TOWER_DESCRIPTION =
  'Two-tower retrieval (in-batch sampled softmax, log-Q correction), an ensemble of `members` towers from different seeds whose ' +
  'embeddings are concatenated (mean score, ADR 0075); item embeddings of the catalog snapshot. The query adds recentWeight x the ' +
  "recency-weighted (recentDecay^i) mean embedding of the user's last 10 items (historyQuery); item_bias.f32, when present, is " +
  "added to each item's score: popularityWeight x T x log(1 + training count) (ADR 0077). Serving adds coOccurrenceWeight x the " +
  "co-occurrence (window coOccurrenceWindow, coOccurrenceNeighbours kept per item) of each candidate with the user's last 10 items " +
  'to the retrieval score the ranker and the blend see (ADR 0078).';

const RANKER_DESCRIPTION =
  'DCN-V2-trainer ranker (by default linear: no cross layer, no deep tower) over multi-source candidates (two-tower, co-occurrence, ' +
  'trending, popular) with user, item, request-context features, request signals, their z-score and rank within the request and ' +
  "the two-tower score, trained listwise (softmax over each request's whole candidate pool); " +
  'blendWeight = its weight against the z-scored two-tower score (ADR 0052).';

/**
 * Register: the two-tower retriever and the DCN-V2 ranker of the global split (the production
 * setting), each with its feature service, training range, metrics and the whole metrics table;
 * with `promote`, both become the production versions.
 */
export const registerStep: Step<
  RegisterConfig,
  { store: FeatureStore; models: ProtocolModels; exported: ExportedModels; results: readonly EvalResult[] },
  ModelManifest[]
> = {
  name: 'register',
  async run({ store, models, exported, results }, config, ctx) {
    const registry = openModelRegistry(config.registry);
    const registered = await ctx.time('register', async () => {
      const trainingData = {
        start: new Date(models.split.trainStartMs).toISOString(),
        end: new Date(models.split.trainEndMs).toISOString(),
        rows: models.trainRows,
      };
      const evaluation = results.map(({ perUserNdcg20: _perUser, ...r }) => r);
      const tower = await registry.register({
        name: 'two_tower',
        featureService: 'two_tower_v1',
        trainingData,
        metrics: metricsOf(results, 'two_tower'),
        evaluation,
        description: TWO_TOWER_DESCRIPTION,
        params: exported.twoTower.params,
        artifacts: exported.twoTower.artifacts,
      });
      const ranker = await registry.register({
        name: 'ranker',
        featureService: 'ranker_v1',
        trainingData,
        metrics: metricsOf(results, 'two_tower+dcn_v2'),
        evaluation,
        description: RANKER_DESCRIPTION,
        params: exported.ranker.params,
        artifacts: exported.ranker.artifacts,
      });
      if (!config.promote) return [tower, ranker];
      const exists = async (svc: string): Promise<boolean> => {
        try {
          await store.registry.getFeatureService(svc);
          return true;
        } catch {
          return false;
        }
      };
      return [
        await registry.promote('two_tower', tower.version, { featureServiceExists: exists }),
        await registry.promote('ranker', ranker.version, { featureServiceExists: exists }),
      ];
    });
    for (const m of registered) ctx.log(`  registered ${m.name} v${m.version} (${m.stage}) in ${registry.store.location}`);
    return registered;
  },
};
