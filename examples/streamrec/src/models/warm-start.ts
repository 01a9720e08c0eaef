import { initTwoTower } from './two-tower.js';
import type { DcnConfig, DcnParams, TwoTowerConfig, TwoTowerData, TwoTowerParams } from './types.js';

/** Raw ids by dense index, as a model was trained (the registered ids.json). */
export interface IdMaps {
  userIds: readonly number[];
  itemIds: readonly number[];
}

/**
 * A trained two-tower laid out on another data set's indices, for a warm start: the MLPs and the
 * feature standardization as trained, the id embedding of every user and item both data sets know
 * copied by raw id, the others (new users and items) from the seeded initialisation. Undefined
 * when the two do not share feature widths and layer sizes (then training starts cold).
 */
export function warmTwoTower(
  trained: TwoTowerParams,
  trainedIds: IdMaps,
  data: TwoTowerData,
  ids: IdMaps,
  config: TwoTowerConfig,
): TwoTowerParams | undefined {
  const e = config.embeddingDim;
  const fits =
    trained.dUser === data.dUser &&
    trained.dItem === data.dItem &&
    trained.config.embeddingDim === e &&
    trained.config.outputDim === config.outputDim &&
    JSON.stringify(trained.config.hidden) === JSON.stringify(config.hidden) &&
    trainedIds.userIds.length === trained.numUsers &&
    trainedIds.itemIds.length === trained.numItems &&
    ids.userIds.length === data.numUsers &&
    ids.itemIds.length === data.numItems;
  if (!fits) return undefined;
  const fresh = initTwoTower(data, config);
  const copyRows = (from: Float32Array, fromIds: readonly number[], to: Float32Array, toIds: readonly number[]) => {
    const row = new Map(fromIds.map((id, r) => [id, r]));
    toIds.forEach((id, r) => {
      const f = row.get(id);
      if (f !== undefined) to.set(from.subarray(f * e, (f + 1) * e), r * e);
    });
    // The last row is the unknown id's: it carries over as trained.
    to.set(from.subarray(fromIds.length * e, (fromIds.length + 1) * e), toIds.length * e);
  };
  copyRows(trained.userEmbedding, trainedIds.userIds, fresh.userEmbedding, ids.userIds);
  copyRows(trained.itemEmbedding, trainedIds.itemIds, fresh.itemEmbedding, ids.itemIds);
  return {
    ...fresh,
    userFeatureMean: trained.userFeatureMean.slice(),
    userFeatureStd: trained.userFeatureStd.slice(),
    itemFeatureMean: trained.itemFeatureMean.slice(),
    itemFeatureStd: trained.itemFeatureStd.slice(),
    userMlp: structuredClone(trained.userMlp),
    itemMlp: structuredClone(trained.itemMlp),
  };
}

/** The trained ranker when a run with `config` on `d` features can start from it (same widths), else undefined. */
export function warmDcn(trained: DcnParams, d: number, config: Partial<DcnConfig>): DcnParams | undefined {
  const crossLayers = config.crossLayers ?? trained.config.crossLayers;
  const hidden = config.hidden ?? trained.config.hidden;
  const fits =
    trained.d === d && trained.cross.length === crossLayers && JSON.stringify(trained.deep.map((l) => l.outDim)) === JSON.stringify(hidden);
  return fits ? trained : undefined;
}
