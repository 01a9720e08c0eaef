/** The codes the feature server raises, beside core's. */
export const FeatureServerErrorCode = { UNAUTHORIZED: 'UNAUTHORIZED' } as const;
/** One of the feature server's error codes. */
export type FeatureServerErrorCode = (typeof FeatureServerErrorCode)[keyof typeof FeatureServerErrorCode];
