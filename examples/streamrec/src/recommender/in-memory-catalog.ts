import type { Catalog } from './sources/retrieval-source.js';
import type { ItemId } from './types.js';

/** One catalog entry. */
export interface CatalogItem {
  id: ItemId;
  genres?: readonly string[];
  /** Dense item features for the ranker. */
  features?: Float32Array;
}

/** A catalog held in memory (MovieLens-sized catalogs fit easily); items can be removed at run time. */
export class InMemoryCatalog implements Catalog {
  private readonly items = new Map<ItemId, CatalogItem>();

  constructor(items: Iterable<CatalogItem>) {
    for (const item of items) this.items.set(item.id, item);
  }

  get size(): number {
    return this.items.size;
  }

  has(id: ItemId): boolean {
    return this.items.has(id);
  }

  genres(id: ItemId): readonly string[] {
    return this.items.get(id)?.genres ?? [];
  }

  /** The item's ranker features, or undefined when it has none. */
  features(id: ItemId): Float32Array | undefined {
    return this.items.get(id)?.features;
  }

  /** Every item id. */
  ids(): ItemId[] {
    return [...this.items.keys()];
  }

  /** Removes an item (delisted); sources that still propose it are filtered at merge time. */
  remove(id: ItemId): boolean {
    return this.items.delete(id);
  }
}
