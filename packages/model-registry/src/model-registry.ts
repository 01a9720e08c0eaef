import { createHash } from 'node:crypto';
import { NotFoundError } from '@frec/core';
import { closestNames } from '@frec/core/spi';
import { ModelRegistryErrorCode, modelRegistryError as registryError } from './errors.js';
import { modelManifestSchema, MODEL_STAGES, type ModelArtifact, type ModelManifest, type ModelStage } from './model-manifest.js';
import type { ModelStore } from './model-store.js';

/** What `register` needs: the model's files and the facts the registry keeps about them. */
export interface RegisterModelInput {
  name: string;
  featureService: string;
  trainingData: ModelManifest['trainingData'];
  artifacts: ReadonlyArray<{ path: string; data: Uint8Array }>;
  metrics?: Record<string, number>;
  evaluation?: ModelManifest['evaluation'];
  params?: Record<string, unknown>;
  description?: string;
}

/** Options of `promote`. */
export interface PromoteOptions {
  stage?: ModelStage;
  /** Answers whether a feature service exists in the feature registry; a model whose service is missing is refused. */
  featureServiceExists: (name: string) => Promise<boolean>;
}

const enc = new TextEncoder();
const sha256 = (data: Uint8Array): string => createHash('sha256').update(data).digest('hex');

/**
 * The model registry: versioned models with their metrics, feature service, training-data range,
 * artifact checksums and stage. Storage is a ModelStore (local folder by default, or S3).
 * @example
 * const reg = new ModelRegistry(new LocalModelStore('feature_repo/data/models'));
 * const m = await reg.register({ name: 'ranker', featureService: 'ranker_v1', trainingData, artifacts });
 * await reg.promote('ranker', m.version, { featureServiceExists: async (s) => s === 'ranker_v1' });
 */
export class ModelRegistry {
  constructor(readonly store: ModelStore) {}

  /** Stores a new version (stage `candidate`) and returns its manifest. */
  async register(input: RegisterModelInput): Promise<ModelManifest> {
    if (!/^[A-Za-z_][A-Za-z0-9_-]*$/.test(input.name)) {
      throw registryError(`Model name '${input.name}' is invalid.`, 'Use letters, digits, _ and -, starting with a letter.', {
        model: input.name,
      });
    }
    for (const a of input.artifacts) {
      if (a.path.includes('..') || a.path.startsWith('/')) {
        throw registryError(
          `Artifact path '${a.path}' of model '${input.name}' leaves the version folder.`,
          'Use a relative path without "..".',
          { model: input.name },
        );
      }
    }
    let version = (await this.versions(input.name)).reduce((m, v) => Math.max(m, v), 0) + 1;
    // Claim the version number first, so two concurrent registrations never share one.
    while (!(await this.store.writeIfAbsent(`${input.name}/${version}/claim`, enc.encode(new Date().toISOString())))) version++;
    const artifacts: ModelArtifact[] = [];
    for (const a of input.artifacts) {
      await this.store.write(`${input.name}/${version}/artifacts/${a.path}`, a.data);
      artifacts.push({ path: a.path, sha256: sha256(a.data), bytes: a.data.byteLength });
    }
    const now = new Date().toISOString();
    const manifest = modelManifestSchema.parse({
      formatVersion: 1,
      name: input.name,
      version,
      createdAt: now,
      stage: 'candidate',
      featureService: input.featureService,
      trainingData: input.trainingData,
      metrics: input.metrics ?? {},
      evaluation: input.evaluation ?? [],
      artifacts,
      params: input.params ?? {},
      description: input.description ?? '',
      stageHistory: [{ stage: 'candidate', at: now }],
    });
    await this.writeManifest(manifest);
    return manifest;
  }

  /** Every version of every model (or of one model), newest last. */
  async list(name?: string): Promise<ModelManifest[]> {
    const keys = (await this.store.list(name ? `${name}/` : '')).filter((k) => /^[^/]+\/\d+\/manifest\.json$/.test(k));
    const out: ModelManifest[] = [];
    for (const k of keys) {
      const [n, v] = k.split('/');
      out.push(await this.readManifest(n!, Number(v)));
    }
    return out.sort((a, b) => a.name.localeCompare(b.name) || a.version - b.version);
  }

