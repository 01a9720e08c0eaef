import { readFileSync, existsSync } from 'node:fs';
import path from 'node:path';
import { parseDocument, LineCounter } from 'yaml';
import { z } from 'zod';
import { ConfigError, ErrorCode } from '../errors.js';
import { didYouMean } from '../names.js';

/** The repo config file that marks a feature repo. */
export const CONFIG_FILE = 'feature_store.yaml';

const sqliteOnlineSchema = z.object({ type: z.literal('sqlite'), path: z.string().default('data/online.db') }).strict();
const redisOnlineSchema = z
  .object({
    type: z.literal('redis'),
    connection_string: z.string().default('redis://127.0.0.1:6379'),
    cluster: z.boolean().default(false),
    /** Prepended to every key, so several projects or test runs can share one Redis. */
    key_prefix: z.string().default(''),
    connect_timeout_ms: z.number().int().positive().default(1000),
    command_timeout_ms: z.number().int().positive().default(500),
  })
  .strict();
/** The `online_store` section, discriminated by `type`. */
export const onlineStoreConfigSchema = z.discriminatedUnion('type', [sqliteOnlineSchema, redisOnlineSchema]);
/** A parsed `online_store` section. */
export type OnlineStoreConfig = z.infer<typeof onlineStoreConfigSchema>;

/** The `offline_store` section (DuckDB over Parquet). */
export const offlineStoreConfigSchema = z
  .object({
    type: z.literal('duckdb'),
    /** Where DuckDB spills when a join does not fit in memory. */
    temp_directory: z.string().optional(),
    /** DuckDB memory limit, e.g. '4GB'. */
    memory_limit: z.string().optional(),
    threads: z.number().int().positive().optional(),
    /** Folder that offline pushes append Parquet files to, when a push source has no batch path of its own. */
    push_directory: z.string().default('data/pushed'),
  })
  .strict();
/** A parsed `offline_store` section. */
export type OfflineStoreConfig = z.infer<typeof offlineStoreConfigSchema>;

/** The long form of `registry`: a path or `s3://` URI plus cache and S3 settings. */
export const registryConfigSchema = z
  .object({
    path: z.string().min(1),
    /** Seconds a read registry is reused before storage is read again (0: always read). */
    cache_ttl_seconds: z.number().nonnegative().default(5),
    /** S3 endpoint override, for S3-compatible servers. */
    s3_endpoint: z.string().optional(),
    s3_region: z.string().optional(),
  })
  .strict();
/** A parsed `registry` section (the short `registry: path` form is expanded to this). */
export type RegistryConfig = z.infer<typeof registryConfigSchema>;

const serverConfigSchema = z
  .object({
    host: z.string().default('127.0.0.1'),
    port: z.number().int().nonnegative().default(6566),
    api_keys: z.array(z.string()).default([]),
    max_body_bytes: z.number().int().positive().default(1_048_576),
    max_entities: z.number().int().positive().default(10_000),
  })
  .strict();
/** A parsed `feature_server` section. */
export type ServerConfig = z.infer<typeof serverConfigSchema>;

/** The whole of `feature_store.yaml`; unknown keys are errors. */
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
    online_store: onlineStoreConfigSchema.default({ type: 'sqlite', path: 'data/online.db' }),
    offline_store: offlineStoreConfigSchema.default({ type: 'duckdb', push_directory: 'data/pushed' }),
    feature_server: serverConfigSchema.default({}),
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

/**
 * For a union (e.g. `registry: path | {path, ...}`), the issue of the branch the user evidently
 * meant: the one that did not fail on the value's type itself.
 */
function specificIssue(issue: z.ZodIssue): z.ZodIssue {
  if (issue.code !== 'invalid_union') return issue;
  const branches = issue.unionErrors.map((e) => e.issues[0]!).filter(Boolean);
  const meant = branches.filter((b) => !(b.code === 'invalid_type' && b.path.length === issue.path.length));
  return specificIssue(meant.length === 1 ? meant[0]! : (branches[0] ?? issue));
}

function knownKeysAt(pathParts: ReadonlyArray<string | number>, type?: string): string[] {
  const top = Object.keys(repoConfigSchema.shape);
  if (pathParts.length === 0) return top;
  const head = pathParts[0];
  if (head === 'online_store') {
    return type === 'redis' ? Object.keys(redisOnlineSchema.shape) : Object.keys(sqliteOnlineSchema.shape);
  }
  if (head === 'offline_store') return Object.keys(offlineStoreConfigSchema.shape);
  if (head === 'registry') return Object.keys(registryConfigSchema.shape);
  if (head === 'feature_server') return Object.keys(serverConfigSchema.shape);
  return [];
}

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
    const issue = specificIssue(parsed.error.issues[0]!);
    const where = issue.path.join('.');
    const locOf = (pathParts: ReadonlyArray<string | number>, key?: string): string => {
      // Point at the offending key itself when there is one, else at the value.
      let node = doc.getIn(pathParts, true) as
        { range?: [number, number, number]; items?: Array<{ key?: { value?: unknown; range?: [number, number, number] } }> } | undefined;
      if (pathParts.length === 0) node = doc.contents as typeof node;
      const keyNode = key === undefined ? undefined : node?.items?.find((it) => it.key?.value === key)?.key;
      const range = keyNode?.range ?? node?.range;
      if (!range) return '';
      const p = lineCounter.linePos(range[0]);
      return `:${p.line}:${p.col}`;
    };
    if (issue.code === 'unrecognized_keys') {
      const onlineType = (interpolated.online_store as { type?: string } | undefined)?.type;
      const known = knownKeysAt(issue.path, onlineType);
      const msgs = issue.keys.map((k) => `unknown key '${issue.path.length ? `${where}.` : ''}${k}'.${didYouMean(k, known)}`);
      throw new ConfigError(`${file}${locOf(issue.path, issue.keys[0])}: ${msgs.join(' ')}`, {
        where: { file, key: issue.keys[0] },
        hint: `Allowed keys here: ${known.join(', ')}.`,
      });
    }
    const missing = issue.code === 'invalid_type' && issue.received === 'undefined';
    const message = missing ? 'is required' : issue.message.replace(/\.$/, '');
    throw new ConfigError(`${file}${locOf(issue.path)}: ${where || '(root)'}: ${message}.`, {
      where: { file, key: where },
      ...(missing ? { hint: `Add '${where}' to ${path.basename(file)}.` } : {}),
    });
  }
  return { ...parsed.data, repoPath: options.repoPath, configPath: file };
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
