import type { ShadowCheck } from './gate-types.js';

/**
 * No NaN or infinite score in the candidate's raw model output: a non-finite score sorts
 * unpredictably, and serving would quietly replace it.
 */
export function finiteScoresCheck<Req, Out>(
  scoresOf: (out: Out) => ArrayLike<number>,
  idsOf?: (out: Out, row: number) => string | number,
): ShadowCheck<Req, Out> {
  return {
    name: 'finite_scores',
    description: 'every candidate score is finite',
    check: ({ candidate }) => {
      const s = scoresOf(candidate);
      const bad: Array<string | number> = [];
      for (let i = 0; i < s.length; i++) if (!Number.isFinite(s[i]!)) bad.push(idsOf ? idsOf(candidate, i) : i);
      return bad.length === 0 ? undefined : `${bad.length} non-finite scores, e.g. ${bad.slice(0, 5).join(', ')}`;
    },
  };
}

/** Every item the candidate returns is in the current catalog (not a removed or unknown item). */
export function itemsInCatalogCheck<Req, Out>(
  itemsOf: (out: Out) => ReadonlyArray<string | number>,
  inCatalog: (id: string | number) => boolean,
  name = 'items_in_catalog',
): ShadowCheck<Req, Out> {
  return {
    name,
    description: 'every returned item is in the current catalog',
    check: ({ candidate }) => {
      const bad = itemsOf(candidate).filter((id) => !inCatalog(id));
      return bad.length === 0 ? undefined : `returned ${bad.length} items outside the catalog: ${bad.slice(0, 5).join(', ')}`;
    },
  };
}
