import { ErrorCode, FrecError } from '../errors.js';
import type { FeatureStore } from '../feature-store.js';
import type { FeatureSelector } from '../feature-refs.js';

/** A getOnlineFeatures request. */
export type OnlineFeaturesRequest = FeatureSelector & {
  entityRows: ReadonlyArray<Record<string, unknown>>;
  requestData?: Record<string, unknown>;
  fullFeatureNames?: boolean;
};

export interface OnlineFeaturesResponse {
  featureNames: string[];
}

export async function getOnlineFeatures(_store: FeatureStore, _req: OnlineFeaturesRequest): Promise<OnlineFeaturesResponse> {
  throw new FrecError(ErrorCode.NOT_IMPLEMENTED, 'getOnlineFeatures is not implemented yet.');
}
