import { ModelInputError } from './model-input-error.js';
import { itemTowerForward, userTowerForward } from './two-tower.js';
import type { TwoTowerParams } from './types.js';

/**
 * Two-tower models trained alike from different seeds, retrieving together: an item's score is the
 * mean of the members' scores (ADR 0075). Each side's embedding is the members' L2-normalized
 * embeddings concatenated and scaled by 1/sqrt(K), so one dot product of K x outputDim floats is
 * that mean, the concatenation is still unit length, and the ANN index, the recent-items query and
 * the ranker's retrieval-score feature work on it unchanged. One member is a plain two-tower.
 */
export interface TowerEnsemble {
  kind: 'two-tower-ensemble';
  members: TwoTowerParams[];
}

/** Wraps trained towers as an ensemble; they must share their vocabularies and feature widths. */
export function towerEnsemble(members: readonly TwoTowerParams[]): TowerEnsemble {
  const first = members[0];
  if (!first)
    throw new ModelInputError('two-tower ensemble: no member.', { model: 'two-tower-ensemble' }, 'Pass at least one trained two-tower.');
  for (const [i, m] of members.entries()) {
    for (const key of ['numUsers', 'numItems', 'dUser', 'dItem'] as const) {
      if (m[key] !== first[key]) {
        throw new ModelInputError(
          `two-tower ensemble: member ${i} has ${key}=${m[key]}, member 0 has ${first[key]}.`,
          { model: 'two-tower-ensemble', field: key },
          'Train every member on the same training set (only the seed may differ).',
        );
      }
    }
  }
  return { kind: 'two-tower-ensemble', members: [...members] };
}

/** A registered model as an ensemble: a single two-tower (older registrations) is a one-member ensemble. */
export function asEnsemble(params: TwoTowerParams | TowerEnsemble): TowerEnsemble {
  return params.kind === 'two-tower' ? towerEnsemble([params]) : params;
}

/** Width of the ensemble's embeddings: the members' outputDim summed. */
export function ensembleDim(ensemble: TowerEnsemble): number {
  return ensemble.members.reduce((s, m) => s + m.config.outputDim, 0);
}

/** What every member shares: vocabulary sizes and raw feature widths. */
export function ensembleShape(ensemble: TowerEnsemble): Pick<TwoTowerParams, 'numUsers' | 'numItems' | 'dUser' | 'dItem'> {
  const { numUsers, numItems, dUser, dItem } = ensemble.members[0]!;
  return { numUsers, numItems, dUser, dItem };
}

function concatScaled(ensemble: TowerEnsemble, n: number, forward: (m: TwoTowerParams) => Float32Array): Float32Array {
  const dim = ensembleDim(ensemble);
  const scale = 1 / Math.sqrt(ensemble.members.length);
  const out = new Float32Array(n * dim);
  let offset = 0;
  for (const m of ensemble.members) {
    const o = m.config.outputDim;
    const v = forward(m);
    for (let r = 0; r < n; r++) for (let k = 0; k < o; k++) out[r * dim + offset + k] = v[r * o + k]! * scale;
    offset += o;
  }
  return out;
}

/** User embeddings (n x ensembleDim, unit length); an index outside [0, numUsers) uses each member's OOV row. */
export function ensembleUserForward(ensemble: TowerEnsemble, userIndex: Int32Array, userFeatures: Float32Array): Float32Array {
  return concatScaled(ensemble, userIndex.length, (m) => userTowerForward(m, userIndex, userFeatures));
}

/** Item embeddings of the whole catalog (numItems x ensembleDim, unit length) from its raw features. */
export function ensembleItemForward(ensemble: TowerEnsemble, itemFeatures: Float32Array, itemIndex?: Int32Array): Float32Array {
  const n = itemIndex?.length ?? ensembleShape(ensemble).numItems;
  return concatScaled(ensemble, n, (m) => itemTowerForward(m, itemFeatures, itemIndex));
}
