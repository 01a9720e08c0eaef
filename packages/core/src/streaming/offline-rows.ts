import type { FeatureViewSpec } from '../definitions/specs.js';

/**
 * The created-time column a stream view's offline rows carry when its batch source declares
 * none. The worker rewrites rows after a late or tied event, and the point-in-time join and
 * materialization let the later created time win at equal event times (ADR 0031).
 */
export const STREAM_CREATED_COLUMN = '__frec_created';

/** The column a view's offline rows keep their created time in: the declared one, else STREAM_CREATED_COLUMN for a stream source. */
export function createdColumnOf(view: FeatureViewSpec): string | undefined {
  const src = view.source;
  if (src.type === 'file') return src.createdTimestampColumn;
  return src.batchSource.createdTimestampColumn ?? (src.type === 'stream' ? STREAM_CREATED_COLUMN : undefined);
}
