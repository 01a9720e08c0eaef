import { createHash, randomUUID } from 'node:crypto';
import { mkdir, readdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { ErrorCode, FrecError } from '@frec/core';
import { AnnErrorCode, AnnIndexError } from './item-index-errors.js';
import { ANN_MANIFEST_FORMAT, annManifestSchema, type AnnManifest } from './item-index-manifest.js';
import { ExactItemIndex } from './exact/exact-item-index.js';
import { DEFAULT_HNSW_SETTINGS, HnswItemIndex } from './hnsw/hnsw-item-index.js';
import type { ItemId, ItemIndex } from './item-index.js';

const VERSION_RE = /^[A-Za-z0-9][A-Za-z0-9_.-]*$/;

/** Options of saveItemIndex. */
export interface SaveItemIndexOptions {
  /** Version name; default `v<sequence>` zero-padded (v0001, v0002...). */
  version?: string;
  /** Provenance recorded in the manifest (e.g. the two-tower model version). */
  metadata?: Record<string, string>;
}

/** A loaded index with the manifest it was verified against. */
export interface LoadedItemIndex {
  index: ItemIndex;
  manifest: AnnManifest;
}

async function sha256File(file: string): Promise<{ sha256: string; bytes: number }> {
  const buf = await readFile(file);
  return { sha256: createHash('sha256').update(buf).digest('hex'), bytes: buf.byteLength };
}

/** Manifests of the saved versions under `rootDir`, oldest first; unreadable manifests are skipped. */
export async function listItemIndexVersions(rootDir: string): Promise<AnnManifest[]> {
  let entries: string[];
  try {
    entries = await readdir(rootDir);
  } catch {
    return [];
  }
  const out: AnnManifest[] = [];
  for (const name of entries) {
    if (name.startsWith('.')) continue;
    try {
      out.push(annManifestSchema.parse(JSON.parse(await readFile(path.join(rootDir, name, 'manifest.json'), 'utf8'))));
    } catch {
      // A version without a readable manifest cannot be loaded; loadItemIndex reports it when asked for by name.
    }
  }
  return out.sort((a, b) => a.sequence - b.sequence);
}

async function highestSequence(rootDir: string): Promise<number> {
  let max = 0;
  for (const name of await readdir(rootDir)) {
    if (name.startsWith('.')) continue;
    try {
      const raw = JSON.parse(await readFile(path.join(rootDir, name, 'manifest.json'), 'utf8')) as { sequence?: unknown };
      if (typeof raw.sequence === 'number') max = Math.max(max, raw.sequence);
    } catch {
      // Corrupt versions still occupy their folder; their sequence is unknown and not reused by name.
    }
  }
  return max;
}

/**
 * Saves an index as a new version under `rootDir`: `<rootDir>/<version>/{manifest.json, ids.json, data files}`,
 * each file's sha256 in the manifest. Written to a temporary folder and renamed, so a crash never leaves a
 * half-written version behind.
 *
 * @example
 * const { version } = await saveItemIndex('artifacts/ann', HnswItemIndex.build(ids, vectors, 32));
 */
export async function saveItemIndex(rootDir: string, index: ItemIndex, opts: SaveItemIndexOptions = {}): Promise<AnnManifest> {
  await mkdir(rootDir, { recursive: true });
  const sequence = (await highestSequence(rootDir)) + 1;
  const version = opts.version ?? `v${String(sequence).padStart(4, '0')}`;
  if (!VERSION_RE.test(version)) {
    throw new FrecError(ErrorCode.INVALID_REQUEST, `ANN index version '${version}' is not a valid folder name.`, {
      where: { rootDir, version },
      hint: 'Use letters, digits, _ . - (starting with a letter or digit).',
    });
  }
  const finalDir = path.join(rootDir, version);
  if (
    await stat(finalDir).then(
      () => true,
      () => false,
    )
  ) {
    throw new FrecError(ErrorCode.REGISTRY_CONFLICT, `ANN index version '${version}' already exists in ${rootDir}.`, {
      where: { rootDir, version },
      hint: 'Save under a new version; saved versions are immutable.',
    });
  }
  const tmp = path.join(rootDir, `.tmp-${randomUUID()}`);
  await mkdir(tmp);
  try {
    await writeFile(path.join(tmp, 'ids.json'), JSON.stringify(index.ids));
    const names = ['ids.json', ...(await index.writeFiles(tmp))];
    const files = await Promise.all(names.map(async (name) => ({ name, ...(await sha256File(path.join(tmp, name))) })));
    const manifest: AnnManifest = {
      format: ANN_MANIFEST_FORMAT,
      version,
      sequence,
      kind: index.kind,
      metric: index.metric,
      dim: index.dim,
      count: index.size,
      createdAt: new Date().toISOString(),
      settings: index.settings(),
      metadata: opts.metadata ?? {},
      files,
    };
    await writeFile(path.join(tmp, 'manifest.json'), `${JSON.stringify(manifest, null, 2)}\n`);
    await rename(tmp, finalDir);
    index.version = version;
    return manifest;
  } catch (err) {
    await rm(tmp, { recursive: true, force: true });
    throw err;
  }
}

function corrupt(rootDir: string, version: string, what: string, cause?: unknown): AnnIndexError {
  return new AnnIndexError(
    AnnErrorCode.ANN_INDEX_CORRUPT,
    `ANN index ${version} in ${rootDir} is corrupt: ${what}.`,
    { rootDir, version },
    'Load the previous version (loadPreviousItemIndex / loadItemIndexWithFallback) and rebuild this one from the item embeddings.',
    cause,
  );
}

async function readManifest(rootDir: string, version: string): Promise<AnnManifest> {
  const file = path.join(rootDir, version, 'manifest.json');
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (cause) {
    throw new AnnIndexError(
      AnnErrorCode.ANN_INDEX_NOT_FOUND,
      `ANN index version '${version}' not found in ${rootDir} (no ${file}).`,
      { rootDir, version },
      'List saved versions with listItemIndexVersions, or build and save an index first.',
      cause,
    );
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (cause) {
    throw corrupt(rootDir, version, 'manifest.json is not valid JSON', cause);
  }
  const parsed = annManifestSchema.safeParse(json);
  if (!parsed.success)
    throw corrupt(
      rootDir,
      version,
      `manifest.json does not match ${ANN_MANIFEST_FORMAT} (${parsed.error.issues[0]?.path.join('.')}: ${parsed.error.issues[0]?.message})`,
    );
  if (parsed.data.version !== version) throw corrupt(rootDir, version, `manifest.json names version '${parsed.data.version}'`);
  return parsed.data;
}

/**
 * Loads one version (default: the newest) after checking every file's sha256 against the manifest.
 * Throws AnnIndexError ANN_INDEX_CORRUPT on any mismatch and ANN_INDEX_NOT_FOUND when nothing is saved;
 * the index files are never parsed before their checksums pass.
 */
export async function loadItemIndex(rootDir: string, version?: string): Promise<LoadedItemIndex> {
  let v = version;
  if (v === undefined) {
    const all = await listItemIndexVersions(rootDir);
    if (all.length === 0) {
      throw new AnnIndexError(
        AnnErrorCode.ANN_INDEX_NOT_FOUND,
        `No ANN index saved in ${rootDir}.`,
        { rootDir },
        'Build the item index (pipeline step "ann") and save it with saveItemIndex.',
      );
    }
    v = all[all.length - 1]!.version;
  }
  const manifest = await readManifest(rootDir, v);
  const dir = path.join(rootDir, v);
  const bufs = new Map<string, Buffer>();
  for (const f of manifest.files) {
    let buf: Buffer;
    try {
      buf = await readFile(path.join(dir, f.name));
    } catch (cause) {
      throw corrupt(rootDir, v, `file ${f.name} listed in the manifest is missing`, cause);
    }
    const sha = createHash('sha256').update(buf).digest('hex');
    if (buf.byteLength !== f.bytes || sha !== f.sha256) {
      throw corrupt(
        rootDir,
        v,
        `${f.name} has sha256 ${sha.slice(0, 12)}… (${buf.byteLength} bytes), manifest says ${f.sha256.slice(0, 12)}… (${f.bytes} bytes)`,
      );
    }
    bufs.set(f.name, buf);
  }
  const need = (name: string): Buffer => {
    const b = bufs.get(name);
    if (!b) throw corrupt(rootDir, v, `the manifest does not list ${name}`);
    return b;
  };
  let ids: ItemId[];
  try {
    ids = JSON.parse(need('ids.json').toString('utf8')) as ItemId[];
  } catch (cause) {
    if (cause instanceof AnnIndexError) throw cause;
    throw corrupt(rootDir, v, 'ids.json is not valid JSON', cause);
  }
  if (!Array.isArray(ids) || ids.length !== manifest.count)
    throw corrupt(rootDir, v, `ids.json holds ${Array.isArray(ids) ? ids.length : 'no'} ids, manifest says ${manifest.count}`);
  let index: ItemIndex;
  if (manifest.kind === 'exact') {
    const b = need('vectors.f32');
    if (b.byteLength !== manifest.count * manifest.dim * 4)
      throw corrupt(rootDir, v, `vectors.f32 has ${b.byteLength} bytes for ${manifest.count} x ${manifest.dim} floats`);
    const vectors = new Float32Array(b.byteLength / 4);
    new Uint8Array(vectors.buffer).set(b);
    index = ExactItemIndex.fromVectors(ids, vectors, manifest.dim, manifest.metric);
  } else {
    need('graph.usearch');
    const s = { ...DEFAULT_HNSW_SETTINGS, ...manifest.settings };
    index = HnswItemIndex.load(path.join(dir, 'graph.usearch'), ids, manifest.dim, manifest.metric, s);
  }
  index.version = v;
  return { index, manifest };
}

/** Loads the newest valid version saved before `version` (by save order), skipping corrupt ones. */
export async function loadPreviousItemIndex(rootDir: string, version: string): Promise<LoadedItemIndex> {
  const all = await listItemIndexVersions(rootDir);
  const pos = all.findIndex((m) => m.version === version);
  // A version whose manifest is itself unreadable is not listed: every listed version counts as older.
  const older = (pos >= 0 ? all.slice(0, pos) : all).reverse();
  for (const m of older) {
    try {
      return await loadItemIndex(rootDir, m.version);
    } catch (err) {
      if (!(err instanceof AnnIndexError) || err.code !== AnnErrorCode.ANN_INDEX_CORRUPT) throw err;
    }
  }
  throw new AnnIndexError(
    AnnErrorCode.ANN_INDEX_NOT_FOUND,
    `No valid ANN index older than '${version}' in ${rootDir}.`,
    { rootDir, version },
    'Rebuild the item index from the current item embeddings.',
  );
}

/** Result of loadItemIndexWithFallback: the index served and the versions skipped on the way. */
export interface FallbackLoad extends LoadedItemIndex {
  skipped: { version: string; error: AnnIndexError }[];
}

/**
 * Loads the newest version, or — if it is corrupt — the newest older one that verifies. Serving uses
 * this at start-up and on reload, so a bad index degrades to the previous one instead of failing.
 */
export async function loadItemIndexWithFallback(rootDir: string): Promise<FallbackLoad> {
  const names = (await readdir(rootDir).catch(() => [] as string[])).filter((n) => !n.startsWith('.'));
  const listed = await listItemIndexVersions(rootDir);
  const listedNames = new Set(listed.map((m) => m.version));
  const skipped: FallbackLoad['skipped'] = [];
  // Folders whose manifest cannot be read are newer than nothing we know; record them as skipped.
  for (const n of names.filter((x) => !listedNames.has(x))) {
    try {
      await readManifest(rootDir, n);
    } catch (err) {
      if (err instanceof AnnIndexError && err.code === AnnErrorCode.ANN_INDEX_CORRUPT) skipped.push({ version: n, error: err });
    }
  }
  for (const m of [...listed].reverse()) {
    try {
      return { ...(await loadItemIndex(rootDir, m.version)), skipped };
    } catch (err) {
      if (!(err instanceof AnnIndexError) || err.code !== AnnErrorCode.ANN_INDEX_CORRUPT) throw err;
      skipped.push({ version: m.version, error: err });
    }
  }
  throw new AnnIndexError(
    AnnErrorCode.ANN_INDEX_NOT_FOUND,
    `No valid ANN index in ${rootDir}${skipped.length ? ` (corrupt: ${skipped.map((s) => s.version).join(', ')})` : ''}.`,
    { rootDir },
    'Rebuild the item index from the current item embeddings.',
  );
}
