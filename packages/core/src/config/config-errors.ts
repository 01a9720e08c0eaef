import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { LineCounter, parseDocument, type Document } from 'yaml';
import { z } from 'zod';
import { ConfigError } from '../errors.js';
import { didYouMean } from '../names.js';

/** A parsed feature_store.yaml kept for locating errors: its YAML document and line counter. */
export interface ConfigSource {
  doc: Document;
  lineCounter: LineCounter;
}

const sources = new WeakMap<object, ConfigSource>();

/** Remembers the YAML a config was parsed from, so a section validated later can point at its line. */
export function rememberSource(config: object, source: ConfigSource): void {
  sources.set(config, source);
}

/** A copy of a config that keeps the YAML its original was parsed from. */
export function withSource<T extends object>(copy: T, original: object): T {
  const known = sources.get(original);
  if (known) sources.set(copy, known);
  return copy;
}

/** The YAML a config came from: remembered at parse time, else read again from its file (a spread copy loses the memory). */
export function sourceOf(config: { configPath: string }): ConfigSource | undefined {
  const known = sources.get(config);
  if (known) return known;
  if (!existsSync(config.configPath)) return undefined;
  const lineCounter = new LineCounter();
  const doc = parseDocument(readFileSync(config.configPath, 'utf8'), { lineCounter, prettyErrors: false });
  return doc.errors.length > 0 ? undefined : { doc, lineCounter };
}

type YamlNode = { range?: [number, number, number]; items?: Array<{ key?: { value?: unknown; range?: [number, number, number] } }> };

/** ':line:col' of a key (or of the value at `pathParts` when no key is given); '' when unknown. */
export function locate(source: ConfigSource | undefined, pathParts: ReadonlyArray<string | number>, key?: string): string {
  if (!source) return '';
  // A missing key has no node: point at the nearest section that exists.
  let node: YamlNode | undefined;
  let at = pathParts.length;
  for (; at >= 0 && !node; at--)
    node = (at === 0 ? source.doc.contents : source.doc.getIn(pathParts.slice(0, at), true)) as YamlNode | undefined;
  const keyNode = key === undefined || at + 1 < pathParts.length ? undefined : node?.items?.find((it) => it.key?.value === key)?.key;
  const range = keyNode?.range ?? node?.range;
  if (!range) return '';
  const p = source.lineCounter.linePos(range[0]);
  return `:${p.line}:${p.col}`;
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

/** The keys an object schema allows (through defaults, optionals and refinements); [] for any other schema. */
export function keysOf(schema: z.ZodTypeAny | undefined): string[] {
  let s: z.ZodTypeAny | undefined = schema;
  for (let i = 0; i < 8 && s; i++) {
    if (s instanceof z.ZodObject) return Object.keys(s.shape as object);
    if (s instanceof z.ZodDefault) s = s._def.innerType as z.ZodTypeAny;
    else if (s instanceof z.ZodOptional || s instanceof z.ZodNullable) s = s.unwrap() as z.ZodTypeAny;
    else if (s instanceof z.ZodEffects) s = s.innerType() as z.ZodTypeAny;
    else return [];
  }
  return [];
}

/**
 * Turns the first issue of a failed parse into a ConfigError that names the file, line and column,
 * the dotted key, and for an unknown key the closest allowed one. `prefix` places a section's
 * issues in the whole file (['online_store'] for a plugin's section).
 */
export function configIssueError(
  error: z.ZodError,
  options: {
    file: string;
    source: ConfigSource | undefined;
    prefix?: ReadonlyArray<string | number>;
    /** The keys allowed at a path inside the parsed value (relative to `prefix`). */
    knownKeysAt: (pathParts: ReadonlyArray<string | number>) => string[];
  },
): ConfigError {
  const { file, source } = options;
  const prefix = options.prefix ?? [];
  // A misspelt key also leaves its correct name missing: the unknown key is the one to report.
  const issue = specificIssue(error.issues.find((i) => i.code === 'unrecognized_keys') ?? error.issues[0]!);
  const full = [...prefix, ...issue.path];
  const where = full.join('.');
  if (issue.code === 'unrecognized_keys') {
    const known = options.knownKeysAt(issue.path);
    const msgs = issue.keys.map((k) => `unknown key '${full.length ? `${where}.` : ''}${k}'.${didYouMean(k, known)}`);
    return new ConfigError(`${file}${locate(source, full, issue.keys[0])}: ${msgs.join(' ')}`, {
      where: { file, key: issue.keys[0] },
      hint: `Allowed keys here: ${known.join(', ')}.`,
    });
  }
  const missing = issue.code === 'invalid_type' && issue.received === 'undefined';
  const message = missing ? 'is required' : issue.message.replace(/\.$/, '');
  return new ConfigError(`${file}${locate(source, full)}: ${where || '(root)'}: ${message}.`, {
    where: { file, key: where },
    ...(missing ? { hint: `Add '${where}' to ${path.basename(file)}.` } : {}),
  });
}

/**
 * Validates one section of feature_store.yaml with the schema of the package that owns it (a
 * backend, the feature server); errors point at the section's line like core's own.
 * @example const server = parseConfigSection(store.config, ['feature_server'], serverConfigSchema);
 */
export function parseConfigSection<S extends z.ZodTypeAny>(
  config: { configPath: string } & Record<string, unknown>,
  sectionPath: readonly string[],
  schema: S,
  value: unknown = valueAt(config, sectionPath),
): z.output<S> {
  const parsed = schema.safeParse(value ?? {});
  if (parsed.success) return parsed.data as z.output<S>;
  throw configIssueError(parsed.error, {
    file: config.configPath,
    source: sourceOf(config),
    prefix: sectionPath,
    knownKeysAt: (p) => (p.length === 0 ? keysOf(schema) : []),
  });
}

function valueAt(config: Record<string, unknown>, pathParts: readonly string[]): unknown {
  let v: unknown = config;
  for (const p of pathParts) v = v && typeof v === 'object' ? (v as Record<string, unknown>)[p] : undefined;
  return v;
}
