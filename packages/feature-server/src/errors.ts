/** The codes the feature server raises, beside core's. */
export const FeatureServerErrorCode = {
  UNAUTHORIZED: 'UNAUTHORIZED',
  /** A known route called with a method it does not take (405, with an Allow header). */
  METHOD_NOT_ALLOWED: 'METHOD_NOT_ALLOWED',
  /** FREC_API_KEYS is set but holds no key (only separators): the server refuses to start rather than run without auth. */
  INVALID_API_KEYS: 'INVALID_API_KEYS',
} as const;
/** One of the feature server's error codes. */
export type FeatureServerErrorCode = (typeof FeatureServerErrorCode)[keyof typeof FeatureServerErrorCode];
