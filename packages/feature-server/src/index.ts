/**
 * @frec/feature-server: the Feast-compatible HTTP feature server (`frec serve`): online reads,
 * push, health, Prometheus metrics and API-key auth. It depends on no model runtime.
 */
export { createFeatureServer, type FeatureServer } from './create-server.js';
export { serveFeatureRepo, type ServeOptions } from './serve.js';
export { tuneHeapForServing } from './heap-tuning.js';
export {
  resolveServerOptions,
  apiKeysFromEnv,
  type FeatureServerOptions,
  type ResolvedServerOptions,
  type FeatureServerExtension,
} from './server-options.js';
export { serverConfigSchema, serverConfigOf, type ServerConfig } from './server-config.js';
export { ApiKeyAuth, presentedKey } from './auth.js';
export { ServerMetrics } from './server-metrics.js';
export { toFeastResponse, type FeastOnlineResponse, type FeastFeatureVector } from './feast-response.js';
export { checkReady, type ReadyReport } from './routes/health-routes.js';
export { FeatureServerErrorCode } from './errors.js';
