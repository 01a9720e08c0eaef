import { readFileSync, existsSync } from 'node:fs';
import path from 'node:path';
import { parseDocument, LineCounter } from 'yaml';
import { z } from 'zod';
import { ConfigError, ErrorCode } from '../errors.js';
import { configIssueError, keysOf, rememberSource } from './config-errors.js';

/** The repo config file that marks a feature repo. */
export const CONFIG_FILE = 'feature_store.yaml';

/**
 * A store section (`online_store`, `offline_store`): its `type` picks the plugin, whose own schema
 * validates the rest when the store is created (core does not know any backend's keys).
 */
const storeSectionSchema = z.object({ type: z.string().min(1, 'must name a store type') }).passthrough();
/** A store section of feature_store.yaml before its plugin validated it: `type` plus the plugin's keys. */
export type StoreSection = z.infer<typeof storeSectionSchema>;

/** The long form of `registry`: a path or URI (its scheme picks the registry store) plus the store's own keys. */
export const registryConfigSchema = z
  .object({
    path: z.string().min(1),
    /** Seconds a read registry is reused before storage is read again (0: always read). */
    cache_ttl_seconds: z.number().nonnegative().default(5),
  })
  .passthrough();
/** A parsed `registry` section (the short `registry: path` form is expanded to this). */
export type RegistryConfig = z.infer<typeof registryConfigSchema>;

/** The whole of `feature_store.yaml`; unknown top-level keys are errors, and each section's owner checks its keys. */
export const repoConfigSchema = z
  .object({
    project: z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'must hold only letters, digits and underscores'),
    registry: z.union([
      z
        .string()
        .min(1)
        .transform((p): RegistryConfig => ({ path: p, cache_ttl_seconds: 5 })),
      registryConfigSchema,
    ]),
    provider: z.literal('local').default('local'),
    /**
     * Modules that register plugins (stores, brokers) when imported, resolved from the repo folder:
     * package names ('@frec/online') or relative paths ('./my-store.ts').
     */
    plugins: z.array(z.string().min(1)).default([]),
    online_store: storeSectionSchema.default({ type: 'sqlite' }),
    offline_store: storeSectionSchema.default({ type: 'duckdb' }),
    /** Settings per stream broker type (`brokers: { redis: { url: ... } }`), validated by that broker's plugin. */
    brokers: z.record(z.string(), z.record(z.string(), z.unknown())).default({}),
    /** The feature server's section; the feature server package validates it. */
    feature_server: z.record(z.string(), z.unknown()).default({}),
    /** Largest number of entity rows one getOnlineFeatures call may ask for. */
    max_online_entities: z.number().int().positive().default(10_000),
    entity_key_serialization_version: z.number().int().default(1),
  })
  .strict();
/** What a `feature_store.yaml` may contain, before defaults are filled in. */
export type RepoConfigInput = z.input<typeof repoConfigSchema>;

/** A parsed feature_store.yaml, with the folder it came from. */
export type RepoConfig = z.output<typeof repoConfigSchema> & { repoPath: string; configPath: string };

const PLACEHOLDER = /\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}/g;

/** Replaces ${VAR} and ${VAR:-default} with environment values; a missing variable without default is an error. */
export function interpolateEnv(text: string, env: NodeJS.ProcessEnv, file: string, key = ''): string {
  return text.replace(PLACEHOLDER, (_m, name: string, def: string | undefined) => {
    const v = env[name];
    if (v !== undefined && v !== '') return v;
    if (def !== undefined) return def;
    throw new ConfigError(`${file}: environment variable ${name}${key ? ` (used by '${key}')` : ''} is not set.`, {
      where: { file, key },
      hint: `Set ${name}, or write \${${name}:-default} to give a default.`,
    });
  });
}

/**
 * Interpolates every string value of the parsed config (never keys or comments). A value that is
 * a single placeholder and resolves to a number or boolean becomes one, so `port: ${PORT}` works.
 */
function interpolateValues(value: unknown, env: NodeJS.ProcessEnv, file: string, pathParts: string[]): unknown {
  if (typeof value === 'string') {
    const out = interpolateEnv(value, env, file, pathParts.join('.'));
    if (out !== value && /^\$\{[^}]+\}$/.test(value)) {
      if (/^-?\d+(\.\d+)?$/.test(out)) return Number(out);
      if (out === 'true' || out === 'false') return out === 'true';
    }
    return out;
  }
  if (Array.isArray(value)) return value.map((v, i) => interpolateValues(v, env, file, [...pathParts, String(i)]));
  if (value && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, interpolateValues(v, env, file, [...pathParts, k])]));
  }
  return value;
}

const TOP_KEYS = Object.keys(repoConfigSchema.shape);

/** Parses feature_store.yaml text; errors carry the file, line and column, and unknown keys get a "did you mean". */
export function parseRepoConfig(text: string, options: { file: string; repoPath: string; env?: NodeJS.ProcessEnv }): RepoConfig {
  const { file } = options;
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, prettyErrors: false });
  if (doc.errors.length > 0) {
    const e = doc.errors[0]!;
    const pos = lineCounter.linePos(e.pos[0]);
    throw new ConfigError(`${file}:${pos.line}:${pos.col}: malformed YAML: ${e.message.split('\n')[0]!.replace(/\.?$/, '.')}`, {
      where: { file, line: pos.line, column: pos.col },
      hint: 'Fix the YAML syntax at that line and column.',
    });
  }
  const raw = doc.toJS() as unknown;
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) {
    throw new ConfigError(`${file}: expected a mapping with at least 'project' and 'registry'.`, { where: { file } });
  }
  const interpolated = interpolateValues(raw, options.env ?? process.env, file, []) as Record<string, unknown>;
  const parsed = repoConfigSchema.safeParse(interpolated);
  if (!parsed.success) {
    throw configIssueError(parsed.error, {
      file,
      source: { doc, lineCounter },
      knownKeysAt: (p) => (p.length === 0 ? TOP_KEYS : p[0] === 'registry' ? keysOf(registryConfigSchema) : []),
    });
  }
  const config: RepoConfig = { ...parsed.data, repoPath: options.repoPath, configPath: file };
  rememberSource(config, { doc, lineCounter });
  return config;
}

/** Reads `feature_store.yaml` from a repo folder. */
export function loadRepoConfig(repoPath: string, env?: NodeJS.ProcessEnv): RepoConfig {
  const abs = path.resolve(repoPath);
  const file = path.join(abs, CONFIG_FILE);
  if (!existsSync(file)) {
    throw new ConfigError(
      `No ${CONFIG_FILE} in ${abs}.`,
      {
        where: { file },
        hint: 'Run `frec init NAME` to create a repo, or pass --chdir to point at one.',
      },
      ErrorCode.CONFIG_NOT_FOUND,
    );
  }
  return parseRepoConfig(readFileSync(file, 'utf8'), { file, repoPath: abs, env });
}

/** Resolves a path from the config relative to the repo folder (absolute paths and URLs are kept). */
export function resolveRepoPath(config: Pick<RepoConfig, 'repoPath'>, p: string): string {
  if (/^[a-z0-9]+:\/\//i.test(p) || path.isAbsolute(p)) return p;
  return path.join(config.repoPath, p);
}
