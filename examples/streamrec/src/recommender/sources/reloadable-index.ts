import { FrecError } from '@frec/core';
import { AnnErrorCode, loadItemIndexWithFallback, type ItemIndex } from '@frec/model-serving/item-index';
import type { VectorIndex } from './ann-source.js';
import type { ScoredItem } from '../types.js';

/** What the last (re)load did: the version served and the corrupt versions skipped to get there. */
export interface IndexLoadReport {
  version: string;
  /** Provenance saved with the version (e.g. the two-tower model it was built from). */
  metadata: Record<string, string>;
  skipped: Array<{ version: string; code: string; message: string }>;
}

/**
 * The item index as serving holds it: loaded from a versioned folder with checksum verification,
 * falling back to the newest older version when the newest is corrupt, and reloadable at run time
 * (a new index published, or a corruption noticed). A failed reload keeps the index in memory.
 */
export class ReloadableItemIndex implements VectorIndex {
  private current: ItemIndex | undefined;
  private report: IndexLoadReport | undefined;

  constructor(
    private readonly rootDir: string,
    private readonly onLoad?: (report: IndexLoadReport) => void,
  ) {}

  /** The served version, or undefined before the first successful load. */
  get version(): string | undefined {
    return this.current?.version;
  }

  /** The last successful load's report. */
  get lastLoad(): IndexLoadReport | undefined {
    return this.report;
  }

  /** Loads the newest valid version; throws (keeping the current index) when none verifies. */
  async reload(): Promise<IndexLoadReport> {
    const loaded = await loadItemIndexWithFallback(this.rootDir);
    this.current = loaded.index;
    this.report = {
      version: loaded.manifest.version,
      metadata: loaded.manifest.metadata,
      skipped: loaded.skipped.map((s) => ({ version: s.version, code: s.error.code, message: s.error.message })),
    };
    this.onLoad?.(this.report);
    return this.report;
  }

  search(query: Float32Array, k: number): ScoredItem[] {
    if (!this.current) {
      throw new FrecError(AnnErrorCode.ANN_INDEX_NOT_FOUND, `No item index loaded from ${this.rootDir}.`, {
        hint: 'Save a valid index version there and call reload().',
        where: { rootDir: this.rootDir },
      });
    }
    return this.current.search(query, k);
  }
}
