/**
 * The Feast-compatible HTTP feature server (`frec serve`), importable on its own as
 * `@frec/serving/feature-server` so a server process does not load the recommender's
 * model runtimes.
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
