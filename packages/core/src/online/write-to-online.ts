import { notImplemented, type FeatureStore } from '../feature-store.js';
import type { FeatureViewSpec } from '../definitions/specs.js';
import type { OnlineWriteResult } from '../stores/online-store.js';

/** Validates rows against the view's schema and writes them to the online store. */
export async function writeRowsToOnline(
  _store: FeatureStore,
  _view: FeatureViewSpec,
  _rows: ReadonlyArray<Record<string, unknown>>,
): Promise<OnlineWriteResult> {
  return notImplemented('writeToOnlineStore');
}
