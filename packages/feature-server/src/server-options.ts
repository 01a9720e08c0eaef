import { ConfigError } from '@frec/core';
import type { FeatureLoggingConfig } from '@frec/monitoring';
import type { FastifyInstance } from 'fastify';
import type { FeatureStore } from '@frec/core';
import type { ServerConfig } from './server-config.js';
import type { ServerMetrics } from './server-metrics.js';
import { FeatureServerErrorCode } from './errors.js';

/**
 * Adds routes to the feature server before it listens (the web console: `frec serve --ui`). They
 * pass the server's API-key check unless marked `config: { public: true }`.
 */
export type FeatureServerExtension = (
  app: FastifyInstance,
  server: { store: FeatureStore; metrics: ServerMetrics },
) => Promise<unknown> | void;

/** Options of one feature server; unset fields come from the repo's `feature_server` config section. */
export interface FeatureServerOptions {
  /** Interface to bind (default from config: 127.0.0.1, so the server is never exposed by accident). */
  host?: string;
  /** TCP port; 0 picks a free one (default from config: 6566, as Feast). */
  port?: number;
  /** Accepted API keys, added to the config's and to env FREC_API_KEYS; none means no auth. */
  apiKeys?: readonly string[];
  /** Largest request body in bytes; larger bodies get 413. */
  maxBodyBytes?: number;
  /** Largest number of entity rows in one request; more get 413. */
  maxEntities?: number;
  /** Longest an online read may take before the request answers 503 (default 2000 ms). */
  storeTimeoutMs?: number;
  /** Consecutive store failures after which reads fail fast with 503 for `breakerResetMs` (default 5). */
  breakerThreshold?: number;
  /** How long the breaker stays open before one trial read (default 1000 ms). */
  breakerResetMs?: number;
  /** How long `close()` waits for in-flight requests before cutting connections (default 10000 ms). */
  shutdownTimeoutMs?: number;
  /** Window of the server-failure log: one line per kind of failure per window, then a count (default 10000 ms). */
  errorLogWindowMs?: number;
  /** pino log level: 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent' (default 'info'). */
  logLevel?: string;
  /** Where JSON log lines go (default stdout); tests pass a stream to read them. */
  logStream?: NodeJS.WritableStream;
  /** Close the FeatureStore when the server closes (the CLI owns its store; embedders usually do not). */
  closeStore?: boolean;
  /** Environment to read FREC_API_KEYS from (default process.env). */
  env?: NodeJS.ProcessEnv;
  /** Serve /metrics of every cluster worker summed (set by `--workers N`). */
  clusterMetrics?: boolean;
  /** Overrides the config's `feature_logging` section (sample rate 0 turns logging off). */
  featureLogging?: FeatureLoggingConfig;
  /** Random source of the feature log's sampling, seeded in tests. */
  random?: () => number;
  /** Extra routes mounted before listening (see FeatureServerExtension). */
  extensions?: readonly FeatureServerExtension[];
}

/** Options with every default filled in. */
export interface ResolvedServerOptions {
  host: string;
  port: number;
  apiKeys: string[];
  maxBodyBytes: number;
  maxEntities: number;
  storeTimeoutMs: number;
  breakerThreshold: number;
  breakerResetMs: number;
  shutdownTimeoutMs: number;
  errorLogWindowMs: number;
  logLevel: string;
  logStream: NodeJS.WritableStream | undefined;
  closeStore: boolean;
  clusterMetrics: boolean;
}

/**
 * Keys from FREC_API_KEYS: comma- or whitespace-separated, blanks dropped. A value holding only
 * separators (`","`, `" "`) throws INVALID_API_KEYS: it means keys were meant, and reading it as
 * "no keys" would silently turn auth off. Unset or empty means no keys.
 */
export function apiKeysFromEnv(env: NodeJS.ProcessEnv): string[] {
  const raw = env.FREC_API_KEYS ?? '';
  const keys = raw.split(/[\s,]+/).filter((k) => k.length > 0);
  if (raw.length > 0 && keys.length === 0) {
    throw new ConfigError(
      `FREC_API_KEYS is set to ${JSON.stringify(raw.slice(0, 20))}, which holds no key; refusing to start without auth.`,
      {
        where: { field: 'FREC_API_KEYS' },
        hint: 'Set FREC_API_KEYS to comma-separated keys, or unset it to run without auth.',
      },
      FeatureServerErrorCode.INVALID_API_KEYS,
    );
  }
  return keys;
}

/** Configured keys that are all blank are a mistake of the same kind: refuse them too. */
function checkNotAllBlank(keys: readonly string[] | undefined, where: string): void {
  if (keys && keys.length > 0 && keys.every((k) => k.trim().length === 0)) {
    throw new ConfigError(
      `${where} lists only blank API keys; refusing to start without auth.`,
      {
        where: { field: where },
        hint: `Give ${where} real keys, or remove it to run without auth.`,
      },
      FeatureServerErrorCode.INVALID_API_KEYS,
    );
  }
}

/** Merges explicit options over the config section and the environment. */
export function resolveServerOptions(config: ServerConfig, options: FeatureServerOptions = {}): ResolvedServerOptions {
  const env = options.env ?? process.env;
  checkNotAllBlank(config.api_keys, 'feature_server.api_keys');
  checkNotAllBlank(options.apiKeys, 'the apiKeys option');
  const keys = new Set([...config.api_keys, ...apiKeysFromEnv(env), ...(options.apiKeys ?? [])]);
  return {
    host: options.host ?? config.host,
    port: options.port ?? config.port,
    apiKeys: [...keys].filter((k) => k.length > 0),
    maxBodyBytes: options.maxBodyBytes ?? config.max_body_bytes,
    maxEntities: options.maxEntities ?? config.max_entities,
    storeTimeoutMs: options.storeTimeoutMs ?? 2000,
    breakerThreshold: options.breakerThreshold ?? 5,
    breakerResetMs: options.breakerResetMs ?? 1000,
    shutdownTimeoutMs: options.shutdownTimeoutMs ?? 10_000,
    errorLogWindowMs: options.errorLogWindowMs ?? 10_000,
    logLevel: options.logLevel ?? 'info',
    logStream: options.logStream,
    closeStore: options.closeStore ?? false,
    clusterMetrics: options.clusterMetrics ?? false,
  };
}
