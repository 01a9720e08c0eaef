/** The codes the monitoring package raises, beside core's. */
export const MonitoringErrorCode = {
  /** The feature log (or impression log) has no rows for the asked day. */
  MONITORING_LOG_EMPTY: 'MONITORING_LOG_EMPTY',
} as const;
/** One of the monitoring package's error codes. */
export type MonitoringErrorCode = (typeof MonitoringErrorCode)[keyof typeof MonitoringErrorCode];
