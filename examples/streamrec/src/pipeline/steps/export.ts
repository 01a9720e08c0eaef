import type { Interactions } from '../../data/interactions.js';
import { rankerOnnxArtifacts, twoTowerOnnxArtifacts } from '../../export/index.js';
import type { ArtifactFile } from '../../export/triton-repository.js';
import {
  rankerManifestParams,
  twoTowerManifestParams,
  type RankerManifestParams,
  type TwoTowerManifestParams,
} from '../../models/manifest-params.js';
import { serializeParams } from '../../models/index.js';
import { RANKER_FEATURE_NAMES } from '../../training-sets/build-training-sets.js';
import { ITEM_VECTOR_NAMES, USER_VECTOR_NAMES } from '../../training-sets/vectorize.js';
import type { ProtocolModels } from '../protocol-models.js';
import type { NoConfig, Step } from '../step.js';
import { RANKER_LOSS } from './train-ranker.js';

/** One model ready to register: its manifest params and its files. */
export interface ExportedModel<P> {
  params: P;
  artifacts: ArtifactFile[];
}

/** Both StreamRec models, exported. */
export interface ExportedModels {
  twoTower: ExportedModel<TwoTowerManifestParams>;
  ranker: ExportedModel<RankerManifestParams>;
}

const enc = new TextEncoder();
const json = (v: unknown): Uint8Array => enc.encode(`${JSON.stringify(v)}\n`);

/**
 * Export: each model's params (bit-exact JSON), ONNX graphs (the ranker's also as a Triton
 * repository entry), id maps and feature names, and the two-tower's catalog embeddings and prior.
 */
export const exportStep: Step<NoConfig, { data: Interactions; models: ProtocolModels }, ExportedModels> = {
  name: 'export',
  async run({ data, models }, _config, ctx) {
    return ctx.time('export', () => {
      const ids = json({ userIds: data.userIds, itemIds: data.itemIds });
      const twoTower: ExportedModel<TwoTowerManifestParams> = {
        params: twoTowerManifestParams(models.tower, models),
        artifacts: [
          { path: 'params.json', data: enc.encode(serializeParams(models.tower)) },
          { path: 'item_embeddings.f32', data: new Uint8Array(models.itemEmbeddings.buffer.slice(0)) },
          ...(models.itemBias ? [{ path: 'item_bias.f32', data: new Uint8Array(models.itemBias.buffer.slice(0)) }] : []),
          { path: 'ids.json', data: ids },
          { path: 'features.json', data: json({ user: USER_VECTOR_NAMES, item: ITEM_VECTOR_NAMES }) },
          ...twoTowerOnnxArtifacts(models.tower),
        ],
      };
      const ranker: ExportedModel<RankerManifestParams> = {
        params: rankerManifestParams(models.ranker, models.blendWeight, RANKER_LOSS, models.signalHalfLivesMs),
        artifacts: [
          { path: 'params.json', data: enc.encode(serializeParams(models.ranker)) },
          { path: 'features.json', data: json({ ranker: RANKER_FEATURE_NAMES }) },
          { path: 'ids.json', data: ids },
          ...rankerOnnxArtifacts(models.ranker),
        ],
      };
      return { twoTower, ranker };
    });
  },
};
