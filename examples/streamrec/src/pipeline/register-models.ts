import type { FeatureStore } from '@frec/core';
import type { ModelManifest, ModelRegistry } from '@frec/model-registry';
import type { Interactions } from '../data/interactions.js';
import type { EvalResult } from '../eval/evaluate.js';
import { ensembleDim, serializeParams } from '../models/index.js';
import { rankerOnnxArtifacts, twoTowerOnnxArtifacts } from '../export/index.js';
import { ITEM_VECTOR_NAMES, USER_VECTOR_NAMES } from '../training-sets/vectorize.js';
import { RANKER_FEATURE_NAMES } from '../training-sets/build-training-sets.js';
import type { ProtocolModels } from './run-pipeline.js';

const enc = new TextEncoder();
const json = (v: unknown): Uint8Array => enc.encode(`${JSON.stringify(v)}\n`);

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

/**
 * Registers the two-tower retriever and the DCN-V2 ranker trained on the global split (the
 * production setting), each with its feature service, training range, metrics and the whole table.
 */
export async function registerModels(options: {
  registry: ModelRegistry;
  store: FeatureStore;
  data: Interactions;
  models: ProtocolModels;
  results: readonly EvalResult[];
  promote: boolean;
}): Promise<ModelManifest[]> {
  const { registry, models, data, results } = options;
  const trainingData = {
    start: new Date(models.split.trainStartMs).toISOString(),
    end: new Date(models.split.trainEndMs).toISOString(),
    rows: models.trainRows,
  };
  const evaluation = results.map(({ perUserNdcg20: _perUser, ...r }) => r);
  const ids = json({ userIds: data.userIds, itemIds: data.itemIds });
  const tower = await registry.register({
    name: 'two_tower',
    featureService: 'two_tower_v1',
    trainingData,
    metrics: metricsOf(results, 'two_tower'),
    evaluation,
    description:
      "Two-tower retrieval (in-batch sampled softmax, log-Q correction), an ensemble of `members` towers from different seeds whose embeddings are concatenated (mean score, ADR 0075); item embeddings of the catalog snapshot. The query adds recentWeight x the recency-weighted (recentDecay^i) mean embedding of the user's last 10 items (historyQuery); item_bias.f32, when present, is added to each item's score: popularityWeight x T x log(1 + training count) (ADR 0077). Serving adds coOccurrenceWeight x the co-occurrence (window coOccurrenceWindow, coOccurrenceNeighbours kept per item) of each candidate with the user's last 10 items to the retrieval score the ranker and the blend see (ADR 0078).",
    params: {
      members: models.tower.members.length,
      embeddingDim: models.tower.members[0]!.config.embeddingDim,
      outputDim: ensembleDim(models.tower),
      epochs: models.tower.members[0]!.config.epochs,
      recentWeight: models.history.weight,
      recentDecay: models.history.decay,
      popularityWeight: models.popularityWeight,
      ...(models.coOccurrence
        ? {
            coOccurrenceWeight: models.coOccurrence.weight,
            coOccurrenceWindow: models.coOccurrence.window,
            coOccurrenceNeighbours: models.coOccurrence.neighbours,
          }
        : {}),
    },
    artifacts: [
      { path: 'params.json', data: enc.encode(serializeParams(models.tower)) },
      { path: 'item_embeddings.f32', data: new Uint8Array(models.itemEmbeddings.buffer.slice(0)) },
      ...(models.itemBias ? [{ path: 'item_bias.f32', data: new Uint8Array(models.itemBias.buffer.slice(0)) }] : []),
      { path: 'ids.json', data: ids },
      { path: 'features.json', data: json({ user: USER_VECTOR_NAMES, item: ITEM_VECTOR_NAMES }) },
      ...twoTowerOnnxArtifacts(models.tower),
    ],
  });
  const ranker = await registry.register({
    name: 'ranker',
    featureService: 'ranker_v1',
    trainingData,
    metrics: metricsOf(results, 'two_tower+dcn_v2'),
    evaluation,
    description:
      "DCN-V2 ranker over multi-source candidates (two-tower, co-occurrence, trending, popular, random negatives) with user, item, request-context features and the two-tower score, trained with a listwise (softmax over each request's rows) or pointwise loss; blendWeight = its weight against the z-scored two-tower score (ADR 0052).",
    params: {
      crossLayers: models.ranker.config.crossLayers,
      hidden: models.ranker.config.hidden,
      d: models.ranker.d,
      blendWeight: models.blendWeight,
      loss: models.rankerLoss,
    },
    artifacts: [
      { path: 'params.json', data: enc.encode(serializeParams(models.ranker)) },
      { path: 'features.json', data: json({ ranker: RANKER_FEATURE_NAMES }) },
      { path: 'ids.json', data: ids },
      ...rankerOnnxArtifacts(models.ranker),
    ],
  });
  if (!options.promote) return [tower, ranker];
  const exists = async (svc: string): Promise<boolean> => {
    try {
      await options.store.registry.getFeatureService(svc);
      return true;
    } catch {
      return false;
    }
  };
  return [
    await registry.promote('two_tower', tower.version, { featureServiceExists: exists }),
    await registry.promote('ranker', ranker.version, { featureServiceExists: exists }),
  ];
}
