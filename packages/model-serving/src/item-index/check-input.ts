import { AnnInputError } from './item-index-errors.js';
import type { ItemId } from './item-index.js';

/** Validates build input: vectors hold ids.length x dim finite values and ids are unique. */
export function checkBuildInput(ids: readonly ItemId[], vectors: Float32Array, dim: number): void {
  if (!Number.isInteger(dim) || dim < 1) {
    throw new AnnInputError(
      `Item index dimension ${dim} is not a positive integer.`,
      { dim },
      'Pass the embedding width (e.g. the two-tower outputDim).',
    );
  }
  if (vectors.length !== ids.length * dim) {
    throw new AnnInputError(
      `Item index got ${vectors.length} values for ${ids.length} ids x ${dim} dims (expected ${ids.length * dim}).`,
      { ids: ids.length, dim },
      'Pass one row-major vector of `dim` floats per id.',
    );
  }
  const seen = new Set<ItemId>();
  for (const id of ids) {
    if (seen.has(id))
      throw new AnnInputError(
        `Item id ${String(id)} appears twice in the item index input.`,
        { itemId: String(id) },
        'Deduplicate the catalog before building the index.',
      );
    seen.add(id);
  }
  for (let i = 0; i < vectors.length; i++) {
    if (!Number.isFinite(vectors[i]!)) {
      const row = Math.floor(i / dim);
      throw new AnnInputError(
        `Item ${String(ids[row])} has a non-finite embedding value (${vectors[i]}).`,
        { itemId: String(ids[row]), row },
        'Recompute the item embeddings; the item tower produced NaN or Infinity.',
      );
    }
  }
}

/** Validates a query's width and k. */
export function checkQuery(query: Float32Array, dim: number, k: number): void {
  if (query.length !== dim) {
    throw new AnnInputError(
      `Query vector has ${query.length} dims but the item index has ${dim}.`,
      { dim, query: query.length },
      'Use the user tower of the model that built this index.',
    );
  }
  if (!Number.isInteger(k) || k < 0) throw new AnnInputError(`k=${k} must be a non-negative integer.`, { k }, 'Ask for k >= 0 items.');
}