  /** One version: a number, 'latest', or a stage name ('production'). */
  async describe(name: string, version: number | 'latest' | ModelStage = 'latest'): Promise<ModelManifest> {
    const all = await this.list(name);
    if (all.length === 0) {
      const names = [...new Set((await this.list()).map((m) => m.name))];
      const close = closestNames(name, names);
      throw new NotFoundError(
        ModelRegistryErrorCode.MODEL_REGISTRY_ERROR,
        `Model '${name}' is not in the model registry at ${this.store.location}.${close.length ? ` Did you mean ${close.map((c) => `'${c}'`).join(' or ')}?` : ''}`,
        {
          where: { model: name },
          hint: names.length
            ? `Registered models: ${names.join(', ')}.`
            : 'Register a version first (ModelRegistry.register, e.g. at the end of a training run).',
        },
      );
    }
    const found =
      version === 'latest'
        ? all[all.length - 1]
        : typeof version === 'number'
          ? all.find((m) => m.version === version)
          : [...all].reverse().find((m) => m.stage === version);
    if (!found) {
      throw new NotFoundError(ModelRegistryErrorCode.MODEL_REGISTRY_ERROR, `Model '${name}' has no version ${String(version)}.`, {
        where: { model: name, version: String(version) },
        hint: `Versions: ${all.map((m) => `${m.version} (${m.stage})`).join(', ')}.`,
      });
    }
    return found;
  }

  /**
   * Moves a version to a stage. Promoting to production archives the previous production
   * version, and is refused when the model's feature service is not in the feature registry.
   */
  async promote(name: string, version: number, options: PromoteOptions): Promise<ModelManifest> {
    const stage = options.stage ?? 'production';
    if (!(MODEL_STAGES as readonly string[]).includes(stage)) {
      throw registryError(`Unknown stage '${stage}'.`, `Use one of ${MODEL_STAGES.join(', ')}.`, { model: name });
    }
    const target = await this.describe(name, version);
    if (stage === 'production' && !(await options.featureServiceExists(target.featureService))) {
      throw registryError(
        `Cannot promote ${name} v${version}: its feature service '${target.featureService}' is not in the feature registry.`,
        'Declare the feature service in the feature repo and run `frec apply`, then promote again.',
        { model: name, version, featureService: target.featureService },
      );
    }
    await this.verify(target);
    const now = new Date().toISOString();
    if (stage === 'production') {
      for (const m of await this.list(name)) {
        if (m.stage === 'production' && m.version !== version)
          await this.writeManifest({ ...m, stage: 'archived', stageHistory: [...m.stageHistory, { stage: 'archived', at: now }] });
      }
    }
    const next = { ...target, stage, stageHistory: [...target.stageHistory, { stage, at: now }] };
    await this.writeManifest(next);
    return next;
  }

  /** Reads one artifact and checks it against the manifest's sha256. */
  async readArtifact(manifest: ModelManifest, artifactPath: string): Promise<Uint8Array> {
    const a = manifest.artifacts.find((x) => x.path === artifactPath);
    if (!a) {
      throw registryError(
        `Model ${manifest.name} v${manifest.version} has no artifact '${artifactPath}'.`,
        `Artifacts: ${manifest.artifacts.map((x) => x.path).join(', ')}.`,
        { model: manifest.name },
      );
    }
    const data = await this.store.read(`${manifest.name}/${manifest.version}/artifacts/${a.path}`);
    if (!data)
      throw registryError(
        `Artifact '${a.path}' of ${manifest.name} v${manifest.version} is missing from ${this.store.location}.`,
        'Register the model again.',
        { model: manifest.name },
      );
    if (sha256(data) !== a.sha256) {
      throw registryError(
        `Artifact '${a.path}' of ${manifest.name} v${manifest.version} does not match its sha256 checksum.`,
        'The file was changed or corrupted; register the model again.',
        { model: manifest.name, artifact: a.path },
      );
    }
    return data;
  }

  /** Checks every artifact's checksum; throws on the first mismatch. */
  async verify(manifest: ModelManifest): Promise<void> {
    for (const a of manifest.artifacts) await this.readArtifact(manifest, a.path);
  }

  private async versions(name: string): Promise<number[]> {
    return (await this.store.list(`${name}/`)).map((k) => Number(k.split('/')[1])).filter((v) => Number.isInteger(v) && v > 0);
  }

  private async readManifest(name: string, version: number): Promise<ModelManifest> {
    const key = `${name}/${version}/manifest.json`;
    const raw = await this.store.read(key);
    if (!raw) throw registryError(`Manifest ${key} is missing.`, 'Register the model again.', { model: name, version });
    try {
      return modelManifestSchema.parse(JSON.parse(new TextDecoder().decode(raw)));
    } catch (err) {
      throw registryError(
        `Manifest ${key} in ${this.store.location} is not a valid model manifest: ${(err as Error).message.slice(0, 200)}`,
        'Restore it or register the model again.',
        { model: name, version },
      );
    }
  }

  private async writeManifest(m: ModelManifest): Promise<void> {
    await this.store.write(`${m.name}/${m.version}/manifest.json`, enc.encode(`${JSON.stringify(m, null, 2)}\n`));
  }
}
